/**
 * Model bytes: read from the device cache by sha256 or fetched, and always checked against the
 * manifest's sha256 before any session is created from them.
 */
import { AisleError } from '../core/errors.js';
import type { ModelFileEntry } from '../core/types.js';
import type { EventStore } from '../store/types.js';
import { fetchWithTimeout, type FetchLike } from './fetch.js';
import { sha256Hex } from './sha256.js';

/** Source and cache of model bytes. */
export interface ModelBytesSource {
  fetch: FetchLike;
  store: EventStore;
  /** URL of the manifest; model file names are relative to it. */
  manifestUrl: string;
  timeoutMs: number;
}

/**
 * Returns the verified bytes of one model file. Cached bytes that fail the check are dropped
 * and fetched again; fetched bytes that fail it raise AISLE_MODEL_CHECKSUM_MISMATCH.
 */
export async function loadModelBytes(entry: ModelFileEntry, source: ModelBytesSource): Promise<Uint8Array> {
  const cached = await source.store.getModel(entry.sha256).catch(() => undefined);
  if (cached && (await sha256Hex(cached)) === entry.sha256) return cached;
  if (cached) await source.store.deleteModel(entry.sha256).catch(() => undefined);

  const url = new URL(entry.file, source.manifestUrl).href;
  const response = await fetchWithTimeout(source.fetch, url, {}, source.timeoutMs, `Fetching model ${entry.file}`);
  if (!response.ok) {
    throw new AisleError('AISLE_MODEL_LOAD_FAILED', `Fetching model ${url} failed with HTTP ${response.status}; check that the companion serves the models directory of the manifest.`);
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const actual = await sha256Hex(bytes);
  if (actual !== entry.sha256) {
    throw new AisleError('AISLE_MODEL_CHECKSUM_MISMATCH', `Model ${url} has sha256 ${actual} but the manifest expects ${entry.sha256}; the file and manifest.json come from different training runs, so redeploy them together.`, {
      details: { file: entry.file, expected: entry.sha256, actual },
    });
  }

  // A full quota only costs the cache, not the model.
  await source.store.putModel(entry.sha256, bytes).catch(() => undefined);
  return bytes;
}
