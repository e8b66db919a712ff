/** Checks of public call arguments; each failure is AISLE_INVALID_ARGUMENT naming the call and value. */
import { AisleError } from '../core/errors.js';
import { describe, MAX_ID_LENGTH, MAX_QUERY_LENGTH } from '../core/events.js';
import { MAX_LIVE_WEIGHT } from '../core/live-events.js';
import type { FusionWeights, ItemMeta, SearchFusion } from '../core/types.js';
import type { ItemFilter } from '../client/protocol.js';

/** Largest k of recommend() and search(). */
export const MAX_K = 100;
/** Maximum number of ids in the exclude option of recommend(). */
export const MAX_ITEMS = 500;
/** Maximum number of ids rank() reorders in one call, as many as the companion's largest k. */
export const MAX_RANK_ITEMS = 1000;

/** Returns k when it is an integer from 1 to MAX_K. */
export function checkK(call: string, k: unknown): number {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > MAX_K) {
    throw new AisleError('AISLE_INVALID_ARGUMENT', `${call}(): k must be an integer from 1 to ${MAX_K}; got ${describe(k)}.`, { details: { k } });
  }
  return k;
}

/** Returns the liveWeight option of recommend(): a number from 0 to MAX_LIVE_WEIGHT, default 0. */
export function checkLiveWeight(value: unknown): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_LIVE_WEIGHT) {
    throw new AisleError('AISLE_INVALID_ARGUMENT', `recommend(): liveWeight must be a number from 0 to ${MAX_LIVE_WEIGHT}; got ${describe(value)}.`, { details: { liveWeight: value } });
  }
  return value;
}

/** Returns `ids` when it is an array of at most `max` valid item ids. */
export function checkItemIds(call: string, name: string, ids: unknown, max = MAX_ITEMS): string[] {
  if (!Array.isArray(ids) || ids.length > max) {
    throw new AisleError('AISLE_INVALID_ARGUMENT', `${call}(): ${name} must be an array of at most ${max} item ids; got ${describe(ids)}.`);
  }
  for (const id of ids) {
    if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH) {
      throw new AisleError('AISLE_INVALID_ARGUMENT', `${call}(): every entry of ${name} must be a non-empty string of at most ${MAX_ID_LENGTH} characters; got ${describe(id)}.`);
    }
  }
  return ids as string[];
}

/** Returns the query when it is non-empty text of at most MAX_QUERY_LENGTH characters. */
export function checkQuery(query: unknown): string {
  if (typeof query !== 'string' || query.trim().length === 0 || query.length > MAX_QUERY_LENGTH) {
    throw new AisleError('AISLE_INVALID_ARGUMENT', `search(): query must be non-empty text of at most ${MAX_QUERY_LENGTH} characters; got ${describe(query)}.`);
  }
  return query.normalize('NFKC');
}

/** Most tags a search may require. */
export const MAX_SEARCH_TAGS = 64;

/** Returns `tags` when undefined or an array of 1 to MAX_SEARCH_TAGS distinct non-empty strings. */
export function checkTags(tags: unknown): string[] | undefined {
  if (tags === undefined) return undefined;
  const ok = Array.isArray(tags) && tags.length <= MAX_SEARCH_TAGS && tags.every((tag) => typeof tag === 'string' && tag.length > 0 && tag.length <= MAX_FILTER_VALUE_LENGTH);
  if (!ok) {
    throw new AisleError('AISLE_INVALID_ARGUMENT', `search(): options.tags must be an array of at most ${MAX_SEARCH_TAGS} tags of 1 to ${MAX_FILTER_VALUE_LENGTH} characters, like ['waterproof']; got ${describe(tags)}.`);
  }
  return [...new Set(tags as string[])];
}

/** Maximum length of a category or brand value in a filter, in characters. */
export const MAX_FILTER_VALUE_LENGTH = 256;
const FILTER_KEYS: readonly string[] = ['category', 'brand'];

/**
 * Returns `filter` when it is undefined or an object whose only keys are category and brand, each
 * a string of 1 to MAX_FILTER_VALUE_LENGTH characters. Without this check a value of another type
 * never matches an item, so the call would return no items and no reason.
 */
export function checkFilter(call: string, filter: unknown): ItemFilter | undefined {
  if (filter === undefined) return undefined;
  const invalid = (problem: string, value: unknown) =>
    new AisleError('AISLE_INVALID_ARGUMENT', `${call}(): context.filter${problem}; got ${describe(value)}.`, { details: { filter } });
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
    throw invalid(" must be an object like { category: 'Lipstick' }", filter);
  }
  for (const [key, value] of Object.entries(filter)) {
    if (!FILTER_KEYS.includes(key)) throw invalid(` may only have the keys category and brand, not ${JSON.stringify(key)}`, value);
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_FILTER_VALUE_LENGTH) {
      throw invalid(`.${key} must be a string of 1 to ${MAX_FILTER_VALUE_LENGTH} characters`, value);
    }
  }
  return filter as ItemFilter;
}

/** Returns whether an item passes an exact-match filter; no filter passes everything. */
export function matchesFilter(item: ItemMeta, filter: ItemFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.category !== undefined && item.category !== filter.category) return false;
  if (filter.brand !== undefined && item.brand !== filter.brand) return false;
  return true;
}

/**
 * Returns the fusion fields of the POST /v1/search body for search()'s `fusion` and `weights`
 * options: nothing when both are undefined, `weights` only with fusion 'weighted', each weight a
 * number in [0, 1].
 */
export function checkFusion(fusion: unknown, weights: unknown): { fusion?: SearchFusion; weights?: FusionWeights } {
  if (fusion === undefined && weights === undefined) return {};
  if (fusion !== 'rrf' && fusion !== 'weighted' && fusion !== 'learned') {
    throw new AisleError('AISLE_INVALID_ARGUMENT', `search(): options.fusion must be 'learned', 'rrf' or 'weighted'${weights === undefined ? '' : ' when options.weights is set'}; got ${describe(fusion)}.`);
  }
  if (weights === undefined) return { fusion };
  if (fusion !== 'weighted') throw new AisleError('AISLE_INVALID_ARGUMENT', `search(): options.weights applies only to fusion 'weighted'; got fusion ${describe(fusion)}. Remove weights or set fusion: 'weighted'.`);
  const ok = typeof weights === 'object' && weights !== null && !Array.isArray(weights)
    && Object.keys(weights).every((key) => key === 'bm25' || key === 'vector')
    && [(weights as FusionWeights).bm25, (weights as FusionWeights).vector].every((value) => typeof value === 'number' && value >= 0 && value <= 1);
  if (!ok) throw new AisleError('AISLE_INVALID_ARGUMENT', `search(): options.weights must be { bm25, vector } with each weight a number from 0 to 1, like { bm25: 0.4, vector: 0.6 }; got ${typeof weights === 'object' && weights !== null ? JSON.stringify(weights).slice(0, 80) : describe(weights)}.`);
  const { bm25, vector } = weights as FusionWeights;
  return { fusion, weights: { bm25, vector } };
}
