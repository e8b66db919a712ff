/**
 * The peer of the search evaluation: Orama (npm `@orama/orama`), an in-process JavaScript search
 * engine with BM25 full-text, vector and hybrid search. It runs on the same catalog records, the
 * same item text vectors (the query encoder's encoding of itemText, as server/text-vectors.ts
 * builds them) and the same query vectors as our methods, so the rows differ only by the engine.
 *
 * What is set, and why:
 * - limit: SEARCH_LIST_DEPTH hits per query, the depth of our retrieval lists;
 * - similarity: ORAMA_SIMILARITY, so every item with a text vector is a vector hit, because
 *   Orama's default minimum cosine (0.8) can leave a query with fewer than 10 vector hits;
 * - boost: title ×2 in full-text and hybrid search, the field boost of our BM25
 *   (server/text-search.ts), where Orama's default is no boost;
 * - hybridWeights: Orama's default (text 0.5, vector 0.5) in `orama-hybrid`, and the BM25/vector
 *   weights our weighted fusion chose on the tuning queries in `orama-hybrid-tuned`.
 * Everything else (tokenizer, BM25 parameters, prefix matching, no typo tolerance) is Orama's
 * default. Our BM25 also matches typos, with an edit distance that grows with the word's length.
 * Orama's `tolerance` applies one edit distance to every word of the query, so it stays at its
 * default 0 rather than a guessed setting.
 *
 * Orama is a devDependency loaded with a dynamic import: without it the evaluation logs one line
 * and reports our methods only.
 */
import type { AnyOrama, HybridWeights, Results } from '@orama/orama';
import { itemText } from '../../core/text-pieces.js';
import type { ItemMeta } from '../../core/types.js';
import type { QueryEncoder } from '../../server/query-encoder.js';
import type { SearchRow } from './evaluate-search.js';
import type { QuerySetName, SearchQuery } from './queries.js';

/** The peer's rows, in report order. */
export const ORAMA_METHODS = ['orama-fulltext', 'orama-vector', 'orama-hybrid', 'orama-hybrid-tuned'] as const;
export type OramaMethod = (typeof ORAMA_METHODS)[number];

/** Minimum cosine of an Orama vector hit: -1 keeps every item, as our exact FAISS search does. */
export const ORAMA_SIMILARITY = -1;

/** Field boost of Orama's full-text search, the same as our BM25's. */
export const ORAMA_BOOST = { title: 2 };

/** Queries run once before the timed runs of each query set, so JIT compilation is not timed. */
export const ORAMA_WARM_UP_QUERIES = 20;

/** Documents per `insertMultiple` batch. */
const INSERT_BATCH = 1000;

export type OramaModule = typeof import('@orama/orama');

/** Query vectors and the time spent encoding them, measured as our vector rows measure it. */
export interface QueryVectors {
  /** Unit query vector of each query, dim D. */
  vectors: readonly Float32Array[];
  /** Mean milliseconds of query encoding per query. */
  encodeMs: number;
}

/**
 * Imports `@orama/orama`. When the package is not installed, logs one line and returns undefined.
 * Any other import failure is thrown.
 */
export async function loadOrama(log: (line: string) => void, importOrama: () => Promise<OramaModule> = () => import('@orama/orama')): Promise<OramaModule | undefined> {
  try {
    return await importOrama();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    log('search: @orama/orama is not installed, so the Orama rows are skipped (npm install --save-dev @orama/orama to add them)');
    return undefined;
  }
}

/** An Orama database over the catalog: one document per item, its id the item's catalog index. */
export class OramaPeer {
  private constructor(
    private readonly orama: OramaModule,
    private readonly db: AnyOrama,
    readonly dim: number,
  ) {}

  /**
   * Builds the database from catalog items and their row-major [items, dim] text vectors. An item
   * whose vector is all zeros (no words in its text) gets no vector, as in TextVectorIndex.
   */
  static async build(orama: OramaModule, items: readonly ItemMeta[], vectors: Float32Array, dim: number): Promise<OramaPeer> {
    if (vectors.length !== items.length * dim) {
      throw new RangeError(`OramaPeer.build: vectors has ${vectors.length} values, expected ${items.length} items × dim ${dim} = ${items.length * dim}; pass one dim-D text vector per item.`);
    }
    const db = orama.create({
      schema: { title: 'string', category: 'string', brand: 'string', tags: 'string', vector: `vector[${dim}]` as const },
    });
    const documents = items.map((item, index) => {
      const vector = vectors.subarray(index * dim, (index + 1) * dim);
      return {
        id: String(index),
        title: item.title ?? '',
        category: item.category ?? '',
        brand: item.brand ?? '',
        tags: (item.tags ?? []).join(' '),
        ...(vector.some((value) => value !== 0) ? { vector: Array.from(vector) } : {}),
      };
    });
    await orama.insertMultiple(db, documents, INSERT_BATCH);
    return new OramaPeer(orama, db, dim);
  }

  /** Encodes every item's text with the query encoder, as TextVectorIndex does, and builds the database. */
  static async encodeAndBuild(orama: OramaModule, items: readonly ItemMeta[], encoder: QueryEncoder): Promise<OramaPeer> {
    const vectors = await encoder.encodeMany(items.map(itemText));
    return OramaPeer.build(orama, items, vectors, encoder.dim);
  }

  /** Catalog indices of Orama's BM25 full-text hits for `term`, best first. */
  async fullText(term: string, limit: number): Promise<number[]> {
    return hitIndices(await this.orama.search(this.db, { mode: 'fulltext', term, boost: ORAMA_BOOST, limit }));
  }

  /** Catalog indices of Orama's vector hits for the unit query vector, best first. */
  async vector(query: Float32Array, limit: number): Promise<number[]> {
    this.checkDim(query);
    return hitIndices(await this.orama.search(this.db, { mode: 'vector', vector: { value: query, property: 'vector' }, similarity: ORAMA_SIMILARITY, limit }));
  }

  /** Catalog indices of Orama's hybrid hits, best first. Without `weights`, Orama's default weights apply. */
  async hybrid(term: string, query: Float32Array, limit: number, weights?: HybridWeights): Promise<number[]> {
    this.checkDim(query);
    const params = { mode: 'hybrid', term, boost: ORAMA_BOOST, vector: { value: query, property: 'vector' }, similarity: ORAMA_SIMILARITY, limit } as const;
    return hitIndices(await this.orama.search(this.db, weights ? { ...params, hybridWeights: weights } : params));
  }

  /**
   * Runs the four Orama methods over one query set and returns their rows. Vector and hybrid rows
   * include the query encoding time, as our vector rows do. `tuned` is our weighted fusion's
   * weights, passed to Orama as text (BM25) and vector weights.
   */
  async evaluate(
    name: QuerySetName,
    queries: readonly SearchQuery[],
    query: QueryVectors,
    tuned: { bm25: number; vector: number },
    limit: number,
    metrics: (ranked: readonly number[][], queries: readonly SearchQuery[]) => { 'Recall@10': number; 'NDCG@10': number },
  ): Promise<SearchRow[]> {
    const weights = { text: tuned.bm25, vector: tuned.vector };
    const runs: Record<OramaMethod, (i: number) => Promise<number[]>> = {
      'orama-fulltext': (i) => this.fullText(queries[i].text, limit),
      'orama-vector': (i) => this.vector(query.vectors[i], limit),
      'orama-hybrid': (i) => this.hybrid(queries[i].text, query.vectors[i], limit),
      'orama-hybrid-tuned': (i) => this.hybrid(queries[i].text, query.vectors[i], limit, weights),
    };
    const rows: SearchRow[] = [];
    for (const method of ORAMA_METHODS) {
      for (let i = 0; i < Math.min(ORAMA_WARM_UP_QUERIES, queries.length); i++) await runs[method](i);

      const ranked: number[][] = [];
      let ms = 0;
      for (let i = 0; i < queries.length; i++) {
        const started = performance.now();
        ranked.push(await runs[method](i));
        ms += performance.now() - started;
      }
      const encodeMs = method === 'orama-fulltext' ? 0 : query.encodeMs;
      const msPerQuery = queries.length === 0 ? 0 : ms / queries.length + encodeMs;
      rows.push({ method, queries: name, count: queries.length, ...metrics(ranked, queries), msPerQuery });
    }
    return rows;
  }

  private checkDim(query: Float32Array): void {
    if (query.length !== this.dim) throw new RangeError(`OramaPeer: the query vector has ${query.length} values, expected dim ${this.dim}; encode queries with the encoder that built the item vectors.`);
  }
}

function hitIndices(results: Results<unknown>): number[] {
  // Orama's vector search fills a `limit`-long array and leaves the tail empty when fewer items match.
  return results.hits.filter((hit) => hit !== undefined).map((hit) => Number(hit.id));
}
