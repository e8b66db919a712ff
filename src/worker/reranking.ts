/** Final ordering of rank() and search() results from ranker scores. */
import type { Candidate, Degraded, ItemRecord, ScoredItem } from '../core/types.js';
import type { ItemFilter } from '../client/protocol.js';
import { matchesFilter } from './arguments.js';
import { orderByScore, retrievalOrderScores, toItemMeta, type Scores } from './scoring.js';

/** Reciprocal rank fusion constant: larger values flatten the advantage of the top ranks. */
export const RRF_K = 60;

/**
 * Orders the ids given to rank(). `candidates` are the ids with records, in input order, and
 * `scores` their scores. Items matching `filter` come first, then the others, each group by
 * score. Ids without a record (not in the catalog) follow in input order with score -Infinity.
 * With no records at all (companion down) the input order is kept.
 */
export function rankGiven(ids: readonly string[], records: ReadonlyMap<string, ItemRecord>, scores: ArrayLike<number>, candidates: readonly Candidate[], filter: ItemFilter | undefined): ScoredItem[] {
  if (records.size === 0) {
    const fallback = retrievalOrderScores(ids.length);
    return ids.map((id, i) => ({ id, score: fallback[i] }));
  }

  const ranked = orderByScore(scores).map((index) => ({ id: candidates[index].item.id, score: scores[index], item: toItemMeta(candidates[index].item) }));
  const matching = ranked.filter((entry) => matchesFilter(entry.item, filter));
  const others = ranked.filter((entry) => !matchesFilter(entry.item, filter));
  const unknown = ids.filter((id) => !records.has(id)).map((id) => ({ id, score: Number.NEGATIVE_INFINITY }));
  return [...matching, ...others, ...unknown];
}

/** Returns ids that the catalog does not contain, in input order, each with score -Infinity. */
export function rankUnknown(ids: readonly string[]): ScoredItem[] {
  return ids.map((id) => ({ id, score: Number.NEGATIVE_INFINITY }));
}

/** Returns the degraded reason of a rank() call where no given id is in the catalog. */
export function noneInCatalog(count: number): Degraded {
  return { code: 'AISLE_NOT_FOUND', reason: `rank(): none of the ${count} ids is in the catalog, so the input order is kept; check that the ids match the catalog's item ids.` };
}

/**
 * Orders search hits by reciprocal rank fusion of the companion's text order and the ranker's
 * order, so the shopper's behaviour reorders the results without losing text relevance.
 * When the ranker did not run, the companion's order is kept.
 */
export function rankSearchHits(candidates: readonly Candidate[], scored: Scores, k: number): ScoredItem[] {
  const fused = new Float64Array(candidates.length);
  if (scored.degraded) {
    fused.set(scored.scores);
  } else {
    orderByScore(scored.scores).forEach((index, rankerRank) => {
      fused[index] = 1 / (RRF_K + 1 + index) + 1 / (RRF_K + 1 + rankerRank);
    });
  }
  return orderByScore(fused)
    .slice(0, k)
    .map((index) => ({ id: candidates[index].item.id, score: fused[index], item: toItemMeta(candidates[index].item) }));
}
