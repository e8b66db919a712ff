/**
 * The item records of a trained model set: what the companion ships for each item (metadata,
 * vector, popularity, co-visitation neighbors) and what the ranker's features read. Training
 * builds them from the same numbers it writes to items.json, so the features of ranker training
 * and evaluation are the ones the worker computes from companion responses.
 */
import type { CatalogFileEntry } from '../../core/model-dir.js';
import type { ItemRecord } from '../../core/types.js';
import type { Covisitation, Popularity } from '../data/covisit.js';
import type { Dataset } from '../data/dataset.js';

/** Item records in item-index order, with the lookup tables retrieval needs. */
export interface Catalog {
  records: ItemRecord[];
  byId: Map<string, ItemRecord>;
  /** Item indices by id. */
  indexById: Map<string, number>;
  /** Most popular items in training prefixes, best first. */
  popular: ItemRecord[];
  /** Row-major [items, D] item vectors. */
  vectors: Float32Array;
  dim: number;
}

/** Number of popular items kept in a catalog (the companion's `popular` list). */
export const POPULAR_ITEMS = 100;

/** Builds the item records from the trained item vectors and the training-prefix statistics. */
export function buildCatalog(dataset: Dataset, vectors: Float32Array, dim: number, counts: Popularity, covisit: Covisitation): Catalog {
  const records: ItemRecord[] = dataset.items.map((meta, index) => {
    const neighbors = covisit.neighbors(index);
    return {
      ...meta,
      vector: vectors.subarray(index * dim, (index + 1) * dim),
      stats: { popularity: counts.scores[index], trending: 0 },
      neighbors: Array.from(neighbors.items, (item, k): [string, number] => [dataset.items[item].id, neighbors.scores[k]]),
    };
  });
  const popular = Array.from(counts.popular.subarray(0, POPULAR_ITEMS), (index) => records[index]);
  return {
    records,
    byId: new Map(records.map((record) => [record.id, record])),
    indexById: new Map(records.map((record, index) => [record.id, index])),
    popular,
    vectors,
    dim,
  };
}

/** Returns the items.json entries: metadata, stats and neighbors of each record, without the vector. */
export function catalogEntries(catalog: Catalog): CatalogFileEntry[] {
  return catalog.records.map(({ vector: _vector, ...entry }) => entry);
}

/**
 * Rebuilds a catalog from items.json entries and item_vectors.f32 (for `aisle eval`). The
 * popular list is ordered by stats.popularity, which is monotonic in the training count, ties by
 * lower index as in `popularity()`.
 */
export function catalogFromFiles(entries: readonly CatalogFileEntry[], vectors: Float32Array, dim: number): Catalog {
  const records: ItemRecord[] = entries.map((entry, index) => ({ ...entry, vector: vectors.subarray(index * dim, (index + 1) * dim) }));
  const order = records.map((_, index) => index).sort((a, b) => records[b].stats.popularity - records[a].stats.popularity || a - b);
  return {
    records,
    byId: new Map(records.map((record) => [record.id, record])),
    indexById: new Map(records.map((record, index) => [record.id, index])),
    popular: order.slice(0, POPULAR_ITEMS).map((index) => records[index]),
    vectors,
    dim,
  };
}
