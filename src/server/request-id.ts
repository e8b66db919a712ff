/**
 * Request ids for logs and the X-Request-Id response header. A proxy or client that already sent
 * an X-Request-Id keeps it, so one id follows a request through every log. Any other request gets
 * a random UUID, which, unlike Fastify's default counter, stays unique across replicas and restarts.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

// Printable, short ids only: a header value goes into every log line of its request.
const ACCEPTED_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Returns the request's X-Request-Id when it is 1 to 128 safe characters, else a new UUID. */
export function requestId(request: IncomingMessage): string {
  const header = request.headers['x-request-id'];
  return typeof header === 'string' && ACCEPTED_ID.test(header) ? header : randomUUID();
}
