/**
 * Argument checks run before any call into the FAISS addon, because FAISS trusts its inputs: a
 * wrong length reads past the buffer and a NaN silently poisons training or search. Each check
 * throws an AisleError that names the operation, the value and the allowed range.
 */
import { AisleError } from '../../core/errors.js';

/** Largest dim accepted by FaissIndex.create. */
export const MAX_DIM = 4096;

/** Largest ntotal: labels are returned as int32. */
export const MAX_NTOTAL = 2 ** 31 - 1;

/** Largest efSearch or nprobe: the addon passes both as int32. */
export const MAX_SEARCH_PARAMETER = 2 ** 31 - 1;

/** Checks that dim is an integer in 1..MAX_DIM. */
export function checkDim(operation: string, dim: unknown): asserts dim is number {
  if (typeof dim === 'number' && Number.isInteger(dim) && dim >= 1 && dim <= MAX_DIM) return;
  throw new AisleError('AISLE_INVALID_ARGUMENT', `${operation}: dim must be an integer in 1..${MAX_DIM}, got ${String(dim)}.`);
}

/**
 * Checks a row-major n×dim vector set and returns n. Rejects anything but a Float32Array, a length
 * that is not a multiple of dim and non-finite values (naming the first bad row and column).
 */
export function checkVectors(operation: string, vectors: unknown, dim: number): number {
  if (!(vectors instanceof Float32Array)) {
    let found: string = typeof vectors;
    if (vectors === null) found = 'null';
    else if (typeof vectors === 'object') found = vectors.constructor.name;
    throw new AisleError('AISLE_INVALID_VECTOR', `${operation}: vectors must be a row-major n×dim Float32Array, got ${found}.`);
  }

  if (vectors.length % dim !== 0) {
    throw new AisleError(
      'AISLE_INVALID_VECTOR',
      `${operation}: vectors length ${vectors.length} is not a multiple of dim ${dim}; pass n×${dim} values in row-major order.`,
    );
  }

  for (let i = 0; i < vectors.length; i++) {
    if (Number.isFinite(vectors[i])) continue;
    const row = Math.floor(i / dim);
    throw new AisleError(
      'AISLE_INVALID_VECTOR',
      `${operation}: vector ${row} has the non-finite value ${vectors[i]} at column ${i - row * dim}; every value must be a finite number.`,
    );
  }
  return vectors.length / dim;
}

/** Checks that k is an integer ≥ 1. Values above ntotal are allowed: the search returns what exists. */
export function checkK(operation: string, k: unknown): asserts k is number {
  if (typeof k === 'number' && Number.isInteger(k) && k >= 1 && k <= MAX_NTOTAL) return;
  throw new AisleError('AISLE_INVALID_ARGUMENT', `${operation}: k must be an integer in 1..${MAX_NTOTAL}, got ${String(k)}.`);
}

/** Checks an optional efSearch or nprobe value: undefined, or an integer in 1..MAX_SEARCH_PARAMETER. */
export function checkSearchParameter(operation: string, name: 'efSearch' | 'nprobe', value: unknown): void {
  if (value === undefined) return;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_SEARCH_PARAMETER) return;
  throw new AisleError(
    'AISLE_INVALID_ARGUMENT',
    `${operation}: ${name} must be an integer in 1..${MAX_SEARCH_PARAMETER}, got ${String(value)}.`,
  );
}
