/**
 * Serialized items for the routes' responses. Building an item's wire object and stringifying it
 * costs far more than the ANN search of a /v1/candidates request: encoding 200 candidates and the
 * popular list of a trained catalog took milliseconds per request that way. Each item's JSON is
 * built once and kept as UTF-8 bytes in a bounded LRU. A response body is then one Buffer copied
 * together from those bytes (JsonBody), which Fastify sends without serializing or re-encoding.
 *
 * The cached bytes include the item's stats, so they are valid while the catalog is read-only,
 * which it is for the life of a server.
 */
import { AisleError } from '../core/errors.js';
import { type Catalog, encodeVectorBase64 } from './catalog.js';

/** Default number of items kept; a trained catalog's item JSON is about 0.5 to 1.5 KB. */
export const DEFAULT_ITEM_JSON_ENTRIES = 65_536;

/** Counters of an ItemJsonCache. */
export interface ItemJsonCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  entries: number;
  maxEntries: number;
}

/**
 * A response body assembled from pieces: cached item bytes and short JSON strings. `toBuffer`
 * copies them once into a Buffer of the exact length.
 */
export class JsonBody {
  private readonly parts: Array<Buffer | string> = [];
  private length = 0;

  /** Appends JSON text. */
  text(text: string): this {
    this.parts.push(text);
    this.length += Buffer.byteLength(text);
    return this;
  }

  /** Appends UTF-8 bytes of JSON. */
  bytes(bytes: Buffer): this {
    this.parts.push(bytes);
    this.length += bytes.length;
    return this;
  }

  /** Appends the pieces of a JSON array, with commas, between `[` and `]`. */
  array<T>(values: readonly T[], append: (body: this, value: T) => void): this {
    this.text('[');
    values.forEach((value, i) => {
      if (i > 0) this.text(',');
      append(this, value);
    });
    return this.text(']');
  }

  /** Returns the body as one Buffer. */
  toBuffer(): Buffer {
    const buffer = Buffer.allocUnsafe(this.length);
    let offset = 0;
    for (const part of this.parts) {
      offset += typeof part === 'string' ? buffer.write(part, offset) : part.copy(buffer, offset);
    }
    return buffer;
  }
}

/** JSON bytes of `catalog.toWire(index)`, kept in a bounded LRU by catalog index. */
export class ItemJsonCache {
  readonly maxEntries: number;
  private readonly catalog: Catalog;
  // Map iteration follows insertion order: re-inserting on a hit keeps the least recently used key first.
  private readonly entries = new Map<number, Buffer>();
  private readonly counters = { hits: 0, misses: 0, evictions: 0 };

  /** maxEntries 0 turns the cache off: every call serializes the item again. */
  constructor(catalog: Catalog, maxEntries = DEFAULT_ITEM_JSON_ENTRIES) {
    if (!Number.isInteger(maxEntries) || maxEntries < 0) {
      throw new AisleError('AISLE_INVALID_ARGUMENT', `ItemJsonCache: maxEntries must be an integer ≥ 0 (0 turns the cache off), got ${String(maxEntries)}.`);
    }
    this.catalog = catalog;
    this.maxEntries = maxEntries;
  }

  /** A copy of the counters. */
  get stats(): ItemJsonCacheStats {
    return { ...this.counters, entries: this.entries.size, maxEntries: this.maxEntries };
  }

  /**
   * Returns the UTF-8 JSON of the item at a catalog index: the same JSON value as
   * `catalog.toWire(index)`, with the vector as the first key. Callers must not modify the bytes.
   */
  bytes(index: number): Buffer {
    const cached = this.entries.get(index);
    if (cached !== undefined) {
      this.counters.hits += 1;
      this.entries.delete(index);
      this.entries.set(index, cached);
      return cached;
    }

    this.counters.misses += 1;
    const bytes = Buffer.from(this.serialize(index));
    if (this.maxEntries === 0) return bytes;
    this.entries.set(index, bytes);
    if (this.entries.size > this.maxEntries) {
      this.entries.delete(this.entries.keys().next().value as number);
      this.counters.evictions += 1;
    }
    return bytes;
  }

  /**
   * Appends the item's JSON to body with one more numeric field at the end, such as annScore. The
   * value must be finite, because JSON has no NaN or Infinity.
   */
  appendWith(body: JsonBody, index: number, field: string, value: number): void {
    const bytes = this.bytes(index);
    // Every wire item has an id, so the object is never empty and a comma always fits before the field.
    body.bytes(bytes.subarray(0, bytes.length - 1)).text(`,${JSON.stringify(field)}:${JSON.stringify(value)}}`);
  }

  /**
   * Serializes the stored entry and puts the vector in front. toWire would copy the entry first,
   * and serializing those copies took several times longer in the encoding benchmark.
   */
  private serialize(index: number): string {
    const item = this.catalog.items[index];
    // A stored `vector` key would appear twice; toWire replaces it with the item vector instead.
    if (Object.hasOwn(item, 'vector')) return JSON.stringify(this.catalog.toWire(index));
    // Base64 text has no character that JSON escapes.
    return `{"vector":"${encodeVectorBase64(this.catalog.vector(index))}",${JSON.stringify(item).slice(1)}`;
  }
}

/** Number of popular lists kept per length k; requests use one or two lengths in practice. */
const POPULAR_LISTS_KEPT = 16;

/**
 * The popular list as JSON bytes. The list without exclusions is the same for every request, so
 * its bytes are built once per length k. A list with exclusions reuses the item bytes.
 */
export class PopularSnapshot {
  private readonly catalog: Catalog;
  private readonly items: ItemJsonCache;
  private readonly lists = new Map<number, Buffer>();

  constructor(catalog: Catalog, items: ItemJsonCache) {
    this.catalog = catalog;
    this.items = items;
  }

  /**
   * Returns the JSON array of the k most popular items, best first, skipping excluded ids: the same
   * JSON value as `catalog.popular(k, excluded).map((i) => catalog.toWire(i))`.
   */
  bytes(k: number, excluded?: ReadonlySet<string>): Buffer {
    const indices = this.catalog.popular(k, excluded);
    const build = () => new JsonBody().array(indices, (body, index) => body.bytes(this.items.bytes(index))).toBuffer();
    const unchanged = indices.length === Math.min(k, this.catalog.size) && (excluded === undefined || indices.every((index, rank) => index === this.catalog.byPopularity[rank]));
    if (!unchanged) return build();

    let list = this.lists.get(k);
    if (list === undefined) {
      list = build();
      if (this.lists.size >= POPULAR_LISTS_KEPT) this.lists.delete(this.lists.keys().next().value as number);
      this.lists.set(k, list);
    }
    return list;
  }
}
