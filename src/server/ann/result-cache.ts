/**
 * AnnResultCache: a bounded LRU of ANN search results keyed by the query vector rounded to a grid,
 * and by k. Shoppers whose user vectors are equal, such as new shoppers who viewed the same first
 * item, send equal queries, and a hit costs a map lookup instead of a FAISS search.
 *
 * Two queries share an entry when every component rounds to the same multiple of `step`. They then
 * differ by at most step·√dim in L2 norm. With the default step 2^-12 and dim 64 that is 0.002,
 * so for unit vectors the cosine between them is at least 0.999998.
 */
import { AisleError } from '../../core/errors.js';
import type { SearchRow } from './search-result.js';

/** Default quantization step of key components, for L2-normalized queries. */
export const DEFAULT_CACHE_STEP = 2 ** -12;

/** Default number of entries. An entry stores k labels and k scores (8·k bytes) plus a key of 4·dim bytes. */
export const DEFAULT_CACHE_ENTRIES = 4096;

/** Counters since the cache was created. */
export interface AnnResultCacheStats {
  /** Lookups that found an entry, including queries that joined a search still running. */
  hits: number;
  misses: number;
  /** Entries dropped to stay within maxEntries. */
  evictions: number;
  /** Entries dropped because the index changed after they were stored. */
  stale: number;
  entries: number;
  maxEntries: number;
}

interface Entry {
  generation: number;
  row: Promise<SearchRow>;
}

/**
 * LRU of search results. Values are promises, so a query equal to one whose search is still running
 * waits for that search instead of starting another. Each entry records the index generation it
 * was searched at (FaissIndex.generation). A lookup at another generation drops the entry and
 * misses, so results never outlive a change of the index.
 */
export class AnnResultCache {
  readonly maxEntries: number;
  readonly step: number;
  // Map iteration follows insertion order: re-inserting on a hit keeps the least recently used key first.
  private readonly entries = new Map<string, Entry>();
  private readonly counters = { hits: 0, misses: 0, evictions: 0, stale: 0 };

  constructor(maxEntries = DEFAULT_CACHE_ENTRIES, step = DEFAULT_CACHE_STEP) {
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new AisleError('AISLE_INVALID_ARGUMENT', `AnnResultCache: maxEntries must be an integer ≥ 1, got ${String(maxEntries)}.`);
    }
    if (!Number.isFinite(step) || step <= 0 || step > 1) {
      throw new AisleError('AISLE_INVALID_ARGUMENT', `AnnResultCache: step must be a number in (0, 1], got ${String(step)}.`);
    }
    this.maxEntries = maxEntries;
    this.step = step;
  }

  /** A copy of the counters. */
  get stats(): AnnResultCacheStats {
    return { ...this.counters, entries: this.entries.size, maxEntries: this.maxEntries };
  }

  /**
   * Returns the key of a query vector and k: each component rounded to a multiple of step, as
   * int32 values, written as a binary string.
   */
  key(query: Float32Array, k: number): string {
    const grid = new Int32Array(query.length);
    for (let i = 0; i < query.length; i++) grid[i] = Math.round(query[i] / this.step);
    return `${k}:${Buffer.from(grid.buffer).toString('latin1')}`;
  }

  /** Returns the result stored under key at this generation, or undefined (a miss). */
  get(key: string, generation: number): Promise<SearchRow> | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) {
      this.counters.misses += 1;
      return undefined;
    }

    this.entries.delete(key);
    if (entry.generation !== generation) {
      this.counters.stale += 1;
      this.counters.misses += 1;
      return undefined;
    }
    this.entries.set(key, entry);
    this.counters.hits += 1;
    return entry.row;
  }

  /** Stores a result (or a search still running) under key, evicting the least recently used entry when full. */
  set(key: string, generation: number, row: Promise<SearchRow>): void {
    this.entries.delete(key);
    this.entries.set(key, { generation, row });
    if (this.entries.size <= this.maxEntries) return;

    const oldest = this.entries.keys().next().value as string;
    this.entries.delete(oldest);
    this.counters.evictions += 1;
  }

  /** Removes the entry of key when it still contains `row`, for a search that failed. */
  forget(key: string, row: Promise<SearchRow>): void {
    if (this.entries.get(key)?.row === row) this.entries.delete(key);
  }
}
