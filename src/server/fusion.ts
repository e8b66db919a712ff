/**
 * Reciprocal rank fusion: an item's fused score is the sum, over the ranked lists that contain
 * it, of 1 / (RRF_K + rank), with rank starting at 1. It uses only ranks, so BM25 scores and
 * inner products need no common scale.
 */
import type { FusionWeights, SearchFusion } from '../core/types.js';

/**
 * Rank offset of reciprocal rank fusion. A large offset flattens the curve, so agreement between
 * lists wins: rank 10 in both lists scores 2/70, above rank 1 in one list (1/61). With an offset
 * of 1 the single top rank would win (1/2 against 2/11).
 */
export const RRF_K = 60;

/** One fused result: the catalog index of the item and its fused score. */
export interface FusedHit {
  index: number;
  score: number;
}

/**
 * Fuses ranked lists of catalog indices (best first) and returns up to k items, best first.
 * Ties keep the order in which items were first seen, list by list, so results are deterministic.
 */
export function reciprocalRankFusion(lists: ReadonlyArray<readonly number[]>, k: number): FusedHit[] {
  const scores = new Map<number, number>();
  for (const list of lists) {
    list.forEach((index, position) => {
      scores.set(index, (scores.get(index) ?? 0) + 1 / (RRF_K + position + 1));
    });
  }
  return [...scores.entries()]
    .map(([index, score]) => ({ index, score }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}

/**
 * Default weights of the weighted fusion: chosen on tuning queries of amazon-scientific by
 * `aisle eval --task search` (docs/benchmarks.md).
 */
export const DEFAULT_FUSION_WEIGHTS: FusionWeights = { bm25: 0.5, vector: 0.5 };

/** Fusion used when a search request names none. */
export const DEFAULT_FUSION: SearchFusion = 'weighted';

/** Depth of the BM25 and vector lists that are fused, when k is smaller. */
export const FUSION_DEPTH = 100;

/** A scored hit of one retrieval list: the catalog index of the item and its score. */
export interface ScoredHit {
  index: number;
  score: number;
}

/**
 * Fuses BM25 and vector hits by a weighted sum of scores on a fixed scale. Every candidate (an item
 * in either list) scores
 *
 *   weights.bm25 · bm25 / (the best bm25 of the query) + weights.vector · cosine,
 *
 * where `cosine(index)` is the inner product of the query vector and the item's unit vector, for
 * every candidate, including those outside the vector list. An item that matches no query word
 * has BM25 0. Dividing by the best BM25 score only, not min-max, keeps 0 meaning "no word
 * matched", and the cosine needs no rescaling, so a candidate's score does not depend on which
 * other items happened to be retrieved. Ties keep the first-seen order (BM25 list, then vector list).
 */
export function weightedFusion(bm25: readonly ScoredHit[], vector: readonly ScoredHit[], cosine: (index: number) => number, weights: FusionWeights, k: number): FusedHit[] {
  const best = bm25.reduce((high, hit) => Math.max(high, hit.score), 0);
  const lexical = new Map<number, number>();
  for (const hit of bm25) lexical.set(hit.index, best > 0 ? hit.score / best : 0);
  const candidates = new Set<number>([...bm25.map((hit) => hit.index), ...vector.map((hit) => hit.index)]);
  return [...candidates]
    .map((index) => ({ index, score: weights.bm25 * (lexical.get(index) ?? 0) + weights.vector * cosine(index) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}
