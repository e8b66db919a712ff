/**
 * POST /admin/reload: reloads the models directory while the server keeps serving requests. The route
 * exists only when the server was started with an admin token, and it requires the header
 * `Authorization: Bearer <token>`. Browsers cannot send that header cross-origin, because the
 * CORS preflight allows only Content-Type.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { AisleError } from '../../core/errors.js';
import type { ReloadResult, Reloader } from '../reload.js';

/** Shortest admin token accepted, so a token cannot be guessed by trying. */
export const MIN_ADMIN_TOKEN_LENGTH = 16;

/** Minimum time between two log lines about rejected admin requests, so guessing cannot flood the log. */
const REJECTION_LOG_INTERVAL_MS = 60_000;

/** Throws AISLE_INVALID_ARGUMENT unless the token is long enough and has no whitespace. */
export function checkAdminToken(token: string): void {
  if (token.length >= MIN_ADMIN_TOKEN_LENGTH && !/\s/.test(token)) return;
  throw new AisleError(
    'AISLE_INVALID_ARGUMENT',
    `The admin token must have at least ${MIN_ADMIN_TOKEN_LENGTH} characters and no whitespace, got ${token.length} characters. Generate one with \`openssl rand -hex 24\`.`,
  );
}

/** Returns the token of an `Authorization: Bearer <token>` header, or '' for any other header. */
export function presentedToken(header: string | undefined): string {
  // The scheme name is case-insensitive (RFC 9110, section 11.1).
  return /^Bearer +(\S+)$/i.exec(header ?? '')?.[1] ?? '';
}

// Compares digests, so the time taken does not depend on how much of the token matched.
function sameToken(presented: string, expected: Buffer): boolean {
  return timingSafeEqual(createHash('sha256').update(presented).digest(), expected);
}

/** Registers POST /admin/reload, guarded by `token`. */
export function registerAdminRoutes(app: FastifyInstance, reloader: Reloader, token: string): void {
  checkAdminToken(token);
  const expected = createHash('sha256').update(token).digest();
  let rejectedSinceLog = 0;
  let lastLogAt = Number.NEGATIVE_INFINITY;

  app.post('/admin/reload', async (request): Promise<ReloadResult> => {
    const presented = presentedToken(request.headers.authorization);
    if (!sameToken(presented, expected)) {
      rejectedSinceLog += 1;
      if (Date.now() - lastLogAt >= REJECTION_LOG_INTERVAL_MS) {
        request.log.warn({ ip: request.ip, rejected: rejectedSinceLog }, 'admin requests rejected: missing or wrong token');
        rejectedSinceLog = 0;
        lastLogAt = Date.now();
      }
      throw new AisleError('AISLE_UNAUTHORIZED', 'POST /admin/reload needs the header `Authorization: Bearer <token>` with the admin token the server was started with.');
    }
    return reloader.reload();
  });
}
