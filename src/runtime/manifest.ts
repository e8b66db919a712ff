/**
 * Fetches and checks manifest.json before any model is loaded: the worker refuses a model set
 * whose ranker features differ from the FEATURE_NAMES of the core it runs.
 */
import { AisleError } from '../core/errors.js';
import { describe } from '../core/events.js';
import { FEATURE_NAMES } from '../core/features.js';
import type { Manifest, ModelFileEntry } from '../core/types.js';
import { fetchWithTimeout, type FetchLike } from './fetch.js';

/** Fetches `url` and returns the validated manifest. */
export async function loadManifest(url: string, fetchImpl: FetchLike, timeoutMs: number): Promise<Manifest> {
  const response = await fetchWithTimeout(fetchImpl, url, {}, timeoutMs, 'Fetching the model manifest');
  if (!response.ok) {
    throw new AisleError('AISLE_MODEL_LOAD_FAILED', `Fetching the model manifest ${url} failed with HTTP ${response.status}; check the \`models\` option of createAisle.`);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch (error) {
    throw new AisleError('AISLE_MANIFEST_INVALID', `The model manifest ${url} is not valid JSON.`, { cause: error });
  }
  return validateManifest(body, url);
}

/** Checks the fields the worker reads; throws AISLE_MANIFEST_INVALID or AISLE_FEATURES_MISMATCH. */
export function validateManifest(body: unknown, url: string): Manifest {
  const bad = (field: string, value: unknown, expected: string): never => {
    throw new AisleError('AISLE_MANIFEST_INVALID', `The model manifest ${url} has an invalid ${field}: expected ${expected}, got ${describe(value)}; retrain with \`aisle train\`.`);
  };
  if (typeof body !== 'object' || body === null) bad('body', body, 'an object');
  const manifest = body as Manifest;
  if (manifest.format !== 1) bad('format', manifest.format, '1');
  if (!Number.isInteger(manifest.dim) || manifest.dim <= 0) bad('dim', manifest.dim, 'a positive integer');
  if (!Number.isInteger(manifest.seqLen) || manifest.seqLen <= 0) bad('seqLen', manifest.seqLen, 'a positive integer');
  if (typeof manifest.version !== 'string') bad('version', manifest.version, 'a string');
  checkEntry(manifest.models?.userTower, 'models.userTower', bad);
  checkEntry(manifest.models?.ranker, 'models.ranker', bad);

  const features = manifest.features;
  const same = Array.isArray(features) && features.length === FEATURE_NAMES.length && features.every((name, i) => name === FEATURE_NAMES[i]);
  if (!same) {
    throw new AisleError('AISLE_FEATURES_MISMATCH', `The ranker of ${url} was trained on features [${String(features)}] but this SDK computes [${FEATURE_NAMES.join(',')}]; retrain the models with this version of Aisle.`);
  }
  return manifest;
}

function checkEntry(entry: ModelFileEntry | undefined, field: string, bad: (field: string, value: unknown, expected: string) => never): void {
  if (typeof entry !== 'object' || entry === null) bad(field, entry, 'an object with file and sha256');
  if (typeof entry.file !== 'string' || entry.file.length === 0) bad(`${field}.file`, entry.file, 'a file name');
  if (typeof entry.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(entry.sha256)) bad(`${field}.sha256`, entry.sha256, '64 lowercase hex digits');
}
