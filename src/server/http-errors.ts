/**
 * Turns every failure of a request into a JSON ErrorBody with the status of its catalog code.
 * Fastify's own errors (schema validation, body parsing, body size) map to input codes, so a bad
 * request never gets a bare 500.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AisleError, ERROR_CATALOG, isAisleError, type AisleErrorCode } from '../core/errors.js';
import type { ErrorBody } from '../core/types.js';

/** Builds the JSON body of an error response. */
export function errorBody(code: AisleErrorCode, message: string, details?: unknown): ErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}

// Fastify error codes that mean the client sent a body the server cannot parse.
const BODY_PARSE_CODES = new Set(['FST_ERR_CTP_EMPTY_JSON_BODY', 'FST_ERR_CTP_INVALID_JSON_BODY', 'FST_ERR_CTP_INVALID_CONTENT_LENGTH', 'FST_ERR_CTP_INVALID_MEDIA_TYPE']);

function describeValidation(error: FastifyError): { message: string; details: unknown } {
  const issues = (error.validation ?? []).map((issue) => {
    const field = `${error.validationContext ?? 'body'}${issue.instancePath.replaceAll('/', '.')}`;
    return { field, problem: issue.message ?? 'is invalid', params: issue.params };
  });
  const first = issues[0];
  const message = first ? `Invalid request: \`${first.field}\` ${first.problem}.` : `Invalid request: ${error.message}.`;
  return { message, details: { issues } };
}

/** Maps any thrown value to an Aisle error code, message and optional details. */
export function toAisleError(error: unknown): AisleError {
  if (isAisleError(error)) return error;

  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation) {
    const { message, details } = describeValidation(fastifyError as FastifyError);
    return new AisleError('AISLE_INVALID_REQUEST', message, { details });
  }
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new AisleError('AISLE_PAYLOAD_TOO_LARGE', 'The request body is larger than the limit of this server. Send fewer ids or a shorter vector.');
  }
  if (fastifyError.code !== undefined && BODY_PARSE_CODES.has(fastifyError.code)) {
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

/** Installs the error and not-found handlers on a Fastify instance. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const aisleError = toAisleError(error);
    const status = ERROR_CATALOG[aisleError.code].status;
    if (status >= 500) request.log.error({ err: error, code: aisleError.code }, 'request failed');
    else request.log.info({ code: aisleError.code, reason: aisleError.message }, 'request rejected');
    void reply.status(status).type('application/json').send(errorBody(aisleError.code, aisleError.message, aisleError.details));
  });

  app.setNotFoundHandler((request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0].slice(0, 200);
    const message = `No route ${request.method} ${path}. Routes: POST /v1/candidates, POST /v1/search, GET /v1/items, GET /v1/trending, GET /models/:file, GET /healthz.`;
    void reply.status(404).type('application/json').send(errorBody('AISLE_NOT_FOUND', message));
  });
}
