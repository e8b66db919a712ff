/**
 * Starts the engine's module worker. A page may only start a worker from a script of its own
 * origin. So a worker script on another origin (a CDN serving the script-tag build) is started
 * through a same-origin blob module that imports it, and that import needs CORS on the script.
 */
import { AisleError } from '../core/errors.js';
import defaultWorkerUrl from '../worker/entry.ts?worker&url';

/** Starts the worker from `workerUrl`, or from the worker chunk emitted next to the SDK build. */
export function startWorker(workerUrl?: string | URL): Worker {
  const base = globalThis.location?.href;
  const url = new URL(workerUrl ?? defaultWorkerUrl, base);
  try {
    if (base === undefined || url.origin === new URL(base).origin) return new Worker(url, { type: 'module', name: 'aisle' });
    const source = `import ${JSON.stringify(url.href)};`;
    const blobUrl = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    return new Worker(blobUrl, { type: 'module', name: 'aisle' });
  } catch (error) {
    throw new AisleError('AISLE_WORKER_FAILED', `Starting the Aisle worker from ${url.href} failed: ${error instanceof Error ? error.message : String(error)}; pass the URL of aisle.worker.js as the workerUrl option.`, { cause: error });
  }
}
