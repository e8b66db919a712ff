/**
 * Turns every failure of a request into a JSON ErrorBody with the status of its catalog code.
 * Fastify's own errors (schema validation, body parsing, body size) map to input codes, so a bad
 * request never gets a bare 500.
 */
import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AisleError, ERROR_CATALOG, isAisleError, type AisleErrorCode } from '../core/errors.js';
import type { ErrorBody } from '../core/types.js';
import { LIMITS } from './schemas.js';

/** Builds the JSON body of an error response. */
export function errorBody(code: AisleErrorCode, message: string, details?: unknown): ErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}

// Fastify error codes that mean the client sent a body the server cannot parse.
const BODY_PARSE_CODES = new Set(['FST_ERR_CTP_EMPTY_JSON_BODY', 'FST_ERR_CTP_INVALID_JSON_BODY', 'FST_ERR_CTP_INVALID_CONTENT_LENGTH', 'FST_ERR_CTP_INVALID_MEDIA_TYPE']);

// Returns the value at an Ajv instancePath ('/weights/bm25') in the validated data, or undefined.
function valueAt(data: unknown, path: string): unknown {
  let value = data;
  for (const key of path.split('/').slice(1)) {
    const name = key.replaceAll('~1', '/').replaceAll('~0', '~');
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, name)) return undefined;
    value = (value as Record<string, unknown>)[name];
  }
  return value;
}

// Describes a rejected value briefly: long strings and arrays by their length, others as JSON.
function describeValue(value: unknown): string {
  if (typeof value === 'string' && value.length > 40) return `a string of ${value.length} characters`;
  if (Array.isArray(value)) return `an array of ${value.length} items`;
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

// Keywords whose issue is about the value itself, so the message can quote it. A missing or
// unknown field is named by the field alone.
const VALUE_KEYWORDS = new Set(['type', 'enum', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'minItems', 'maxItems', 'pattern']);

function describeValidation(error: FastifyError, request?: FastifyRequest): { message: string; details: unknown } {
  const context = error.validationContext ?? 'body';
  // Headers are left out, so a message never repeats a header such as Authorization.
  const sources: Record<string, unknown> = request === undefined ? {} : { body: request.body, querystring: request.query, params: request.params };
  const data = sources[context];
  const issues = (error.validation ?? []).map((issue) => {
    const field = `${context}${issue.instancePath.replaceAll('/', '.')}`;
    // Ajv's own message for an extra field does not name it, and its enum message omits the values.
    const extra = issue.keyword === 'additionalProperties' ? (issue.params as { additionalProperty?: unknown }).additionalProperty : undefined;
    const allowed = issue.keyword === 'enum' ? (issue.params as { allowedValues?: unknown[] }).allowedValues : undefined;
    let problem = issue.message ?? 'is invalid';
    if (typeof extra === 'string') problem = `has the unknown field \`${extra}\`; remove it`;
    else if (allowed !== undefined) problem = `must be one of ${allowed.map((value) => JSON.stringify(value)).join(', ')}`;
    if (data !== undefined && VALUE_KEYWORDS.has(issue.keyword)) problem += `; got ${describeValue(valueAt(data, issue.instancePath))}`;
    return { field, problem, params: issue.params };
  });
  const first = issues[0];
  const message = first ? `Invalid request: \`${first.field}\` ${first.problem}.` : `Invalid request: ${error.message}.`;
  return { message, details: { issues } };
}

// Says which part of a route's body to shrink, because the fix differs per route.
function payloadTooLargeMessage(request: FastifyRequest | undefined): string {
  const route = request?.routeOptions.url;
  const limit = request?.routeOptions.bodyLimit;
  const where = route === undefined ? 'The request body' : `The body of ${request?.method} ${route}`;
  const size = limit === undefined ? 'the limit of this server' : `the limit of ${limit} bytes`;
  if (route === '/v1/candidates') {
    return `${where} is larger than ${size}. Send fewer \`exclude\` ids (at most ${LIMITS.maxExclude}), or drop fields other than \`vector\`, \`k\`, \`exclude\` and \`filter\`.`;
  }
  if (route === '/v1/search') {
    return `${where} is larger than ${size}. Send only \`query\` (at most ${LIMITS.maxQueryLength} characters), \`k\` and \`vector\`.`;
  }
  return `${where} is larger than ${size}. Send a smaller body.`;
}

/**
 * Maps any thrown value to an Aisle error code, message and optional details. `request`, when
 * given, lets a 413 message name the route and its body limit.
 */
export function toAisleError(error: unknown, request?: FastifyRequest): AisleError {
  if (isAisleError(error)) return error;

  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) {
    const { message, details } = describeValidation(fastifyError as FastifyError, request);
    return new AisleError('AISLE_INVALID_REQUEST', message, { details });
  }
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new AisleError('AISLE_PAYLOAD_TOO_LARGE', payloadTooLargeMessage(request));
  }
  if (fastifyError.code !== undefined && BODY_PARSE_CODES.has(fastifyError.code)) {
    // POST /v1/events parses text/plain (sendBeacon) as JSON, and the parser's message names application/json.
    if (fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY' && String(request?.headers['content-type'] ?? '').startsWith('text/plain')) {
      return new AisleError('AISLE_INVALID_REQUEST', 'Invalid request body: the text/plain body is not valid JSON. Send a JSON object such as {"events": [...]}.');
    }
    return new AisleError('AISLE_INVALID_REQUEST', `Invalid request body: ${fastifyError.message}. Send a JSON object with Content-Type application/json.`);
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AisleError(status === 404 ? 'AISLE_NOT_FOUND' : status === 413 ? 'AISLE_PAYLOAD_TOO_LARGE' : 'AISLE_INVALID_REQUEST', `Invalid request: ${fastifyError.message ?? 'rejected'}.`);
  }
  return new AisleError('AISLE_INTERNAL', 'The request failed because of an internal error. The server log has the details.', { cause: error });
}

/**
 * Handles errors that Fastify raises before routing, such as a path with invalid percent-encoding
 * (FST_ERR_BAD_URL); pass it as the `frameworkErrors` option.
 */
export function handleFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const path = request.url.split('?')[0].slice(0, 200);
  request.log.info({ code: error.code, path }, 'request rejected before routing');
  void reply.status(400).type('application/json').send(errorBody('AISLE_INVALID_REQUEST', `Invalid request URL ${JSON.stringify(path)}: ${error.message}. Percent-encode the path as UTF-8.`));
}

// Methods checked for the Allow header. OPTIONS is left out because the CORS plugin registers it
// on every path, so it would turn every unknown path into a 405.
const ROUTE_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

// Returns the methods that have a route for this path, in ROUTE_METHODS order.
function allowedMethods(app: FastifyInstance, path: string): string[] {
  return ROUTE_METHODS.filter((method) => app.findRoute({ method, url: path }) !== null);
}

/** Installs the error and not-found handlers on a Fastify instance. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const aisleError = toAisleError(error, request);
    const status = ERROR_CATALOG[aisleError.code].status;
    if (status >= 500) request.log.error({ err: error, code: aisleError.code }, 'request failed');
    else request.log.info({ code: aisleError.code, reason: aisleError.message }, 'request rejected');
    void reply.status(status).type('application/json').send(errorBody(aisleError.code, aisleError.message, aisleError.details));
  });

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0].slice(0, 200);
    const allowed = allowedMethods(app, request.url.split('?')[0]);
    if (allowed.length > 0) {
      const allow = allowed.join(', ');
      const message = `Method not allowed: ${request.method} ${path}. This route accepts ${allow}.`;
      void reply.status(405).header('Allow', allow).type('application/json').send(errorBody('AISLE_METHOD_NOT_ALLOWED', message));
      return;
    }
    const message = `No route ${request.method} ${path}. Routes: POST /v1/candidates, POST /v1/search, GET /v1/items, GET /v1/trending, GET /models/:file, GET /healthz.`;
    void reply.status(404).type('application/json').send(errorBody('AISLE_NOT_FOUND', message));
  });
}

// Writes a complete HTTP/1.1 response straight to the socket, because the parser failed before
// any request or reply object existed.
function writeRawError(socket: Socket, status: number, code: AisleErrorCode, message: string): void {
  if (!socket.writable) return;
  const body = JSON.stringify(errorBody(code, message));
  const head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n`;
  socket.write(head + body);
}

/**
 * Sends a JSON ErrorBody for errors of Node's HTTP parser, which happen before Fastify routes a
 * request. Pass it as the `clientErrorHandler` option. Node reports a too long URL as a header
 * overflow, because the request line counts toward `http.maxHeaderSize`, so there is no 414 path.
 */
export function handleClientError(this: FastifyInstance, error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has no client left to read a response.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;

  if (error.code === 'HPE_HEADER_OVERFLOW') {
    const message = `The request line and headers are larger than the limit of ${maxHeaderSize} bytes of this server, often because of a long URL. Send fewer ids per GET /v1/items request or shorter headers.`;
    writeRawError(socket, ERROR_CATALOG.AISLE_HEADERS_TOO_LARGE.status, 'AISLE_HEADERS_TOO_LARGE', message);
  } else if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    // NOTE: 408 is the standard status for a request the client did not finish sending in time.
    // The catalog's AISLE_TIMEOUT status (504) is for calls the SDK makes, so the two differ here.
    writeRawError(socket, 408, 'AISLE_TIMEOUT', 'The request timed out before the server received all of it. Retry the request.');
  } else {
    writeRawError(socket, ERROR_CATALOG.AISLE_INVALID_REQUEST.status, 'AISLE_INVALID_REQUEST', `Invalid HTTP request: parsing failed with ${error.code ?? error.message}. Send a valid HTTP/1.1 request.`);
  }
  this.log.info({ code: error.code }, 'request rejected by the HTTP parser');
  socket.destroy(error);
}
