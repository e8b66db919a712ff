/**
 * Item JSON with live signals. Every item the companion returns carries a `live` object
 * (LiveSignals), appended to the cached item bytes, so the bytes of ItemJsonCache stay valid while
 * the counters change.
 */
import type { Catalog } from '../catalog.js';
import { type ItemJsonCache, JsonBody } from '../item-json.js';
import type { LiveState } from './live-state.js';

/** A numeric field written before `live`, such as annScore; the value must be finite. */
export interface ExtraField {
  name: string;
  value: number;
}

/** Writes items with their `live` signals into response bodies. */
export class LiveItemJson {
  private readonly catalog: Catalog;
  private readonly items: ItemJsonCache;
  private readonly currentLive: () => LiveState;
  // Cold-start lists without exclusions, kept until the counter snapshot changes.
  private cached: { store?: LiveState['store']; version: number; lists: Map<number, { indices: number[]; bytes: Buffer }> } = { version: -1, lists: new Map() };

  /**
   * `live` returns the counters to read, at each use: an extra model set reads the default set's,
   * which a reload replaces (model-sets.ts).
   */
  constructor(catalog: Catalog, items: ItemJsonCache, live: () => LiveState) {
    this.catalog = catalog;
    this.items = items;
    this.currentLive = live;
  }

  /** Appends the JSON of the item at a catalog index, with an optional extra field and its live signals. */
  append(body: JsonBody, index: number, extra?: ExtraField): void {
    const bytes = this.items.bytes(index);
    // Every wire item has an id, so the object is never empty and a comma always fits before a field.
    body.bytes(bytes.subarray(0, bytes.length - 1));
    if (extra) body.text(`,${JSON.stringify(extra.name)}:${JSON.stringify(extra.value)}`);
    body.text(`,"live":${JSON.stringify(this.currentLive().store.signals(this.catalog.items[index].id))}}`);
  }

  /** Returns the JSON array of the cold-start list (LiveState.coldStart) of length k. */
  coldStart(k: number, excluded?: ReadonlySet<string>): Buffer {
    const live = this.currentLive();
    const indices = live.coldStart(k, excluded, this.catalog);
    const { store } = live;
    // Counters replaced by a reload start their versions again, so the store must match too.
    if (this.cached.version !== store.version || this.cached.store !== store) this.cached = { store, version: store.version, lists: new Map() };

    // Exclusions that miss the list leave it unchanged, so its bytes are reused.
    const hit = this.cached.lists.get(k);
    if (hit && hit.indices.length === indices.length && hit.indices.every((index, i) => index === indices[i])) return hit.bytes;

    const bytes = new JsonBody().array(indices, (body, index) => this.append(body, index)).toBuffer();
    if (excluded === undefined || excluded.size === 0) this.cached.lists.set(k, { indices, bytes });
    return bytes;
  }
}
