/**
 * Exact k-nearest-neighbour search in TypeScript and recall@k, the oracle that approximate FAISS
 * indexes are measured against. O(nq·ntotal·dim): meant for tests and offline checks.
 */
import type { Metric } from './native.js';
import type { SearchResult } from './search-result.js';

/**
 * Searches the exact k nearest rows of `vectors` (row-major ntotal×dim) for each query, nearest
 * first, with scores in float64: inner product for 'ip', squared L2 distance for 'l2'. Ties keep
 * the lower label first. Returns the same layout as FaissIndex.search.
 */
export function exactSearch(vectors: Float32Array, dim: number, queries: Float32Array, k: number, metric: Metric = 'ip'): SearchResult {
  const ntotal = vectors.length / dim;
  const nq = queries.length / dim;
  const width = Math.min(k, ntotal);
  const labels = new Int32Array(nq * width);
  const distances = new Float32Array(nq * width);
  const offsets = new Uint32Array(nq + 1);

  for (let q = 0; q < nq; q++) {
    const top = topK(vectors, dim, queries.subarray(q * dim, (q + 1) * dim), width, metric);
    top.forEach(({ label, score }, j) => {
      labels[q * width + j] = label;
      distances[q * width + j] = score;
    });
    offsets[q + 1] = (q + 1) * width;
  }
  return { k, nq, labels, distances, offsets };
}

/** Returns the exact score of one stored row for a query, as exactSearch computes it. */
export function exactScore(vectors: Float32Array, dim: number, label: number, query: Float32Array, metric: Metric = 'ip'): number {
  const offset = label * dim;
  let sum = 0;
  for (let j = 0; j < dim; j++) {
    const value = metric === 'ip' ? vectors[offset + j] * query[j] : (vectors[offset + j] - query[j]) ** 2;
    sum += value;
  }
  return sum;
}

function topK(vectors: Float32Array, dim: number, query: Float32Array, k: number, metric: Metric): Array<{ label: number; score: number }> {
  // Kept sorted best first. k is small (tens), so sorted insertion is simple and fast enough.
  const top: Array<{ label: number; score: number }> = [];
  const better = (a: number, b: number): boolean => (metric === 'ip' ? a > b : a < b);
  const ntotal = vectors.length / dim;

  for (let label = 0; label < ntotal; label++) {
    const score = exactScore(vectors, dim, label, query, metric);
    if (top.length === k && !better(score, top[k - 1].score)) continue;

    let position = top.length === k ? k - 1 : top.length;
    if (top.length === k) top.pop();
    while (position > 0 && better(score, top[position - 1].score)) position -= 1;
    top.splice(position, 0, { label, score });
  }
  return top;
}

/**
 * Returns recall@k: the mean over queries of |approximate row ∩ exact top k| / |exact top k|.
 * Queries whose exact row is empty are skipped.
 */
export function recallAtK(approximate: SearchResult, exact: SearchResult, k: number): number {
  let total = 0;
  let counted = 0;
  for (let q = 0; q < exact.nq; q++) {
    const truthEnd = Math.min(exact.offsets[q] + k, exact.offsets[q + 1]);
    const truth = new Set(exact.labels.subarray(exact.offsets[q], truthEnd));
    if (truth.size === 0) continue;

    const foundEnd = Math.min(approximate.offsets[q] + k, approximate.offsets[q + 1]);
    let hits = 0;
    for (const label of approximate.labels.subarray(approximate.offsets[q], foundEnd)) if (truth.has(label)) hits += 1;
    total += hits / truth.size;
    counted += 1;
  }
  return counted === 0 ? 0 : total / counted;
}
