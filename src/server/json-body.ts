/**
 * The JSON body parser of the companion. It keeps Fastify's prototype poisoning protection, which
 * rejects a body with a `__proto__` key or a `constructor` key holding a `prototype`, but reports
 * the key and the reason instead of Fastify's "Body is not valid JSON".
 */
import type { FastifyInstance } from 'fastify';
import { AisleError } from '../core/errors.js';

/** Path and name of the first forbidden key in a parsed JSON value, such as `body.filter.__proto__`. */
interface ForbiddenKey {
  field: string;
  key: '__proto__' | 'constructor';
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

// Walks with an explicit stack, because a 256 KB body can nest deep enough to overflow recursion.
function findForbiddenKey(root: unknown): ForbiddenKey | undefined {
  const stack: Array<{ value: unknown; field: string }> = [{ value: root, field: 'body' }];
  while (stack.length > 0) {
    const { value, field } = stack.pop()!;
    if (!isObject(value)) continue;
    if (Object.hasOwn(value, '__proto__')) return { field: `${field}.__proto__`, key: '__proto__' };
    const ctor = Object.hasOwn(value, 'constructor') ? value.constructor : undefined;
    if (isObject(ctor) && Object.hasOwn(ctor, 'prototype')) return { field: `${field}.constructor`, key: 'constructor' };
    for (const [key, child] of Object.entries(value)) stack.push({ value: child, field: `${field}.${key}` });
  }
  return undefined;
}

// Returns the forbidden key of a text that plain JSON.parse accepts, or undefined when the text is
// not valid JSON at all.
function diagnoseRejectedBody(text: string): ForbiddenKey | undefined {
  try {
    return findForbiddenKey(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/**
 * Replaces the application/json parser with Fastify's default parser (prototype poisoning set to
 * 'error') plus a diagnosis that, on failure, distinguishes a forbidden key from malformed JSON.
 */
export function installJsonBodyParser(app: FastifyInstance): void {
  const parseSecurely = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    parseSecurely(request, text, (error, value) => {
      if (error === null) {
        done(null, value);
        return;
      }
      const forbidden = diagnoseRejectedBody(text);
      if (forbidden === undefined) {
        done(error, undefined);
        return;
      }
      const message =
        `Invalid request body: \`${forbidden.field}\` is a forbidden key. The server rejects ${forbidden.key === '__proto__' ? 'any `__proto__` key' : 'a `constructor` key whose value has a `prototype` key'} ` +
        'to protect against prototype poisoning. Remove the key from the JSON.';
      done(new AisleError('AISLE_INVALID_REQUEST', message, { details: forbidden }), undefined);
    });
  });
}
