/**
 * Loader and types of the FAISS addon (native/faiss/addon.cc). Only faiss.ts calls it: the addon
 * trusts its caller, so every argument is validated there first.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

import { AisleError } from '../../core/errors.js';

/** Path of the built addon, as written by `npm run build:native`. */
export const ADDON_PATH = fileURLToPath(new URL('../../../native/faiss/build/Release/aisle_faiss.node', import.meta.url));

/** Index family, found by the addon with dynamic casts on the faiss::Index. */
export type IndexKind = 'flat' | 'hnsw' | 'ivf' | 'other';

/** Similarity of the index: inner product (higher is nearer) or squared L2 distance (lower is nearer). */
export type Metric = 'ip' | 'l2';

/** Padded FAISS output: nq×k row-major, label -1 in the slots FAISS could not fill. */
export interface NativeSearchOutput {
  distances: Float32Array;
  labels: Int32Array;
}

/** JavaScript object of one faiss::Index owned by the addon. */
export interface NativeIndex {
  readonly ntotal: number;
  readonly dim: number;
  readonly isTrained: boolean;
  readonly kind: IndexKind;
  readonly metric: Metric | 'other';
  /** Number of inverted lists of an IVF index (also inside a wrapper), 0 for other families. */
  readonly nlist: number;
  readonly disposed: boolean;
  train(vectors: Float32Array): Promise<void>;
  add(vectors: Float32Array): Promise<void>;
  /** efSearch and nprobe are 0 when not set. */
  search(queries: Float32Array, k: number, efSearch: number, nprobe: number): Promise<NativeSearchOutput>;
  write(path: string): Promise<void>;
  setParameter(name: string, value: number): void;
  dispose(): void;
}

/** Exports of aisle_faiss.node. */
export interface FaissAddon {
  Index: new (dim: number, description: string, metric: Metric) => NativeIndex;
  readIndex(path: string): Promise<NativeIndex>;
  /** Version of the FAISS headers the addon was compiled against, for example "1.7.3". */
  faissVersion: string;
}

let cached: FaissAddon | undefined;

/** Loads the addon once; throws AISLE_NATIVE_UNAVAILABLE naming the path when it is not built. */
export function loadFaissAddon(): FaissAddon {
  if (cached) return cached;

  if (!existsSync(ADDON_PATH)) {
    throw new AisleError(
      'AISLE_NATIVE_UNAVAILABLE',
      `Loading the FAISS addon failed: ${ADDON_PATH} does not exist. Build it with \`npm run build:native\`.`,
      { details: { path: ADDON_PATH } },
    );
  }

  try {
    const require = createRequire(import.meta.url);
    cached = require(ADDON_PATH) as FaissAddon;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new AisleError(
      'AISLE_NATIVE_UNAVAILABLE',
      `Loading the FAISS addon ${ADDON_PATH} failed: ${reason}. Rebuild it with \`npm run build:native -- --force\`.`,
      { cause: error, details: { path: ADDON_PATH } },
    );
  }
  return cached;
}
