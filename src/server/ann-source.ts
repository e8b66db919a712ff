/**
 * ANN retrieval for the routes: a FAISS index loaded from the models directory, searched through
 * the AnnBatcher so concurrent requests share one FAISS call. Results come back as catalog
 * indices with inner-product scores, with FAISS's -1 padding and non-finite scores removed.
 */
import { AisleError, isAisleError } from '../core/errors.js';
import { AnnBatcher } from './ann/batcher.js';
import { FaissIndex } from './ann/faiss.js';

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

/** A loaded FAISS index with batched search. Call `dispose()` once the server is closed. */
export class AnnSource {
  readonly type: string;
  private readonly index: FaissIndex;
  private readonly batcher: AnnBatcher;

  private constructor(index: FaissIndex, type: string, params: AnnSearchParams) {
    this.index = index;
    this.type = type;
    this.batcher = new AnnBatcher(index, params);
  }

  /**
   * Loads a FAISS index file and checks it against the catalog. Throws AISLE_INDEX_LOAD_FAILED
   * naming the file when it is missing, truncated or corrupt, when its metric is not inner product
   * or when its dim or item count differ from the manifest. Throws AISLE_NATIVE_UNAVAILABLE when
   * the addon is not built.
   */
  static async load(path: string, expected: { dim: number; items: number; type: string }, params: AnnSearchParams = {}): Promise<AnnSource> {
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
    return new AnnSource(index, expected.type, params);
  }

  get ntotal(): number {
    return this.index.ntotal;
  }

  get dim(): number {
    return this.index.dim;
  }

  /** Searches the k nearest items by inner product, best first; k is capped at ntotal. */
  async search(query: Float32Array, k: number): Promise<AnnHit[]> {
    const capped = Math.min(k, this.index.ntotal);
    if (capped <= 0) return [];

    const { labels, distances } = await this.batcher.search(query, capped);
    const hits: AnnHit[] = [];
    // The FAISS layer already drops padding; the checks stay because a label outside the catalog
    // would index past the items array.
    for (let i = 0; i < Math.min(labels.length, capped); i++) {
      const label = Number(labels[i]);
      const score = distances[i];
      if (label < 0 || label >= this.index.ntotal || !Number.isFinite(score)) continue;
      hits.push({ index: label, score });
    }
    return hits;
  }

  /** Frees the native index. Call only after every search has settled (after the server closed). */
  dispose(): void {
    this.index.dispose();
  }
}
