/**
 * AnnBatcher: merges single-query searches that arrive close together into one FAISS search
 * call. One call over nq queries costs far less than nq calls: FAISS spreads the queries over its
 * OpenMP threads and runs exact search as one matrix product, and the wrapper runs one native
 * operation per index at a time anyway.
 */
import { AisleError } from '../../core/errors.js';
import { type FaissIndex, type SearchOptions, searchRow, type SearchRow } from './faiss.js';
import { checkK, checkSearchParameter, checkVectors } from './validate.js';

/** Search parameters applied to every batch, plus the batching window. */
export interface AnnBatcherOptions extends SearchOptions {
  /**
   * Milliseconds to wait for more queries after the first one of a batch. 0 (the default) flushes
   * on the next turn of the event loop, which merges all queries submitted in the same tick or
   * the same round of I/O callbacks.
   */
  windowMs?: number;
  /** Largest number of queries in one search call; a full batch runs at once. Default 64. */
  maxBatch?: number;
  /** Called after every finished search call with its number of queries and its duration in seconds. */
  onSearch?: SearchObserver;
}

/** Observer of FAISS search calls, for metrics. */
export type SearchObserver = (queries: number, seconds: number) => void;

/** Counters since the batcher was created, for metrics. */
export interface AnnBatcherStats {
  /** Search calls that finished. */
  batches: number;
  /** Queries returned by those calls. */
  queries: number;
  /** Search calls that rejected; every query of such a batch rejects with the same error. */
  failedBatches: number;
}

interface PendingQuery {
  query: Float32Array;
  resolve: (row: SearchRow) => void;
  reject: (error: unknown) => void;
}

const DEFAULT_MAX_BATCH = 64;

/**
 * Batches searches of one FaissIndex. efSearch and nprobe are passed only to an index of the
 * family that has them (HNSW, IVF), so one configuration serves whatever index file is loaded.
 */
export class AnnBatcher {
  private readonly index: FaissIndex;
  private readonly searchOptions: SearchOptions;
  private readonly windowMs: number;
  private readonly maxBatch: number;
  // Queries with different k cannot share a call without changing HNSW results (FAISS searches
  // with a queue of max(efSearch, k)), so pending queries are grouped by k.
  private readonly pending = new Map<number, PendingQuery[]>();
  private timer: ReturnType<typeof setTimeout> | ReturnType<typeof setImmediate> | undefined;
  private readonly counters: AnnBatcherStats = { batches: 0, queries: 0, failedBatches: 0 };
  private readonly onSearch: SearchObserver | undefined;

  constructor(index: FaissIndex, options: AnnBatcherOptions = {}) {
    this.onSearch = options.onSearch;
    const operation = 'AnnBatcher';
    const windowMs = options.windowMs ?? 0;
    const maxBatch = options.maxBatch ?? DEFAULT_MAX_BATCH;
    if (!Number.isFinite(windowMs) || windowMs < 0) {
      throw new AisleError('AISLE_INVALID_ARGUMENT', `${operation}: windowMs must be a finite number ≥ 0, got ${String(windowMs)}.`);
    }
    if (!Number.isInteger(maxBatch) || maxBatch < 1) {
      throw new AisleError('AISLE_INVALID_ARGUMENT', `${operation}: maxBatch must be an integer ≥ 1, got ${String(maxBatch)}.`);
    }
    checkSearchParameter(operation, 'efSearch', options.efSearch);
    checkSearchParameter(operation, 'nprobe', options.nprobe);

    this.index = index;
    this.windowMs = windowMs;
    this.maxBatch = maxBatch;
    this.searchOptions = {
      efSearch: index.kind === 'hnsw' ? options.efSearch : undefined,
      nprobe: index.kind === 'ivf' ? options.nprobe : undefined,
    };
  }

  /** A copy of the counters. */
  get stats(): AnnBatcherStats {
    return { ...this.counters };
  }

  /**
   * Searches the k nearest neighbours of one query vector (length dim). Resolves with this query's
   * own row, nearest first, without -1 labels: at most k entries, fewer when ntotal < k. A bad query
   * rejects alone; a failed search call rejects every query of its batch.
   */
  async search(query: Float32Array, k: number): Promise<SearchRow> {
    const operation = 'AnnBatcher.search';
    const rows = checkVectors(operation, query, this.index.dim);
    if (rows !== 1) {
      throw new AisleError('AISLE_INVALID_VECTOR', `${operation}: expected one query vector of dim ${this.index.dim}, got ${query.length} values.`);
    }
    checkK(operation, k);

    return new Promise<SearchRow>((resolve, reject) => {
      const group = this.pending.get(k) ?? [];
      group.push({ query, resolve, reject });
      this.pending.set(k, group);

      if (group.length >= this.maxBatch) this.flushGroup(k);
      else this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.timer !== undefined) return;
    const flush = (): void => {
      this.timer = undefined;
      for (const k of [...this.pending.keys()]) this.flushGroup(k);
    };
    this.timer = this.windowMs === 0 ? setImmediate(flush) : setTimeout(flush, this.windowMs);
  }

  private flushGroup(k: number): void {
    const group = this.pending.get(k);
    this.pending.delete(k);
    if (!group || group.length === 0) return;
    void this.runBatch(group, k);
  }

  private async runBatch(group: PendingQuery[], k: number): Promise<void> {
    const dim = this.index.dim;
    const queries = new Float32Array(group.length * dim);
    group.forEach((pending, i) => queries.set(pending.query, i * dim));

    try {
      const started = performance.now();
      const result = await this.index.search(queries, k, this.searchOptions);
      this.onSearch?.(group.length, (performance.now() - started) / 1000);
      this.counters.batches += 1;
      this.counters.queries += group.length;

      // Copies, so no caller gets a view into a buffer shared with other callers.
      group.forEach((pending, i) => {
        const row = searchRow(result, i);
        pending.resolve({ labels: row.labels.slice(), distances: row.distances.slice() });
      });
    } catch (error) {
      this.counters.failedBatches += 1;
      for (const pending of group) pending.reject(error);
    }
  }
}
