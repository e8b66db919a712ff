/** A time limit for work the worker cannot cancel, such as a model run that never settles. */
import { AisleError } from '../core/errors.js';

/**
 * Returns `work`'s outcome, or rejects with AISLE_TIMEOUT after `ms` milliseconds. The work
 * itself goes on; only the caller stops waiting for it.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AisleError('AISLE_TIMEOUT', `${what} did not finish within timeoutMs = ${ms} ms.`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
