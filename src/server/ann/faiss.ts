/**
 * FaissIndex: a typed wrapper of one FAISS index (through the aisle_faiss addon) for the companion.
 *
 * Vocabulary and layout, used by every file of src/server/ann:
 * - dim: the number of components D of each vector.
 * - A vector set of n vectors is one row-major n×dim Float32Array: vector i is at offset i·dim.
 * - ntotal: the number of vectors added to the index. Labels are their positions in add order,
 *   0..ntotal-1, so the caller maps them to item ids with its own array.
 * - k: the number of neighbours requested per query. Rows of a result hold at most k labels and
 *   can hold fewer (k > ntotal, or an approximate index that found fewer); -1 never appears.
 * - efSearch: the HNSW search queue length; nprobe: the number of IVF lists visited. Both trade
 *   time for recall and are set per search call.
 * - Metric 'ip' scores by inner product (higher is nearer; cosine when vectors are L2-normalized);
 *   'l2' by squared L2 distance (lower is nearer). Rows are sorted nearest first.
 *
 * Descriptions are FAISS index_factory strings, for example 'Flat', 'HNSW32' or 'IVF1024,Flat'.
 *
 * NOTE: the addon copies vectors and queries when the native call starts, which is later than the
 * call when an earlier operation on the same index is still running. Keep the arrays unchanged
 * until the returned promise settles.
 */
import { randomBytes } from 'node:crypto';
import { rename, unlink } from 'node:fs/promises';

import { AisleError } from '../../core/errors.js';
import { loadFaissAddon, type IndexKind, type Metric, type NativeIndex } from './native.js';
import { compactSearchOutput, emptySearchResult, type SearchResult } from './search-result.js';
import { checkDim, checkK, checkSearchParameter, checkVectors, MAX_NTOTAL } from './validate.js';

export type { IndexKind, Metric } from './native.js';
export type { SearchResult, SearchRow } from './search-result.js';
export { searchRow, searchRows } from './search-result.js';

/**
 * Per-call search parameters. Each applies only to an index whose top level is of its family and
 * is rejected by others, including wrapped indexes (kind 'other'): use setParameter for those.
 */
export interface SearchOptions {
  /** HNSW only: search queue length, ≥ k for good recall. FAISS's default is 16. */
  efSearch?: number;
  /** IVF only: number of inverted lists visited; values above nlist visit all lists. FAISS's default is 1. */
  nprobe?: number;
}

/**
 * A FAISS index. Call `dispose()` when done, because the GC frees the native memory only when it
 * collects the wrapper, which can be long after the index is no longer used.
 */
export class FaissIndex {
  private readonly native: NativeIndex;
  private readonly label: string;
  // One native operation at a time per index, because FAISS allows concurrent const searches but
  // not a search during add or train. Concurrent searches are merged upstream by AnnBatcher.
  private queue: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private isDisposed = false;
  private changes = 0;

  private constructor(native: NativeIndex, label: string) {
    this.native = native;
    this.label = label;
  }

  /**
   * Creates an empty index with FAISS's index_factory. Throws AISLE_INVALID_ARGUMENT for a dim
   * outside 1..4096, an unknown metric or a description FAISS cannot parse, and
   * AISLE_NATIVE_UNAVAILABLE when the addon is not built.
   */
  static create(dim: number, description: string, metric: Metric = 'ip'): FaissIndex {
    const operation = 'FaissIndex.create';
    checkDim(operation, dim);
    if (typeof description !== 'string' || description.trim() === '') {
      throw new AisleError('AISLE_INVALID_ARGUMENT', `${operation}: description must be a FAISS index_factory string such as 'Flat' or 'HNSW32', got ${JSON.stringify(description)}.`);
    }
    if (metric !== 'ip' && metric !== 'l2') {
      throw new AisleError('AISLE_INVALID_ARGUMENT', `${operation}: metric must be 'ip' or 'l2', got ${JSON.stringify(metric)}.`);
    }

    const addon = loadFaissAddon();
    try {
      return new FaissIndex(new addon.Index(dim, description, metric), `'${description}'`);
    } catch (error) {
      throw new AisleError(
        'AISLE_INVALID_ARGUMENT',
        `${operation}: FAISS could not build description '${description}' with dim ${dim}: ${faissReason(error)}. Use an index_factory string such as 'Flat', 'HNSW32' or 'IVF1024,Flat'.`,
        { cause: error },
      );
    }
  }

  /**
   * Reads an index file written by `write()` (or by FAISS itself). Runs off the event loop.
   * A missing, truncated or corrupt file rejects with AISLE_INDEX_LOAD_FAILED naming the path and
   * FAISS's reason.
   */
  static async read(path: string): Promise<FaissIndex> {
    const addon = loadFaissAddon();
    try {
      return new FaissIndex(await addon.readIndex(path), `read from ${path}`);
    } catch (error) {
      throw new AisleError(
        'AISLE_INDEX_LOAD_FAILED',
        `FaissIndex.read: could not load the FAISS index file ${path}: ${faissReason(error)}. Rebuild the index file or fix the path.`,
        { cause: error, details: { path } },
      );
    }
  }

  /** Number of components of each vector. */
  get dim(): number {
    return this.native.dim;
  }

  /** Number of vectors in the index. */
  get ntotal(): number {
    return this.native.ntotal;
  }

  /** False for families that must be trained before add (IVF, PQ); Flat and HNSW start trained. */
  get isTrained(): boolean {
    return this.native.isTrained;
  }

  /** Index family; efSearch applies to 'hnsw', nprobe to 'ivf'. */
  get kind(): IndexKind {
    return this.native.kind;
  }

  /** Metric the index was built with. */
  get metric(): Metric | 'other' {
    return this.native.metric;
  }

  /** Number of IVF lists (also of an IVF index inside a wrapper), 0 for other families. */
  get nlist(): number {
    return this.native.nlist;
  }

  /** True after `dispose()`. */
  get disposed(): boolean {
    return this.isDisposed;
  }

  /**
   * Number of completed operations that can change search results: train, add and setParameter.
   * A search result is current while this number is unchanged, which is what result caches check.
   */
  get generation(): number {
    return this.changes;
  }

  /**
   * Trains the index on n vectors (row-major n×dim). IVF needs at least nlist vectors, and FAISS
   * warns below 39·nlist; `buildIndex` falls back to Flat in that case.
   */
  async train(vectors: Float32Array): Promise<void> {
    const operation = 'FaissIndex.train';
    this.requireLive(operation);
    const n = checkVectors(operation, vectors, this.dim);
    if (n === 0) throw new AisleError('AISLE_INVALID_VECTOR', `${operation}: no training vectors were passed. Pass at least 1 vector of dim ${this.dim}.`);
    if (this.nlist > 0 && n < this.nlist) {
      throw new AisleError(
        'AISLE_INVALID_ARGUMENT',
        `${operation}: index ${this.label} needs at least nlist=${this.nlist} training vectors, got ${n}. Train with more vectors, use a smaller nlist, or use buildIndex() to fall back to Flat.`,
      );
    }

    await this.run(operation, async () => {
      await this.native.train(vectors);
      this.changes += 1;
    });
  }

  /** Adds n vectors (row-major n×dim); they get labels ntotal..ntotal+n-1 in order. */
  async add(vectors: Float32Array): Promise<void> {
    const operation = 'FaissIndex.add';
    this.requireLive(operation);
    const n = checkVectors(operation, vectors, this.dim);
    if (n === 0) return;

    await this.run(operation, async () => {
      // Checked when the operation starts, because an earlier train or add in the queue changes both values.
      if (!this.native.isTrained) {
        throw new AisleError('AISLE_INVALID_ARGUMENT', `${operation}: index ${this.label} is not trained; call train() before add().`);
      }
      if (this.native.ntotal + n > MAX_NTOTAL) {
        throw new AisleError('AISLE_INVALID_ARGUMENT', `${operation}: adding ${n} vectors to ntotal=${this.native.ntotal} exceeds the maximum ntotal ${MAX_NTOTAL}.`);
      }
      await this.native.add(vectors);
      this.changes += 1;
    });
  }

  /**
   * Searches the k nearest vectors of each of nq queries (row-major nq×dim) in one FAISS call.
   * Rows hold at most min(k, ntotal) entries, nearest first, without -1 labels or non-finite
   * distances; an empty index returns nq empty rows. See SearchResult for the layout.
   */
  async search(queries: Float32Array, k: number, options: SearchOptions = {}): Promise<SearchResult> {
    const operation = 'FaissIndex.search';
    this.requireLive(operation);
    const nq = checkVectors(operation, queries, this.dim);
    checkK(operation, k);
    checkSearchParameter(operation, 'efSearch', options.efSearch);
    checkSearchParameter(operation, 'nprobe', options.nprobe);
    this.checkFamily(operation, 'efSearch', options.efSearch, 'hnsw');
    this.checkFamily(operation, 'nprobe', options.nprobe, 'ivf');

    return this.run(operation, async () => {
      const width = Math.min(k, this.native.ntotal);
      if (nq === 0 || width === 0) return emptySearchResult(nq, k);

      const output = await this.native.search(queries, width, options.efSearch ?? 0, options.nprobe ?? 0);
      return compactSearchOutput(output, nq, width, k);
    });
  }

  /**
   * Writes the index to path. The file is written next to it under a temporary name and renamed,
   * so a reader never sees a half-written index file.
   */
  async write(path: string): Promise<void> {
    const operation = 'FaissIndex.write';
    this.requireLive(operation);
    const temporary = `${path}.${randomBytes(6).toString('hex')}.tmp`;

    await this.run(operation, async () => {
      try {
        await this.native.write(temporary);
        await rename(temporary, path);
      } catch (error) {
        await unlink(temporary).catch(() => undefined);
        throw error;
      }
    });
  }

  /**
   * Sets a FAISS ParameterSpace parameter on the index itself ('efSearch', 'nprobe', ...), which
   * `write()` then saves. Per-call SearchOptions override it for one search.
   */
  async setParameter(name: string, value: number): Promise<void> {
    const operation = 'FaissIndex.setParameter';
    this.requireLive(operation);
    if (typeof name !== 'string' || name === '' || typeof value !== 'number' || !Number.isFinite(value)) {
      throw new AisleError('AISLE_INVALID_ARGUMENT', `${operation}: expected a parameter name and a finite number, got ${JSON.stringify(name)}=${String(value)}.`);
    }

    await this.run(operation, async () => {
      try {
        this.native.setParameter(name, value);
        this.changes += 1;
      } catch (error) {
        throw new AisleError('AISLE_INVALID_ARGUMENT', `${operation}: FAISS rejected ${name}=${value} for index ${this.label}: ${faissReason(error)}.`, { cause: error });
      }
    });
  }

  /**
   * Frees the native index. Idempotent. A running operation finishes first (the addon defers the
   * free); queued and later calls reject with AISLE_DESTROYED.
   */
  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    this.native.dispose();
  }

  private requireLive(operation: string): void {
    if (!this.isDisposed) return;
    throw new AisleError('AISLE_DESTROYED', `${operation}: index ${this.label} was disposed; create or read a new FaissIndex.`);
  }

  private checkFamily(operation: string, name: 'efSearch' | 'nprobe', value: number | undefined, family: IndexKind): void {
    if (value === undefined || this.kind === family) return;
    throw new AisleError(
      'AISLE_INVALID_ARGUMENT',
      `${operation}: ${name}=${value} applies per call only to ${family.toUpperCase()} indexes, but index ${this.label} is '${this.kind}'. Leave ${name} unset, or for a wrapped index call setParameter('${name}', ${value}).`,
    );
  }

  /**
   * Runs fn after every earlier operation settled, and maps addon errors to AisleError. On an idle
   * index fn starts synchronously, so the native call is already queued when the caller returns
   * and a dispose() right after it waits for that call instead of rejecting it.
   */
  private run<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    const start = async (): Promise<T> => {
      this.requireLive(operation);
      try {
        return await fn();
      } catch (error) {
        if (error instanceof AisleError) throw error;
        throw new AisleError('AISLE_INTERNAL', `${operation}: FAISS failed on index ${this.label}: ${faissReason(error)}.`, { cause: error });
      }
    };

    const result = this.pending === 0 ? start() : this.queue.then(start);
    this.pending += 1;
    this.queue = result
      .catch(() => undefined)
      .then(() => {
        this.pending -= 1;
      });
    return result;
  }
}

/**
 * Shortens an addon error to FAISS's own reason. FaissException texts read
 * "Error in <function> at <file>:<line>: <reason>"; the full text stays in the error's cause.
 */
function faissReason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const match = /Error in .* at \S+:\d+: (.*)$/s.exec(message);
  return (match ? match[1] : message).trim();
}
