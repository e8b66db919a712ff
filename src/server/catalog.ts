/**
 * The item catalog the companion serves: items.json and item_vectors.f32 of a models directory,
 * checked against the manifest. Entry i of `items`, row i of `vectors` and FAISS id i are the same
 * item.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AisleError } from '../core/errors.js';
import type { CatalogFileEntry } from '../core/model-dir.js';
import type { ItemWire, Manifest } from '../core/types.js';
import { encodeVector } from '../core/vector.js';
import { describeInvalidItemVectors, findInvalidItemVectors } from './catalog-vectors.js';

const IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Encodes a float32 vector as base64 of its little-endian bytes, the same text as core's
 * encodeVector. Node's native base64 took 0.10 ms for 200 vectors of dim 64 where core's portable
 * codec, which must also run in browsers, took 1.66 ms (Node 20). A big-endian host falls back to
 * the portable codec.
 */
export function encodeVectorBase64(vector: Float32Array): string {
  if (!IS_LITTLE_ENDIAN) return encodeVector(vector);
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength).toString('base64');
}

/** Number of items in the popular list that /v1/candidates and /v1/trending return. */
export const POPULAR_LIST_SIZE = 50;

/**
 * Item data with lookups by id and by metadata. Items are only ever appended (`append`, for
 * items added after training), so a catalog index never changes its item.
 */
export class Catalog {
  private readonly entries: CatalogFileEntry[];
  private rows: Float32Array;
  readonly dim: number;
  private readonly popularityOrder: number[];
  private readonly indexById: Map<string, number>;

  constructor(items: CatalogFileEntry[], vectors: Float32Array, dim: number) {
    this.entries = items;
    this.rows = vectors;
    this.dim = dim;
    this.indexById = new Map(items.map((item, index) => [item.id, index]));
    this.popularityOrder = items.map((_, index) => index).sort((a, b) => items[b].stats.popularity - items[a].stats.popularity || a - b);
  }

  get items(): readonly CatalogFileEntry[] {
    return this.entries;
  }

  /** Row-major items × dim Float32Array of L2-normalized item vectors (a view; do not keep it across `append`). */
  get vectors(): Float32Array {
    return this.rows.subarray(0, this.entries.length * this.dim);
  }

  /** Item indices sorted by stats.popularity, most popular first. */
  get byPopularity(): readonly number[] {
    return this.popularityOrder;
  }

  get size(): number {
    return this.entries.length;
  }

  /**
   * Appends items with their L2-normalized vectors (row-major, dim each) and returns the index of
   * the first. The caller checks that the ids are new. Added items rank by their stats.popularity
   * among the others.
   */
  append(items: readonly CatalogFileEntry[], vectors: Float32Array): number {
    const first = this.entries.length;
    const needed = (first + items.length) * this.dim;
    if (needed > this.rows.length) {
      // Grow by half again at least, so many small appends copy the vectors a few times only.
      const grown = new Float32Array(Math.max(needed, Math.ceil(this.rows.length * 1.5)));
      grown.set(this.vectors);
      this.rows = grown;
    }
    this.rows.set(vectors.subarray(0, items.length * this.dim), first * this.dim);
    items.forEach((item, offset) => {
      this.entries.push(item);
      this.indexById.set(item.id, first + offset);
    });
    const popularity = (index: number) => this.entries[index].stats.popularity;
    for (let offset = 0; offset < items.length; offset++) {
      const index = first + offset;
      // Insert after every item at least as popular, keeping the index order of ties.
      let at = this.popularityOrder.length;
      while (at > 0 && popularity(this.popularityOrder[at - 1]) < popularity(index)) at--;
      this.popularityOrder.splice(at, 0, index);
    }
    return first;
  }

  /** Returns the index of an item id, or undefined when the catalog has no such item. */
  indexOf(id: string): number | undefined {
    return this.indexById.get(id);
  }

  /** Returns row `index` of the vectors as a view (callers must not write to it). */
  vector(index: number): Float32Array {
    return this.rows.subarray(index * this.dim, (index + 1) * this.dim);
  }

  /** Builds the wire form of an item; a fresh object each call, so callers may add fields. */
  toWire(index: number): ItemWire {
    const { stats, neighbors, tags, predictedTags, ...meta } = this.items[index];
    const wire: ItemWire = { ...meta, vector: encodeVectorBase64(this.vector(index)), stats: { ...stats } };
    if (tags) wire.tags = [...tags];
    if (predictedTags) wire.predictedTags = predictedTags.map(([tag, confidence]) => [tag, confidence]);
    if (neighbors) wire.neighbors = neighbors.map(([id, score]) => [id, score]);
    return wire;
  }

  /** Returns the most popular item indices, best first, skipping `excluded` ones. */
  popular(limit: number, excluded?: ReadonlySet<string>): number[] {
    const result: number[] = [];
    for (const index of this.byPopularity) {
      if (result.length >= limit) break;
      if (excluded?.has(this.items[index].id)) continue;
      result.push(index);
    }
    return result;
  }
}

function invalidFile(path: string, problem: string, cause?: unknown): AisleError {
  return new AisleError('AISLE_MODEL_LOAD_FAILED', `Loading ${path} failed: ${problem}. Re-run \`aisle train\` to write the models directory again.`, {
    cause,
    details: { file: path },
  });
}

function checkEntry(entry: unknown, position: number, seen: Set<string>, path: string): CatalogFileEntry {
  const item = entry as CatalogFileEntry;
  if (typeof item !== 'object' || item === null || typeof item.id !== 'string' || item.id.length === 0) {
    throw invalidFile(path, `entry ${position} has no string \`id\``);
  }
  if (seen.has(item.id)) throw invalidFile(path, `item id ${JSON.stringify(item.id)} appears twice (again at entry ${position})`);
  seen.add(item.id);

  const stats = item.stats;
  if (typeof stats !== 'object' || stats === null || !Number.isFinite(stats.popularity) || !Number.isFinite(stats.trending)) {
    throw invalidFile(path, `entry ${position} (${JSON.stringify(item.id)}) needs finite \`stats.popularity\` and \`stats.trending\``);
  }
  if (item.tags !== undefined && (!Array.isArray(item.tags) || !item.tags.every((tag) => typeof tag === 'string'))) {
    throw invalidFile(path, `entry ${position} (${JSON.stringify(item.id)}) has \`tags\` that are not an array of strings`);
  }
  const isPair = (pair: unknown) => Array.isArray(pair) && typeof pair[0] === 'string' && Number.isFinite(pair[1]);
  const isTagPair = (pair: unknown) => isPair(pair) && (pair as [string, number])[1] >= 0 && (pair as [string, number])[1] <= 1;
  if (item.predictedTags !== undefined && (!Array.isArray(item.predictedTags) || !item.predictedTags.every(isTagPair))) {
    throw invalidFile(path, `entry ${position} (${JSON.stringify(item.id)}) has \`predictedTags\` that are not [tag, confidence] pairs with a confidence in [0, 1]`);
  }
  if (item.neighbors !== undefined && (!Array.isArray(item.neighbors) || !item.neighbors.every(isPair))) {
    throw invalidFile(path, `entry ${position} (${JSON.stringify(item.id)}) has \`neighbors\` that are not [itemId, score] pairs`);
  }
  return item;
}

async function readItems(path: string, expected: number): Promise<CatalogFileEntry[]> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw invalidFile(path, `the file is missing or not valid JSON (${(error as Error).message})`, error);
  }
  if (!Array.isArray(raw)) throw invalidFile(path, 'the file must contain a JSON array of items');
  if (raw.length !== expected) throw invalidFile(path, `it has ${raw.length} items but manifest.json has catalog.items = ${expected}`);

  const seen = new Set<string>();
  return raw.map((entry, position) => checkEntry(entry, position, seen, path));
}

async function readVectors(path: string, ids: readonly string[], dim: number): Promise<Float32Array> {
  const items = ids.length;
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw invalidFile(path, `the file could not be read (${(error as Error).message})`, error);
  }
  const expected = items * dim * 4;
  if (bytes.length !== expected) {
    throw invalidFile(path, `it has ${bytes.length} bytes but ${items} items × dim ${dim} × 4 bytes = ${expected} were expected`);
  }

  // Read into a fresh array, because a Buffer from readFile may start at an offset that is not
  // a multiple of 4, which a Float32Array view cannot use. The file is little-endian whatever
  // the host is.
  const vectors = new Float32Array(items * dim);
  for (let i = 0; i < vectors.length; i++) vectors[i] = bytes.readFloatLE(i * 4);
  const invalid = findInvalidItemVectors(vectors, dim, ids);
  if (invalid.length > 0) {
    const error = invalidFile(path, `${invalid.length} item vectors are not finite vectors of L2 norm 1: ${describeInvalidItemVectors(invalid)}`);
    throw new AisleError(error.code, error.message, { details: { file: path, invalid } });
  }
  return vectors;
}

/** Loads and checks items.json and item_vectors.f32 named by the manifest. */
export async function loadCatalog(modelsDir: string, manifest: Manifest): Promise<Catalog> {
  const items = await readItems(join(modelsDir, manifest.catalog.itemsFile), manifest.catalog.items);
  const vectors = await readVectors(join(modelsDir, manifest.catalog.vectorsFile), items.map((item) => item.id), manifest.dim);
  return new Catalog(items, vectors, manifest.dim);
}
