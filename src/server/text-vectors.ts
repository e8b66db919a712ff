/**
 * Item text vectors: the query encoder's encoding of each item's text (title, category, brand;
 * core/text-pieces.ts itemText), built at start-up and searched with the query vector.
 *
 * Why a second vector space: the behavioural item vectors place items where shoppers' sequences
 * put them. On amazon-scientific a query vector finds the asked-for item among them far less often
 * (NDCG@10 0.07) than among the encodings of the items' own texts (docs/benchmarks.md). The query
 * encoder is trained on both targets (training/models/query-encoder.ts), so one query vector
 * serves both spaces.
 *
 * Items without words in their text get no text vector and are found by BM25 or behaviour only.
 * New items (POST /v1/items) are appended with `add`.
 */
import { FaissIndex } from './ann/faiss.js';
import type { AnnHit } from './ann-source.js';
import type { QueryEncoder } from './query-encoder.js';
import { itemText, type ItemTextFields } from '../core/text-pieces.js';

/** A Flat inner-product FAISS index over item text vectors, with the vectors kept for exact scores. */
export class TextVectorIndex {
  private readonly index: FaissIndex;
  /** Catalog index of each FAISS label. */
  private readonly labels: number[] = [];
  /** Row of each catalog index in `rows`, or -1 when the item has no text vector. */
  private rowOf: Int32Array;
  private rows: Float32Array;

  private constructor(
    private readonly encoder: QueryEncoder,
    readonly dim: number,
  ) {
    this.index = FaissIndex.create(dim, 'Flat', 'ip');
    this.rowOf = new Int32Array(0);
    this.rows = new Float32Array(0);
  }

  /** Encodes the text of every item and indexes the items that have words. */
  static async build(items: readonly ItemTextFields[], encoder: QueryEncoder): Promise<TextVectorIndex> {
    const built = new TextVectorIndex(encoder, encoder.dim);
    try {
      await built.append(0, items);
    } catch (error) {
      built.dispose();
      throw error;
    }
    return built;
  }

  /** Number of items with a text vector. */
  get size(): number {
    return this.labels.length;
  }

  /** Encodes the texts of items as `append` does: row-major [items, dim]. */
  encode(items: readonly ItemTextFields[]): Promise<Float32Array> {
    return this.encoder.encodeMany(items.map(itemText));
  }

  /**
   * Indexes items whose catalog indices start at `first` and follow each other, with their
   * `vectors` from `encode` when the caller has them. Returns how many got a text vector.
   */
  async append(first: number, items: readonly ItemTextFields[], vectors?: Float32Array): Promise<number> {
    vectors ??= await this.encode(items);
    const kept: number[] = [];
    for (let i = 0; i < items.length; i++) {
      if (vectors.subarray(i * this.dim, (i + 1) * this.dim).some((value) => value !== 0)) kept.push(i);
    }
    const rowOf = new Int32Array(first + items.length).fill(-1);
    rowOf.set(this.rowOf.subarray(0, Math.min(first, this.rowOf.length)));
    const rows = new Float32Array((this.labels.length + kept.length) * this.dim);
    rows.set(this.rows);
    const added = new Float32Array(kept.length * this.dim);
    kept.forEach((i, j) => {
      const vector = vectors.subarray(i * this.dim, (i + 1) * this.dim);
      added.set(vector, j * this.dim);
      rows.set(vector, (this.labels.length + j) * this.dim);
      rowOf[first + i] = this.labels.length + j;
    });
    if (kept.length > 0) await this.index.add(added);
    for (const i of kept) this.labels.push(first + i);
    this.rowOf = rowOf;
    this.rows = rows;
    return kept.length;
  }

  /** Returns the k items whose text vectors have the largest inner product with `query`, best first. */
  async search(query: Float32Array, k: number): Promise<AnnHit[]> {
    const capped = Math.min(k, this.labels.length);
    if (capped <= 0) return [];
    const result = await this.index.search(query, capped);
    const hits: AnnHit[] = [];
    for (let j = result.offsets[0]; j < result.offsets[1]; j++) hits.push({ index: this.labels[result.labels[j]], score: result.distances[j] });
    return hits;
  }

  /** Returns whether catalog item `index` has a text vector. */
  has(index: number): boolean {
    return index < this.rowOf.length && this.rowOf[index] >= 0;
  }

  /** Inner product of `query` with the text vector of catalog item `index`; 0 when it has none. */
  score(query: Float32Array, index: number): number {
    const row = index < this.rowOf.length ? this.rowOf[index] : -1;
    if (row < 0) return 0;
    let sum = 0;
    for (let j = 0; j < this.dim; j++) sum += query[j] * this.rows[row * this.dim + j];
    return sum;
  }

  dispose(): void {
    this.index.dispose();
  }
}
