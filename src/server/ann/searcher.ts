/**
 * AnnSearcher: single-query search of one FaissIndex as the companion runs it, with two switches:
 * micro-batching of concurrent queries (AnnBatcher) and a result cache keyed by the quantized
 * query (AnnResultCache). Both are on by default. With both off, each query is one FAISS call.
 */
import { AisleError } from '../../core/errors.js';
import { AnnBatcher, type AnnBatcherStats, type SearchObserver } from './batcher.js';
import { type FaissIndex, type SearchOptions, searchRow, type SearchRow } from './faiss.js';
import { AnnResultCache, type AnnResultCacheStats, DEFAULT_CACHE_ENTRIES, DEFAULT_CACHE_STEP } from './result-cache.js';
import { checkK, checkSearchParameter, checkVectors } from './validate.js';

/** Options of AnnSearcher. efSearch and nprobe reach only an index of their family. */
export interface AnnSearcherOptions extends SearchOptions {
  /** Merge concurrent queries into one FAISS call. Default true. */
  batching?: boolean;
  /** Batching window in milliseconds; see AnnBatcherOptions.windowMs. Default 0. */
  windowMs?: number;
  /** Largest batch; see AnnBatcherOptions.maxBatch. Default 64. */
  maxBatch?: number;
  /** Results kept by the result cache; 0 turns the cache off. Default 4096. */
  cacheEntries?: number;
  /** Quantization step of the cache key components. Default 2^-12. */
  cacheStep?: number;
  /** Called after every finished FAISS search call (batched or not) with its queries and seconds. */
  onSearch?: SearchObserver;
}

/** Counters of an AnnSearcher. */
export interface AnnSearcherStats {
  batching: boolean;
  /** Counters of the batcher; all zero when batching is off. */
  batcher: AnnBatcherStats;
  /** FAISS calls made without the batcher. */
  directSearches: number;
  /** Counters of the result cache, or null when it is off. */
  cache: AnnResultCacheStats | null;
}

/** Searches one index query by query, batched and cached as configured. */
export class AnnSearcher {
  private readonly index: FaissIndex;
  private readonly batcher: AnnBatcher | undefined;
  private readonly cache: AnnResultCache | undefined;
  private readonly searchOptions: SearchOptions;
  private directSearches = 0;
  private readonly onSearch: SearchObserver | undefined;

  constructor(index: FaissIndex, options: AnnSearcherOptions = {}) {
    const operation = 'AnnSearcher';
    checkSearchParameter(operation, 'efSearch', options.efSearch);
    checkSearchParameter(operation, 'nprobe', options.nprobe);
    const cacheEntries = options.cacheEntries ?? DEFAULT_CACHE_ENTRIES;
    if (!Number.isInteger(cacheEntries) || cacheEntries < 0) {
      throw new AisleError('AISLE_INVALID_ARGUMENT', `${operation}: cacheEntries must be an integer ≥ 0 (0 turns the cache off), got ${String(cacheEntries)}.`);
    }

    this.index = index;
    this.onSearch = options.onSearch;
    this.searchOptions = {
      efSearch: index.kind === 'hnsw' ? options.efSearch : undefined,
      nprobe: index.kind === 'ivf' ? options.nprobe : undefined,
    };
    if (options.batching ?? true) this.batcher = new AnnBatcher(index, { ...this.searchOptions, windowMs: options.windowMs, maxBatch: options.maxBatch, onSearch: options.onSearch });
    if (cacheEntries > 0) this.cache = new AnnResultCache(cacheEntries, options.cacheStep ?? DEFAULT_CACHE_STEP);
  }

  /** A copy of the counters. */
  get stats(): AnnSearcherStats {
    return {
      batching: this.batcher !== undefined,
      batcher: this.batcher?.stats ?? { batches: 0, queries: 0, failedBatches: 0 },
      directSearches: this.directSearches,
      cache: this.cache?.stats ?? null,
    };
  }

  /**
   * Searches the k nearest neighbours of one query vector (length dim): at most k entries, nearest
   * first. Returns fresh arrays on every call, also for cache hits, so callers may modify them.
   */
  async search(query: Float32Array, k: number): Promise<SearchRow> {
    const operation = 'AnnSearcher.search';
    if (checkVectors(operation, query, this.index.dim) !== 1) {
      throw new AisleError('AISLE_INVALID_VECTOR', `${operation}: expected one query vector of dim ${this.index.dim}, got ${query.length} values.`);
    }
    checkK(operation, k);
    if (this.cache === undefined) return copyRow(await this.searchIndex(query, k));

    const key = this.cache.key(query, k);
    const generation = this.index.generation;
    let row = this.cache.get(key, generation);
    if (row === undefined) {
      row = this.searchIndex(query, k);
      this.cache.set(key, generation, row);
      // A failed search must not be returned to later queries. This caller still gets the rejection below.
      row.catch(() => this.cache?.forget(key, row as Promise<SearchRow>));
    }
    return copyRow(await row);
  }

  private async searchIndex(query: Float32Array, k: number): Promise<SearchRow> {
    if (this.batcher) return this.batcher.search(query, k);
    this.directSearches += 1;
    const started = performance.now();
    const result = await this.index.search(query, k, this.searchOptions);
    this.onSearch?.(1, (performance.now() - started) / 1000);
    return searchRow(result, 0);
  }
}

function copyRow(row: SearchRow): SearchRow {
  return { labels: row.labels.slice(), distances: row.distances.slice() };
}
