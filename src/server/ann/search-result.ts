/**
 * Search results without FAISS's padding. FAISS fills every query row up to k and marks the slots
 * it could not fill with label -1 (k > ntotal, an IVF search whose nprobe lists hold fewer than k
 * vectors, an HNSW graph walk that found fewer). Here those slots are dropped, so rows can be
 * shorter than k and are stored back to back, located by an offsets array (CSR layout).
 */
import type { NativeSearchOutput } from './native.js';

/**
 * Results of one search call over nq queries. Row i is `labels[offsets[i] .. offsets[i + 1])`
 * (and the same range of `distances`), nearest first, with at most k entries and never a -1 label
 * or a non-finite distance.
 */
export interface SearchResult {
  /** k requested by the caller. */
  k: number;
  /** Number of queries, so `offsets.length === nq + 1`. */
  nq: number;
  /** Labels of all rows, back to back: positions of the vectors in add order (0..ntotal-1). */
  labels: Int32Array;
  /** Scores matching `labels`: inner products for metric 'ip', squared L2 distances for 'l2'. */
  distances: Float32Array;
  /** Start of each row in `labels` and `distances`, plus the total length at index nq. */
  offsets: Uint32Array;
}

/** One query's results, nearest first. */
export interface SearchRow {
  labels: Int32Array;
  distances: Float32Array;
}

/**
 * Drops the padded slots (label -1) and any non-finite distance from a padded nq×width output.
 * width is the k passed to FAISS, which is at most the k requested.
 */
export function compactSearchOutput(output: NativeSearchOutput, nq: number, width: number, k: number): SearchResult {
  const labels = new Int32Array(nq * width);
  const distances = new Float32Array(nq * width);
  const offsets = new Uint32Array(nq + 1);
  let stored = 0;

  for (let row = 0; row < nq; row++) {
    offsets[row] = stored;
    for (let slot = row * width; slot < (row + 1) * width; slot++) {
      const label = output.labels[slot];
      const distance = output.distances[slot];
      if (label < 0 || !Number.isFinite(distance)) continue;
      labels[stored] = label;
      distances[stored] = distance;
      stored += 1;
    }
  }
  offsets[nq] = stored;

  return { k, nq, labels: labels.slice(0, stored), distances: distances.slice(0, stored), offsets };
}

/** Returns a result with nq empty rows, for a search of an empty index. */
export function emptySearchResult(nq: number, k: number): SearchResult {
  return { k, nq, labels: new Int32Array(0), distances: new Float32Array(0), offsets: new Uint32Array(nq + 1) };
}

/** Returns row i as views into the result's arrays (no copy). */
export function searchRow(result: SearchResult, i: number): SearchRow {
  const start = result.offsets[i];
  const end = result.offsets[i + 1];
  return { labels: result.labels.subarray(start, end), distances: result.distances.subarray(start, end) };
}

/** Splits a result into one row per query, as views into the result's arrays. */
export function searchRows(result: SearchResult): SearchRow[] {
  const rows: SearchRow[] = [];
  for (let i = 0; i < result.nq; i++) rows.push(searchRow(result, i));
  return rows;
}
