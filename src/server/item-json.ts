/**
 * Serialized items for the routes' responses. Building an item's wire object and stringifying it
 * costs far more than the ANN search of a /v1/candidates request: encoding 200 candidates and the
 * popular list of a trained catalog took milliseconds per request that way. Each item's JSON is
 * built on first use and kept as UTF-8 bytes. A response body is then one Buffer copied together
 * from those bytes (JsonBody), which Fastify sends without serializing or re-encoding.
 *
 * The cached bytes include the item's stats, so they are valid while the catalog is read-only,
 * which it is for the life of a server.
 */
import { type Catalog, encodeVectorBase64 } from './catalog.js';

/** Options of ItemJsonCache. */
export interface ItemJsonCacheOptions {
  /** Store bytes for later calls. With false, every call serializes the item again. Default true. */
  enabled?: boolean;
  /** Size of one storage Buffer; an item larger than this gets a Buffer of its own. Default 32 MiB. */
  segmentBytes?: number;
}

/** Counters of an ItemJsonCache. */
export interface ItemJsonCacheStats {
  hits: number;
  misses: number;
  /** Items whose bytes are stored. */
  items: number;
  /** Bytes of those items. */
  bytes: number;
  /** Storage Buffers allocated. */
  segments: number;
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

/**
 * JSON bytes of `catalog.toWire(index)` for every item served so far. Bytes are appended to large
 * Buffers and never evicted, so memory grows up to the JSON size of the whole catalog (about 0.5 to
 * 1.5 KB per item). An LRU would bound memory, but its evictions create a steady stream of
 * objects that outlive the young generation. With an LRU of per-item Buffers at 1M items, the
 * old-generation collections this caused took over a third of the main thread under load.
 */
export class ItemJsonCache {
  private readonly catalog: Catalog;
  private readonly enabled: boolean;
  private readonly segmentBytes: number;
  // Per catalog index: segment number (-1 while not stored), start offset and byte length.
  private readonly segmentOf: Int32Array;
  private readonly start: Uint32Array;
  private readonly length: Uint32Array;
  private readonly segments: Buffer[] = [];
  private used = 0;
  private readonly counters = { hits: 0, misses: 0, items: 0, bytes: 0 };

  constructor(catalog: Catalog, options: ItemJsonCacheOptions = {}) {
    const enabled = options.enabled ?? true;
    this.catalog = catalog;
    this.enabled = enabled;
    this.segmentBytes = options.segmentBytes ?? 32 * 1024 * 1024;
    this.segmentOf = new Int32Array(enabled ? catalog.size : 0).fill(-1);
    this.start = new Uint32Array(enabled ? catalog.size : 0);
    this.length = new Uint32Array(enabled ? catalog.size : 0);
  }

  /** A copy of the counters. */
  get stats(): ItemJsonCacheStats {
    return { ...this.counters, segments: this.segments.length };
  }

  /**
   * Returns the UTF-8 JSON of the item at a catalog index: the same JSON value as
   * `catalog.toWire(index)`, with the vector as the first key. The bytes are a view into shared
   * storage, so callers must not modify them.
   */
  bytes(index: number): Buffer {
    // Items appended after start-up lie beyond the tables and are serialized on each call.
    const segment = this.enabled && index < this.segmentOf.length ? this.segmentOf[index] : -1;
    if (segment >= 0) {
      this.counters.hits += 1;
      return this.segments[segment].subarray(this.start[index], this.start[index] + this.length[index]);
    }

    this.counters.misses += 1;
    const text = this.serialize(index);
    return this.enabled && index < this.segmentOf.length ? this.store(index, text) : Buffer.from(text);
  }

  private store(index: number, text: string): Buffer {
    // A UTF-16 code unit takes at most 3 UTF-8 bytes, so maxBytes always fits the text.
    const maxBytes = 3 * text.length;
    let segment = this.segments[this.segments.length - 1];
    if (segment === undefined || this.used + maxBytes > segment.length) {
      segment = Buffer.allocUnsafeSlow(Math.max(this.segmentBytes, maxBytes));
      this.segments.push(segment);
      this.used = 0;
    }

    const written = segment.write(text, this.used);
    this.segmentOf[index] = this.segments.length - 1;
    this.start[index] = this.used;
    this.length[index] = written;
    this.used += written;
    this.counters.items += 1;
    this.counters.bytes += written;
    return segment.subarray(this.start[index], this.used);
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
