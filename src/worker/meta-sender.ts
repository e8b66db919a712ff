/**
 * The worker's record of the item metadata it sent to the page. When the page already received an
 * equal ItemMeta for an item, a reply leaves it out and marks the item `cachedItem`. The page then
 * fills it in from its ItemMetaCache (src/client/meta-cache.ts).
 *
 * Both sides store the metadata of every reply in reply order and evict the entry stored first
 * past ITEM_META_CACHE_SIZE, so they keep the same ids. When they differ (after forget() or a
 * reply the page did not read), the page requests the missing ids with `lookup`.
 */
import { ITEM_META_CACHE_SIZE, type WireRankResult, type WireScoredItem } from '../client/protocol.js';
import { sameItemMeta } from '../core/item-meta.js';
import type { ItemMeta, RankResult } from '../core/types.js';

/** Item metadata sent to the page, by item id. */
export class ItemMetaSender {
  private readonly sent = new Map<string, ItemMeta>();

  constructor(private readonly capacity = ITEM_META_CACHE_SIZE) {}

  /** Returns `result` with each ItemMeta the page already has replaced by a `cachedItem` mark. */
  encode(result: RankResult): WireRankResult {
    const items = result.items.map((scored): WireScoredItem => {
      const meta = scored.item;
      if (meta === undefined) return scored;
      const previous = this.sent.get(scored.id);
      if (previous !== undefined && sameItemMeta(previous, meta)) {
        const { item: _omitted, ...rest } = scored;
        return { ...rest, cachedItem: true };
      }
      this.store(scored.id, meta);
      return scored;
    });
    return { ...result, items };
  }

  /** Returns the metadata last sent for each id, or null for ids with none. */
  lookup(ids: readonly string[]): Array<ItemMeta | null> {
    return ids.map((id) => this.sent.get(id) ?? null);
  }

  /** Drops every entry, because forget() erases what the device stores about the shopper. */
  clear(): void {
    this.sent.clear();
  }

  private store(id: string, meta: ItemMeta): void {
    this.sent.delete(id);
    this.sent.set(id, meta);
    if (this.sent.size > this.capacity) this.sent.delete(this.sent.keys().next().value!);
  }
}
