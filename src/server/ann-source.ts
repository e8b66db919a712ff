/**
 * ANN retrieval for the routes: a FAISS index loaded from the models directory, searched through
 * an AnnSearcher, so concurrent requests share one FAISS call and repeated queries get their
 * results from the result cache. Results come back as catalog indices with inner-product scores, with
 * FAISS's -1 padding and non-finite scores removed.
 */
import { AisleError, isAisleError } from '../core/errors.js';
import { FaissIndex } from './ann/faiss.js';
import { AnnSearcher, type AnnSearcherStats } from './ann/searcher.js';

/** One ANN result: the catalog index (FAISS id) of the item and its inner product with the query. */
export interface AnnHit {
  index: number;
  score: number;
}

/** Search-time parameters of the index family; each applies only to indexes that have it. */
export interface AnnSearchParams {
  efSearch?: number;
  nprobe?: number;
}

/** Search parameters plus the batching and result cache switches of the companion's ANN search. */
export interface AnnOptions extends AnnSearchParams {
  /** Merge concurrent requests into one FAISS search call. Default true. */
  batching?: boolean;
  /** ANN results kept in the result cache, keyed by quantized query vector and k; 0 turns it off. Default 4096. */
  cacheEntries?: number;
  /** Quantization step of the result cache key, per vector component. Default 2^-12. */
  cacheStep?: number;
  /** Called after every FAISS search call with its number of queries and its duration in seconds. */
  onSearch?: (queries: number, seconds: number) => void;
}

/** A loaded FAISS index with batched, cached search. Call `dispose()` once the server is closed. */
export class AnnSource {
  readonly type: string;
  private readonly index: FaissIndex;
  private readonly searcher: AnnSearcher;

  private constructor(index: FaissIndex, type: string, options: AnnOptions) {
    this.index = index;
    this.type = type;
    this.searcher = new AnnSearcher(index, options);
  }

  /**
   * Loads a FAISS index file and checks it against the catalog. Throws AISLE_INDEX_LOAD_FAILED
   * naming the file when it is missing, truncated or corrupt, when its metric is not inner product
   * or when its dim or item count differ from the manifest. Throws AISLE_NATIVE_UNAVAILABLE when
   * the addon is not built.
   */
  static async load(path: string, expected: { dim: number; items: number; type: string }, options: AnnOptions = {}): Promise<AnnSource> {
    let index: FaissIndex;
    try {
      index = await FaissIndex.read(path);
    } catch (error) {
      // FaissIndex.read already names the file and the FAISS reason in these two cases.
      if (isAisleError(error) && (error.code === 'AISLE_NATIVE_UNAVAILABLE' || error.code === 'AISLE_INDEX_LOAD_FAILED')) throw error;
      const reason = error instanceof Error ? error.message : String(error);
      throw new AisleError('AISLE_INDEX_LOAD_FAILED', `Loading the FAISS index ${path} failed: ${reason}. Rebuild it with \`aisle train\`.`, {
        cause: error,
        details: { file: path },
      });
    }

    if (index.metric !== 'ip') {
      const metric = index.metric;
      index.dispose();
      throw new AisleError(
        'AISLE_INDEX_LOAD_FAILED',
        `Loading the FAISS index ${path} failed: it uses metric ${metric}, but Aisle scores by inner product. Rebuild it with metric 'ip' (\`aisle train\` does).`,
        { details: { file: path, metric } },
      );
    }
    if (index.dim !== expected.dim || index.ntotal !== expected.items) {
      const found = `dim ${index.dim} and ${index.ntotal} vectors`;
      index.dispose();
      throw new AisleError(
        'AISLE_INDEX_LOAD_FAILED',
        `Loading the FAISS index ${path} failed: it has ${found}, but manifest.json says dim ${expected.dim} and ${expected.items} items. Rebuild the index with \`aisle train\`.`,
        { details: { file: path } },
      );
    }
    try {
      return new AnnSource(index, expected.type, options);
    } catch (error) {
      index.dispose();
      throw error;
    }
  }

  get ntotal(): number {
    return this.index.ntotal;
  }

  get dim(): number {
    return this.index.dim;
  }

  /** Counters of batching and of the result cache since start-up. */
  get stats(): AnnSearcherStats {
    return this.searcher.stats;
  }

  /** Searches the k nearest items by inner product, best first; k is capped at ntotal and scores at [-1, 1]. */
  async search(query: Float32Array, k: number): Promise<AnnHit[]> {
    const capped = Math.min(k, this.index.ntotal);
    if (capped <= 0) return [];

    const { labels, distances } = await this.searcher.search(query, capped);
    const hits: AnnHit[] = [];
    // The FAISS layer already drops padding; the checks stay because a label outside the catalog
    // would index past the items array.
    for (let i = 0; i < Math.min(labels.length, capped); i++) {
      const label = Number(labels[i]);
      const score = distances[i];
      if (label < 0 || label >= this.index.ntotal || !Number.isFinite(score)) continue;
      // Query and item vectors have unit norm, so the score is a cosine. Float32 rounding and the
      // catalog's norm tolerance of 1e-3 can push it past ±1, which the clamp removes.
      hits.push({ index: label, score: Math.min(1, Math.max(-1, score)) });
    }
    return hits;
  }

  /**
   * Adds vectors of items appended to the catalog; their labels continue the catalog indices.
   * Cached results from before the add are not served again (the cache keys on the index's
   * change count).
   */
  async add(vectors: Float32Array): Promise<void> {
    await this.index.add(vectors);
  }

  /** Frees the native index. Call only after every search has settled (after the server closed). */
  dispose(): void {
    this.index.dispose();
  }
}
