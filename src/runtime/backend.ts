/**
 * Backend choice. WASM always works. When WebGPU is requested or `auto` finds an adapter, both
 * backends are timed on the real models and `auto` keeps the faster one. Both timings are
 * reported. A software adapter (SwiftShader) is far slower than wasm (76 ms against 0.9 ms in
 * sdk-webgpu.spec.ts on a 2-core machine), so `auto` keeps wasm there.
 */
import { FEATURE_COUNT } from '../core/features.js';
import { buildTowerInput } from '../core/sequence.js';
import type { Manifest } from '../core/types.js';
import { createSessionPair, OrtModelRunner, runRankerOn, runTowerOn, type ModelBytes, type SessionPair } from './model-runner.js';
import type { Backend, LoadedOrt, OrtLoader } from './ort.js';

/** Backend requested by the page. */
export type BackendRequest = 'auto' | 'wasm' | 'webgpu';

/** Median milliseconds of one tower run plus one ranker run over TIMING_ROWS candidates. */
export type BackendTimings = Partial<Record<Backend, number>>;

/** Rows of the ranker batch used for timing, a typical candidate set size. */
export const TIMING_ROWS = 200;
const TIMING_REPEATS = 5;

/** The chosen backend and how it was chosen. */
export interface BackendSelection {
  backend: Backend;
  requested: BackendRequest;
  timings: BackendTimings;
  /** Whether a WebGPU adapter was found, and whether it is a software fallback adapter. */
  webgpu: { adapter: boolean; fallbackAdapter?: boolean };
  /** Reason the backend in use differs from the requested one, if it does. */
  reason?: string;
}

/** Inputs of `selectBackend`. */
export interface SelectBackendOptions {
  request: BackendRequest;
  loadOrt: OrtLoader;
  bytes: ModelBytes;
  manifest: Manifest;
  /** Probes WebGPU; defaults to navigator.gpu.requestAdapter(). */
  probeWebGpu?: () => Promise<{ adapter: boolean; fallbackAdapter?: boolean }>;
  now?: () => number;
}

/** Loads the models, picks the backend and returns a runner on it. */
export async function selectBackend(options: SelectBackendOptions): Promise<{ runner: OrtModelRunner; selection: BackendSelection }> {
  const { request, bytes } = options;
  const now = options.now ?? (() => performance.now());
  const webgpu = request === 'wasm' ? { adapter: false } : await (options.probeWebGpu ?? probeWebGpu)();

  if (!webgpu.adapter) {
    const loaded = await options.loadOrt('wasm');
    const pair = await createSessionPair(loaded, 'wasm', bytes);
    const timings = { wasm: await timePair(loaded, pair, options.manifest, now) };
    const reason = request === 'webgpu' ? 'WebGPU was requested but navigator.gpu gave no adapter, so the models run on wasm.' : undefined;
    return { runner: new OrtModelRunner(loaded, pair, bytes), selection: { backend: 'wasm', requested: request, timings, webgpu, reason } };
  }

  const loaded = await options.loadOrt('webgpu');
  const wasmPair = await createSessionPair(loaded, 'wasm', bytes);
  let gpuPair: SessionPair;
  try {
    gpuPair = await createSessionPair(loaded, 'webgpu', bytes);
  } catch (error) {
    const timings = { wasm: await timePair(loaded, wasmPair, options.manifest, now) };
    const reason = `Creating WebGPU sessions failed (${error instanceof Error ? error.message : String(error)}), so the models run on wasm.`;
    return { runner: new OrtModelRunner(loaded, wasmPair, bytes), selection: { backend: 'wasm', requested: request, timings, webgpu, reason } };
  }

  const timings = { wasm: await timePair(loaded, wasmPair, options.manifest, now), webgpu: await timePair(loaded, gpuPair, options.manifest, now) };
  const useGpu = request === 'webgpu' || timings.webgpu < timings.wasm;
  const [keep, drop] = useGpu ? [gpuPair, wasmPair] : [wasmPair, gpuPair];
  await drop.ranker.dispose();
  await drop.tower.dispose();
  return { runner: new OrtModelRunner(loaded, keep, bytes), selection: { backend: keep.backend, requested: request, timings, webgpu } };
}

/** Asks navigator.gpu for an adapter; false where WebGPU is missing or disabled. */
export async function probeWebGpu(): Promise<{ adapter: boolean; fallbackAdapter?: boolean }> {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<unknown> } } | undefined)?.gpu;
  if (!gpu) return { adapter: false };
  try {
    const adapter = (await gpu.requestAdapter()) as { isFallbackAdapter?: boolean; info?: { isFallbackAdapter?: boolean } } | null;
    if (!adapter) return { adapter: false };
    return { adapter: true, fallbackAdapter: adapter.info?.isFallbackAdapter ?? adapter.isFallbackAdapter ?? false };
  } catch {
    return { adapter: false };
  }
}

/** Returns the median time of TIMING_REPEATS tower + ranker runs, after one warm-up run. */
async function timePair(loaded: LoadedOrt, pair: SessionPair, manifest: Manifest, now: () => number): Promise<number> {
  // One real position, so a tower that averages over the mask does not divide by zero.
  const towerInput = buildTowerInput([], manifest.seqLen, manifest.dim, 0, false);
  const last = manifest.seqLen - 1;
  towerInput.itemVectors[last * manifest.dim] = 1;
  towerInput.eventTypes[last] = 1n;
  towerInput.mask[last] = 1;
  const features = new Float32Array(TIMING_ROWS * FEATURE_COUNT);
  const once = async (): Promise<number> => {
    const start = now();
    await runTowerOn(loaded, pair.tower, towerInput, manifest.seqLen, manifest.dim);
    await runRankerOn(loaded, pair.ranker, features, TIMING_ROWS, FEATURE_COUNT);
    return now() - start;
  };
  await once();
  const samples: number[] = [];
  for (let i = 0; i < TIMING_REPEATS; i++) samples.push(await once());
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}
