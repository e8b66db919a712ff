/**
 * The two serving models (user tower and ranker) on one backend, behind the `ModelRunner`
 * interface the engine uses. A WebGPU result with NaN or Inf, or one score for every row of a
 * ranker input whose rows differ, switches the runner to wasm for good.
 */
import { AisleError } from '../core/errors.js';
import { RANKER_IO, TOWER_IO } from '../core/model-dir.js';
import type { TowerInput } from '../core/sequence.js';
import { isFiniteVector } from '../core/vector.js';
import type { Backend, LoadedOrt, OrtTensor } from './ort.js';
import { ModelSession } from './session.js';

/** Interface of the serving models for the engine; tests inject their own. */
export interface ModelRunner {
  /** Backend that runs the models now. */
  readonly backend: Backend;
  /** Reason the runner left WebGPU for wasm after loading, if it did. */
  readonly fallbackReason?: string;
  /** Returns the user vector [D] for one tower input of sequence length `seqLen`. */
  runTower(input: TowerInput, seqLen: number, dim: number): Promise<Float32Array>;
  /** Returns one score per row of the row-major feature matrix [rows × featureCount]. */
  runRanker(features: Float32Array, rows: number, featureCount: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/** Model bytes of one model set. */
export interface ModelBytes {
  tower: Uint8Array;
  ranker: Uint8Array;
}

/** The tower and ranker sessions of one backend. */
export interface SessionPair {
  backend: Backend;
  tower: ModelSession;
  ranker: ModelSession;
}

/** Creates the tower and ranker sessions on `backend`. */
export async function createSessionPair(loaded: LoadedOrt, backend: Backend, bytes: ModelBytes): Promise<SessionPair> {
  const providers = loaded.providers[backend];
  if (!providers) throw new AisleError('AISLE_MODEL_LOAD_FAILED', `Creating sessions failed: the loaded ONNX Runtime build has no ${backend} backend.`);
  const create = async (model: Uint8Array, name: string, level: 'basic' | 'all'): Promise<ModelSession> => {
    try {
      const session = await loaded.ort.InferenceSession.create(model, { executionProviders: providers, graphOptimizationLevel: level });
      return new ModelSession(session, name, backend);
    } catch (error) {
      throw new AisleError('AISLE_MODEL_LOAD_FAILED', `Creating the ${name} session on ${backend} failed: ${error instanceof Error ? error.message : String(error)}.`, { cause: error });
    }
  };
  const tower = await create(bytes.tower, 'user tower', 'all');
  try {
    // At 'basic' the int8 weights are dequantized once into float32 and each candidate's row is
    // scored on its own, as the JavaScript ranker does. Above it, onnxruntime-node 1.30 fuses
    // DequantizeLinear and MatMul into a kernel that quantizes activations with one scale per
    // batch, so a score would depend on the other candidates and coalesced runs would differ.
    return { backend, tower, ranker: await create(bytes.ranker, 'ranker', 'basic') };
  } catch (error) {
    await tower.dispose();
    throw error;
  }
}

/** ModelRunner on ONNX Runtime sessions. */
export class OrtModelRunner implements ModelRunner {
  fallbackReason?: string;
  private fallback?: Promise<SessionPair>;

  constructor(
    private readonly loaded: LoadedOrt,
    private pair: SessionPair,
    private readonly bytes: ModelBytes,
  ) {}

  get backend(): Backend {
    return this.pair.backend;
  }

  async runTower(input: TowerInput, seqLen: number, dim: number): Promise<Float32Array> {
    return this.runChecked('user tower', (pair) => runTowerOn(this.loaded, pair.tower, input, seqLen, dim));
  }

  async runRanker(features: Float32Array, rows: number, featureCount: number): Promise<Float32Array> {
    if (rows === 0) return new Float32Array(0);
    // A WebGPU kernel that reads zeroed or stale buffers returns one value for every row. A
    // ranker gives differing rows the same score only by chance, so that result is not trusted.
    const flat = (scores: Float32Array) => rows > 1 && allEqual(scores) && !rowsEqual(features, rows, featureCount);
    return this.runChecked('ranker', (pair) => runRankerOn(this.loaded, pair.ranker, features, rows, featureCount), flat);
  }

  async dispose(): Promise<void> {
    const fallback = this.fallback ? await this.fallback.catch(() => undefined) : undefined;
    for (const pair of new Set([this.pair, fallback])) {
      if (!pair) continue;
      await pair.ranker.dispose();
      await pair.tower.dispose();
    }
  }

  /**
   * Runs on the current pair. A non-finite WebGPU result, or one that `implausible` flags, moves
   * to wasm and runs again there; wasm results are only checked for NaN and Inf.
   */
  private async runChecked(name: string, run: (pair: SessionPair) => Promise<Float32Array>, implausible?: (output: Float32Array) => boolean): Promise<Float32Array> {
    const output = await run(this.pair);
    const finite = isFiniteVector(output);
    if (finite && (this.pair.backend !== 'webgpu' || !implausible?.(output))) return output;
    if (this.pair.backend !== 'webgpu') {
      throw new AisleError('AISLE_MODEL_RUN_FAILED', `The ${name} returned NaN or Inf on wasm; the model file is broken, so retrain it.`);
    }

    this.fallbackReason = finite ? `The ${name} returned the same score for every row of differing inputs on webgpu, so the models run on wasm.` : `The ${name} returned NaN or Inf on webgpu, so the models run on wasm.`;
    this.fallback ??= createSessionPair(this.loaded, 'wasm', this.bytes);
    const gpuPair = this.pair;
    this.pair = await this.fallback;
    await gpuPair.ranker.dispose();
    await gpuPair.tower.dispose();
    return this.runChecked(name, run, implausible);
  }
}

/** Returns whether every value equals the first. */
function allEqual(values: Float32Array): boolean {
  return values.every((value) => value === values[0]);
}

/** Returns whether every row of a row-major [rows × width] matrix equals the first row. */
function rowsEqual(matrix: Float32Array, rows: number, width: number): boolean {
  for (let row = 1; row < rows; row++) {
    for (let column = 0; column < width; column++) if (matrix[row * width + column] !== matrix[column]) return false;
  }
  return true;
}

/** Runs the user tower once and returns the user vector [dim]. */
export async function runTowerOn(loaded: LoadedOrt, session: ModelSession, input: TowerInput, seqLen: number, dim: number): Promise<Float32Array> {
  const { Tensor } = loaded.ort;
  const feeds: Record<string, OrtTensor> = {
    [TOWER_IO.itemVectors]: new Tensor('float32', input.itemVectors, [1, seqLen, dim]),
    [TOWER_IO.eventTypes]: new Tensor('int64', input.eventTypes, [1, seqLen]),
    [TOWER_IO.ages]: new Tensor('float32', input.ages, [1, seqLen]),
    [TOWER_IO.mask]: new Tensor('float32', input.mask, [1, seqLen]),
  };
  const output = (await session.run(feeds))[TOWER_IO.output];
  return readFloats(output, dim, 'user tower');
}

/** Runs the ranker once on a [rows × featureCount] matrix and returns [rows] scores. */
export async function runRankerOn(loaded: LoadedOrt, session: ModelSession, features: Float32Array, rows: number, featureCount: number): Promise<Float32Array> {
  const input = new loaded.ort.Tensor('float32', features, [rows, featureCount]);
  const output = (await session.run({ [RANKER_IO.input]: input }))[RANKER_IO.output];
  return readFloats(output, rows, 'ranker');
}

async function readFloats(tensor: OrtTensor | undefined, expected: number, name: string): Promise<Float32Array> {
  if (!tensor || tensor.type !== 'float32') {
    throw new AisleError('AISLE_MODEL_RUN_FAILED', `The ${name} returned no float32 output; the model does not follow the serving contract of model-dir.ts.`);
  }
  // WebGPU outputs may live on the GPU; getData() downloads them.
  const data = (await tensor.getData()) as Float32Array;
  if (data.length !== expected) {
    throw new AisleError('AISLE_MODEL_RUN_FAILED', `The ${name} returned ${data.length} values, expected ${expected}; the model does not match the manifest.`);
  }
  const copy = data.slice();
  tensor.dispose();
  return copy;
}
