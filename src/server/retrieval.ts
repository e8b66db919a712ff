/**
 * Candidate retrieval for a user vector: ANN search with exclusions and exact-match metadata
 * filters. Excluded items are over-fetched from the index, so up to k remain after dropping them.
 */
import { dot } from '../core/vector.js';
import type { AnnHit, AnnSource } from './ann-source.js';
import type { Catalog } from './catalog.js';

/** Exact-match filter on item metadata; an absent field matches every item. */
export interface ItemFilter {
  category?: string;
  brand?: string;
}

/**
 * Largest number of filter matches scored by an exact scan. Up to this size a scan costs about
 * dim × matches multiply-adds and returns exactly the best k. Larger match sets are searched in
 * the index with over-fetching instead.
 */
export const EXACT_SCAN_LIMIT = 20_000;

/** Largest number of ANN results fetched for one filtered request. */
const MAX_FILTER_FETCH = 10_000;

function matchesFilter(catalog: Catalog, index: number, filter: ItemFilter): boolean {
  const item = catalog.items[index];
  if (filter.category !== undefined && item.category !== filter.category) return false;
  if (filter.brand !== undefined && item.brand !== filter.brand) return false;
  return true;
}

function scanExact(catalog: Catalog, vector: Float32Array, rows: readonly number[], k: number): AnnHit[] {
  return rows
    .map((index) => ({ index, score: dot(vector, catalog.vector(index)) }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, k);
}

function countPresent(catalog: Catalog, excluded: ReadonlySet<string>): number {
  let present = 0;
  for (const id of excluded) if (catalog.indexOf(id) !== undefined) present++;
  return present;
}

/** A candidate request after decoding: a normalized user vector, k, exclusions and a filter. */
export interface CandidateQuery {
  vector: Float32Array;
  k: number;
  excluded: ReadonlySet<string>;
  filter?: ItemFilter;
}

/**
 * Returns up to k items nearest to the normalized query vector, best first, skipping excluded ids
 * and items that fail the filter. Scores are inner products clamped to [-1, 1]: both sides are
 * L2-normalized, so anything outside is float rounding. When at most `exactScanLimit` items
 * match the filter, those items are scored by an exact scan.
 */
export async function retrieveCandidates(catalog: Catalog, ann: AnnSource, query: CandidateQuery, exactScanLimit = EXACT_SCAN_LIMIT): Promise<AnnHit[]> {
  const { vector, k, excluded, filter } = query;
  const keep = (index: number) => !excluded.has(catalog.items[index].id) && (!filter || matchesFilter(catalog, index, filter));
  const fetch = k + countPresent(catalog, excluded);
  let hits: AnnHit[];

  if (filter && (filter.category !== undefined || filter.brand !== undefined)) {
    const rows = catalog.items.map((_, index) => index).filter((index) => keep(index));
    if (rows.length <= exactScanLimit) {
      hits = scanExact(catalog, vector, rows, k);
    } else {
      // Matches are spread through the index: fetch enough that about 2k of them are expected in
      // the results. NOTE: a filter whose matches sit far from the user vector can still return
      // fewer than k items.
      const share = rows.length / catalog.size;
      hits = (await ann.search(vector, Math.min(MAX_FILTER_FETCH, Math.ceil((2 * fetch) / share)))).filter((hit) => keep(hit.index));
    }
  } else {
    hits = (await ann.search(vector, fetch)).filter((hit) => keep(hit.index));
  }

  return hits.slice(0, k).map((hit) => ({ index: hit.index, score: Math.max(-1, Math.min(1, hit.score)) }));
}
