/**
 * Reciprocal rank fusion: an item's fused score is the sum, over the ranked lists that contain
 * it, of 1 / (RRF_K + rank), with rank starting at 1. It uses only ranks, so BM25 scores and
 * inner products need no common scale.
 */
import { queryRarity, SEARCH_FEATURE_COUNT, writeSearchFeatures, type ItemWords } from '../core/search-features.js';
import type { SearchRanker } from '../core/search-ranker.js';
import type { FusionWeights, SearchFusion } from '../core/types.js';
import { tokenize } from '../core/words.js';

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
export const DEFAULT_FUSION_WEIGHTS: FusionWeights = { bm25: 0.4, vector: 0.6 };

/** Fusion used when a search request names none and the models have no search ranker (with one, 'learned'). */
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

/** The catalog data that learnedFusion reads. */
export interface SearchCatalogView {
  /** The item's words, computed once per item (itemWords). */
  words(index: number): ItemWords;
  popularity(index: number): number;
  /** Items whose words include `word` exactly. */
  frequency(word: string): number;
  /** Items in the catalog. */
  readonly size: number;
}

/**
 * Returns the candidates of a query (every item in either list, BM25 list first) with their search
 * features, row-major [candidates, SEARCH_FEATURE_COUNT]. The companion's learned fusion and the
 * search ranker's training both call it, so both see the same features.
 */
export function searchCandidates(queryWords: readonly string[], bm25: readonly ScoredHit[], vector: readonly ScoredHit[], cosine: (index: number) => number, catalog: SearchCatalogView): { indices: number[]; features: Float32Array } {
  const best = bm25.reduce((high, hit) => Math.max(high, hit.score), 0);
  const lexical = new Map<number, { score: number; rank: number }>();
  bm25.forEach((hit, rank) => lexical.set(hit.index, { score: best > 0 ? hit.score / best : 0, rank }));
  const vectorRank = new Map<number, number>();
  vector.forEach((hit, rank) => vectorRank.set(hit.index, rank));
  const indices = [...new Set<number>([...bm25.map((hit) => hit.index), ...vector.map((hit) => hit.index)])];
  const cosines = indices.map((index) => cosine(index));
  const bestCosine = cosines.reduce((high, value) => Math.max(high, value), -1);
  const rarity = queryRarity(queryWords, (word) => catalog.frequency(word), catalog.size);
  const features = new Float32Array(indices.length * SEARCH_FEATURE_COUNT);
  const memo = queryWords.map(() => new Map<string, number>());
  indices.forEach((index, row) => {
    const text = lexical.get(index);
    writeSearchFeatures(features, row * SEARCH_FEATURE_COUNT, queryWords, rarity, catalog.words(index), { popularity: catalog.popularity(index) }, {
      bm25: text?.score ?? 0,
      bm25Rank: text?.rank ?? -1,
      cosine: cosines[row],
      bestCosine,
      vectorRank: vectorRank.get(index) ?? -1,
    }, memo);
  });
  return { indices, features };
}

/**
 * Orders every candidate of the two lists by the search ranker's score and returns the best k.
 * A hit's score is exp(ranker score − the best ranker score), in (0, 1]. That is the candidate's
 * likelihood over the best one's under the ranker's softmax, and it is 1 for the top hit like the
 * other fusions' best scores. Ties keep the first-seen order (BM25 list, then vector list).
 */
export function learnedFusion(query: string, bm25: readonly ScoredHit[], vector: readonly ScoredHit[], cosine: (index: number) => number, catalog: SearchCatalogView, ranker: SearchRanker, k: number): FusedHit[] {
  const { indices, features } = searchCandidates(tokenize(query), bm25, vector, cosine, catalog);
  const scores = ranker.score(features, indices.length);
  const best = scores.reduce((high, value) => Math.max(high, value), Number.NEGATIVE_INFINITY);
  return indices
    .map((index, row) => ({ index, score: scores[row], row }))
    .sort((a, b) => b.score - a.score || a.row - b.row)
    .slice(0, k)
    .map(({ index, score }) => ({ index, score: Math.exp(score - best) }));
}
