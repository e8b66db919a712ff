/**
 * Reciprocal rank fusion: an item's fused score is the sum, over the ranked lists that contain
 * it, of 1 / (RRF_K + rank), with rank starting at 1. It uses only ranks, so BM25 scores and
 * inner products need no common scale.
 */
import type { FusionWeights } from '../core/types.js';

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
export const DEFAULT_FUSION_WEIGHTS: FusionWeights = { bm25: 0.3, vector: 0.7 };

/** Depth of the BM25 and vector lists that are fused, when k is smaller. */
export const FUSION_DEPTH = 100;

/** One scored list for `weightedFusion`: hits best first, and the list's weight. */
export interface WeightedList {
  hits: ReadonlyArray<{ index: number; score: number }>;
  weight: number;
}

/**
 * Fuses scored lists by a weighted sum of min-max normalized scores. Within each list the best
 * score maps to 1 and the worst to 0 (all 1 when they are equal). An item missing from a list
 * gets 0 from it. Unlike reciprocal rank fusion it keeps how far apart the
 * scores are, so one very strong match can outrank agreement between weak ones.
 */
export function weightedFusion(lists: readonly WeightedList[], k: number): FusedHit[] {
  const scores = new Map<number, number>();
  for (const { hits, weight } of lists) {
    if (hits.length === 0) continue;
    const values = hits.map((hit) => hit.score);
    const high = Math.max(...values);
    const low = Math.min(...values);
    for (const hit of hits) {
      const normalized = high > low ? (hit.score - low) / (high - low) : 1;
      scores.set(hit.index, (scores.get(hit.index) ?? 0) + weight * normalized);
    }
  }
  return [...scores.entries()]
    .map(([index, score]) => ({ index, score }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
}
