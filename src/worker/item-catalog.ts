/**
 * In-memory cache of item records, filled from companion responses. Lookups that miss are
 * batched: every id requested in the same tick goes out in one GET /v1/items request.
 */
import type { ItemRecord } from '../core/types.js';
import type { CompanionClient } from './companion.js';

/** Default number of records kept; the oldest-used are evicted first. */
export const DEFAULT_CATALOG_CAPACITY = 5000;

interface PendingBatch {
  ids: Set<string>;
  done: Promise<void>;
}

/** Item records by id, with batched fetches of the missing ones. */
export class ItemCatalog {
  // A Map iterates in insertion order, so re-inserting on use makes the first key the least recently used.
  private readonly records = new Map<string, ItemRecord>();
  private readonly unknown = new Set<string>();
  private pending?: PendingBatch;

  constructor(
    private readonly companion: CompanionClient,
    private readonly capacity = DEFAULT_CATALOG_CAPACITY,
  ) {}

  /** Adds records that arrived with other responses (candidates, search, trending). */
  remember(items: Iterable<ItemRecord>): void {
    for (const item of items) this.put(item);
  }

  /** Drops every cached record, because the cached items reveal which ones the shopper looked at. */
  clear(): void {
    this.records.clear();
    this.unknown.clear();
  }

  /** Returns the cached record of `id` without fetching. */
  peek(id: string): ItemRecord | undefined {
    return this.records.get(id);
  }

  /**
   * Returns the records of `ids` that exist, fetching missing ones in one batched request.
   * Ids the companion reported as not in the catalog are not requested again. Rejects when
   * the request fails.
   */
  async get(ids: readonly string[]): Promise<Map<string, ItemRecord>> {
    const missing = ids.filter((id) => !this.records.has(id) && !this.unknown.has(id));
    if (missing.length > 0) await this.fetchBatched(missing);

    const found = new Map<string, ItemRecord>();
    for (const id of ids) {
      const record = this.records.get(id);
      if (record) {
        found.set(id, record);
        this.touch(id, record);
      }
    }
    return found;
  }

  private fetchBatched(ids: readonly string[]): Promise<void> {
    if (!this.pending) {
      const batch: PendingBatch = { ids: new Set(), done: Promise.resolve() };
      // Wait one microtask so that every get() of the current tick joins this batch.
      batch.done = Promise.resolve().then(async () => {
        this.pending = undefined;
        const { items, missing } = await this.companion.items([...batch.ids]);
        this.remember(items);
        for (const id of missing) this.unknown.add(id);
        // Ids a page made up must not grow the set without bound; forgetting one costs a request.
        if (this.unknown.size > this.capacity) this.unknown.clear();
      });
      this.pending = batch;
    }
    for (const id of ids) this.pending.ids.add(id);
    return this.pending.done;
  }

  private put(item: ItemRecord): void {
    this.records.delete(item.id);
    this.records.set(item.id, item);
    this.unknown.delete(item.id);
    while (this.records.size > this.capacity) {
      const oldest = this.records.keys().next().value;
      if (oldest === undefined) break;
      this.records.delete(oldest);
    }
  }

  private touch(id: string, record: ItemRecord): void {
    this.records.delete(id);
    this.records.set(id, record);
  }
}
