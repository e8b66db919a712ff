/**
 * Serialized items for the routes' responses. Building an item's wire object and stringifying it
 * costs far more than the ANN search of a /v1/candidates request: before this cache, encoding 200
 * candidates and the popular list of a trained catalog took milliseconds per request. Each item's
 * JSON text is built once and kept in a bounded LRU. Responses are then assembled as text.
 *
 * The texts include the item's stats, so they are valid while the catalog is read-only, which it
 * is for the life of a server.
 */
import { AisleError } from '../core/errors.js';
import { type Catalog, encodeVectorBase64 } from './catalog.js';

/** Default number of item texts kept; a trained catalog's item text is about 0.5 to 1.5 KB. */
export const DEFAULT_ITEM_JSON_ENTRIES = 65_536;

/** Counters of an ItemJsonCache. */
export interface ItemJsonCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  entries: number;
  maxEntries: number;
}

/** JSON texts of `catalog.toWire(index)`, kept in a bounded LRU by catalog index. */
export class ItemJsonCache {
  readonly maxEntries: number;
  private readonly catalog: Catalog;
  // Map iteration follows insertion order: re-inserting on a hit keeps the least recently used key first.
  private readonly texts = new Map<number, string>();
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
    return { ...this.counters, entries: this.texts.size, maxEntries: this.maxEntries };
  }

  /**
   * Returns the JSON text of the item at a catalog index: the same JSON value as
   * `catalog.toWire(index)`, with the vector as the first key.
   */
  json(index: number): string {
    const cached = this.texts.get(index);
    if (cached !== undefined) {
      this.counters.hits += 1;
      this.texts.delete(index);
      this.texts.set(index, cached);
      return cached;
    }

    this.counters.misses += 1;
    const text = this.serialize(index);
    if (this.maxEntries === 0) return text;
    this.texts.set(index, text);
    if (this.texts.size > this.maxEntries) {
      this.texts.delete(this.texts.keys().next().value as number);
      this.counters.evictions += 1;
    }
    return text;
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

  /**
   * Returns the item's JSON text with one more numeric field at the end, such as annScore. The
   * value must be finite, because JSON has no NaN or Infinity.
   */
  jsonWith(index: number, field: string, value: number): string {
    const text = this.json(index);
    // Every wire item has an id, so the object is never empty and a comma always fits before the field.
    return `${text.slice(0, -1)},${JSON.stringify(field)}:${JSON.stringify(value)}}`;
  }
}

/** Number of popular-list texts kept per length k; requests use one or two lengths in practice. */
const POPULAR_TEXTS_KEPT = 16;

/**
 * The popular list as JSON text. The list without exclusions is the same for every request, so
 * its text is built once per length k. A list with exclusions reuses the item texts.
 */
export class PopularSnapshot {
  private readonly catalog: Catalog;
  private readonly items: ItemJsonCache;
  private readonly texts = new Map<number, string>();

  constructor(catalog: Catalog, items: ItemJsonCache) {
    this.catalog = catalog;
    this.items = items;
  }

  /**
   * Returns the JSON array text of the k most popular items, best first, skipping excluded ids;
   * equal to `JSON.stringify(catalog.popular(k, excluded).map((i) => catalog.toWire(i)))`.
   */
  json(k: number, excluded?: ReadonlySet<string>): string {
    const indices = this.catalog.popular(k, excluded);
    const unchanged = indices.length === Math.min(k, this.catalog.size) && (excluded === undefined || indices.every((index, rank) => index === this.catalog.byPopularity[rank]));
    if (!unchanged) return `[${indices.map((index) => this.items.json(index)).join(',')}]`;

    let text = this.texts.get(k);
    if (text === undefined) {
      text = `[${indices.map((index) => this.items.json(index)).join(',')}]`;
      if (this.texts.size >= POPULAR_TEXTS_KEPT) this.texts.delete(this.texts.keys().next().value as number);
      this.texts.set(k, text);
    }
    return text;
  }
}
