/** Loads the model set of the engine: manifest, verified bytes, then a runner on a chosen backend. */
import type { Manifest } from '../core/types.js';
import type { BackendSelection } from '../runtime/backend.js';
import type { FetchLike } from '../runtime/fetch.js';
import { loadManifest } from '../runtime/manifest.js';
import { loadModelBytes } from '../runtime/model-bytes.js';
import type { ModelBytes, ModelRunner } from '../runtime/model-runner.js';
import type { EventStore } from '../store/types.js';

/** Creates a runner from verified model bytes; the worker passes selectBackend, tests inject their own. */
export type RunnerFactory = (bytes: ModelBytes, manifest: Manifest) => Promise<{ runner: ModelRunner; selection?: BackendSelection }>;

/** A loaded model set. */
export interface LoadedModels {
  manifest: Manifest;
  runner: ModelRunner;
  selection?: BackendSelection;
}

/** Minimum budget for fetching one model file, larger than a call budget because files are bigger. */
export const MODEL_FETCH_TIMEOUT_MS = 30_000;

/** Inputs of `loadModels`. */
export interface LoadModelsOptions {
  manifestUrl: string;
  fetch: FetchLike;
  store: EventStore;
  timeoutMs: number;
  createRunner: RunnerFactory;
  /** Called as soon as the manifest is valid, before the model files are fetched. */
  onManifest?: (manifest: Manifest) => void;
}

/**
 * Fetches the manifest and both serving models (each checked against its sha256 before any
 * session exists) and creates the runner. Rejects with the AisleError of the first failure.
 */
export async function loadModels(options: LoadModelsOptions): Promise<LoadedModels> {
  const manifest = await loadManifest(options.manifestUrl, options.fetch, options.timeoutMs);
  options.onManifest?.(manifest);

  const source = { fetch: options.fetch, store: options.store, manifestUrl: options.manifestUrl, timeoutMs: Math.max(options.timeoutMs, MODEL_FETCH_TIMEOUT_MS) };
  const [tower, ranker] = await Promise.all([loadModelBytes(manifest.models.userTower, source), loadModelBytes(manifest.models.ranker, source)]);
  const { runner, selection } = await options.createRunner({ tower, ranker }, manifest);
  return { manifest, runner, selection };
}
