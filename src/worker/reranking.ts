/** Final ordering of rank() and search() results from ranker scores. */
import { MAX_PERSONAL_WEIGHT } from '../core/search-ranker.js';
import type { Candidate, Degraded, ItemRecord, ScoredItem } from '../core/types.js';
import type { ItemFilter } from '../client/protocol.js';
import { matchesFilter } from './arguments.js';
import { orderByScore, retrievalOrderScores, toItemMeta, type Scores } from './scoring.js';

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
 * Weight of the shopper's ranker score in the order of search results, against the companion's
 * search score. Chosen on tuning queries of amazon-scientific by `aisle eval --task search`
 * (docs/benchmarks.md): the text match decides, and behaviour reorders close matches.
 */
export const SEARCH_PERSONAL_WEIGHT = 0.05;

/**
 * The same weight for the companion's learned fusion, whose scores are read as the search ranker's
 * logits (see rankSearchHits), a wider scale than the other fusions' scores in [0, 1].
 */
export const LEARNED_PERSONAL_WEIGHT = 0.3;

/** Scale of the companion's search scores in rankSearchHits. */
export type SearchScoreScale = 'ratio' | 'logit';

/**
 * Returns the scale of a companion search method's scores and the personal weight for it. For the
 * learned fusion, `modelWeight` is the weight that `aisle train` chose for the catalog, passed on
 * by the companion from its search ranker. A missing or out-of-range one gives LEARNED_PERSONAL_WEIGHT.
 */
export function personalization(method: string | undefined, modelWeight?: number): { scale: SearchScoreScale; weight: number } {
  if (method !== 'learned') return { scale: 'ratio', weight: SEARCH_PERSONAL_WEIGHT };
  const usable = modelWeight !== undefined && Number.isFinite(modelWeight) && modelWeight >= 0 && modelWeight <= MAX_PERSONAL_WEIGHT;
  return { scale: 'logit', weight: usable ? modelWeight : LEARNED_PERSONAL_WEIGHT };
}

/**
 * Orders search hits for the shopper. Hit i (in the companion's order) scores
 *
 *   text(i) + weight · (ranker score i − mean) / standard deviation,
 *
 * where text(i) is searchScores[i] / max(searchScores) on the 'ratio' scale, and
 * log(searchScores[i] / max(searchScores)) on the 'logit' scale, which turns the learned fusion's
 * exp(logit − best logit) back into the search ranker's logit difference. The companion's text
 * relevance stays the main term and the ranker's view of the shopper moves items whose text
 * scores are close. When the ranker did not run, the companion's order is kept. Each result
 * carries in `lifted` how many places personalization moved it up.
 */
export function rankSearchHits(candidates: readonly Candidate[], searchScores: ArrayLike<number>, scored: Scores, k: number, weight: number = SEARCH_PERSONAL_WEIGHT, scale: SearchScoreScale = 'ratio'): ScoredItem[] {
  const n = candidates.length;
  let best = 0;
  for (let i = 0; i < n; i++) best = Math.max(best, searchScores[i]);
  const final = new Float64Array(n);
  // Logits of hits whose score underflowed to 0 stay far below the others but finite.
  for (let i = 0; i < n; i++) {
    if (best <= 0) final[i] = 0;
    else final[i] = scale === 'logit' ? Math.log(Math.max(searchScores[i] / best, 1e-30)) : searchScores[i] / best;
  }
  if (!scored.degraded && n > 1) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += scored.scores[i] / n;
    let variance = 0;
    for (let i = 0; i < n; i++) variance += (scored.scores[i] - mean) ** 2 / n;
    const deviation = Math.sqrt(variance);
    if (deviation > 0) for (let i = 0; i < n; i++) final[i] += (weight * (scored.scores[i] - mean)) / deviation;
  }
  return orderByScore(final)
    .slice(0, k)
    .map((index, position) => ({ id: candidates[index].item.id, score: final[index], item: toItemMeta(candidates[index].item), lifted: Math.max(0, index - position) }));
}
