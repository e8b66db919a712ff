/**
 * Loads the model set of the engine in two stages. The manifest and the verified model bytes
 * come first, so the JavaScript ranker can score as soon as they are in. A runner on a chosen
 * backend follows, which needs ONNX Runtime's wasm compiled.
 */
import type { Manifest } from '../core/types.js';
import type { BackendSelection } from '../runtime/backend.js';
import type { FetchLike } from '../runtime/fetch.js';
import { loadManifest } from '../runtime/manifest.js';
import { loadModelBytes } from '../runtime/model-bytes.js';
import type { ModelBytes, ModelRunner } from '../runtime/model-runner.js';
import type { EventStore } from '../store/types.js';

/** Creates a runner from verified model bytes; the worker passes selectBackend, tests inject their own. */
export type RunnerFactory = (bytes: ModelBytes, manifest: Manifest) => Promise<{ runner: ModelRunner; selection?: BackendSelection }>;

/** The manifest and the verified bytes of both serving models. */
export interface ModelFiles {
  manifest: Manifest;
  bytes: ModelBytes;
}

/** A loaded model set. */
export interface LoadedModels extends ModelFiles {
  runner: ModelRunner;
  selection?: BackendSelection;
}

/** Minimum budget for fetching one model file, larger than a call budget because files are bigger. */
export const MODEL_FETCH_TIMEOUT_MS = 30_000;

/** Inputs of `loadModelFiles` and `loadModels`. */
export interface LoadModelsOptions {
  manifestUrl: string;
  fetch: FetchLike;
  store: EventStore;
  timeoutMs: number;
  /** Called as soon as the manifest is valid, before the model files are fetched. */
  onManifest?: (manifest: Manifest) => void;
}

/**
 * Fetches the manifest and both serving models, each checked against its sha256 (from the device
 * cache when it contains them). Rejects with the AisleError of the first failure.
 */
export async function loadModelFiles(options: LoadModelsOptions): Promise<ModelFiles> {
  const manifest = await loadManifest(options.manifestUrl, options.fetch, options.timeoutMs);
  options.onManifest?.(manifest);

  const source = { fetch: options.fetch, store: options.store, manifestUrl: options.manifestUrl, timeoutMs: Math.max(options.timeoutMs, MODEL_FETCH_TIMEOUT_MS) };
  const [tower, ranker] = await Promise.all([loadModelBytes(manifest.models.userTower, source), loadModelBytes(manifest.models.ranker, source)]);
  return { manifest, bytes: { tower, ranker } };
}

/** Loads the model files and creates the runner. Rejects with the AisleError of the first failure. */
export async function loadModels(options: LoadModelsOptions & { createRunner: RunnerFactory }): Promise<LoadedModels> {
  const files = await loadModelFiles(options);
  const { runner, selection } = await options.createRunner(files.bytes, files.manifest);
  return { ...files, runner, selection };
}
