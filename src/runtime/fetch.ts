/** fetch with a time budget, turning network failures into coded errors. */
import { AisleError } from '../core/errors.js';

/** The subset of `fetch` the worker uses; tests inject their own. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/**
 * Calls `fetchImpl` and aborts after `timeoutMs`. Rejects with AISLE_TIMEOUT on the budget and
 * AISLE_COMPANION_UNREACHABLE when the request fails before any response. `operation` names
 * the call in messages.
 */
export async function fetchWithTimeout(fetchImpl: FetchLike, url: string, init: RequestInit, timeoutMs: number, operation: string): Promise<Response> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    return await fetchImpl(url, { ...init, signal: controller.signal });
  } catch (error) {
    if (controller.signal.aborted) {
      throw new AisleError('AISLE_TIMEOUT', `${operation} (${url}) timed out after ${timeoutMs} ms; raise timeoutMs or check the companion.`, { cause: error });
    }
    throw new AisleError('AISLE_COMPANION_UNREACHABLE', `${operation} (${url}) failed: ${error instanceof Error ? error.message : String(error)}; check that the companion runs and allows this origin (CORS).`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}
