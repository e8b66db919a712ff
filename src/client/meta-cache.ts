/**
 * The page's cache of the item metadata the worker sent, so a reply can leave out metadata the
 * page already has (see src/worker/meta-sender.ts). Callers always get their own copies, so
 * changing a returned item never changes a later result.
 */
import { ITEM_META_CACHE_SIZE, type WireRankResult } from './protocol.js';
import { copyItemMeta } from '../core/item-meta.js';
import type { ItemMeta, RankResult, ScoredItem } from '../core/types.js';

/** Asks the worker for the metadata it last sent for `ids` (null where it has none). */
export type MetaLookup = (ids: string[]) => Promise<Array<ItemMeta | null>>;

/** Item metadata received from the worker, by item id. */
export class ItemMetaCache {
  private readonly metas = new Map<string, ItemMeta>();

  constructor(private readonly capacity = ITEM_META_CACHE_SIZE) {}

  /**
   * Stores the metadata of `wire` and fills in its `cachedItem` entries. It must run for every
   * reply of the worker, in the order they arrive, so the cache keeps the ids the worker expects.
   * Ids the cache lacks are fetched with `lookup`. An id the worker has no metadata for either
   * comes back without `item`.
   */
  async decode(wire: WireRankResult, lookup: MetaLookup): Promise<RankResult> {
    const missing: string[] = [];
    const items = wire.items.map((scored): ScoredItem => {
      if (!scored.cachedItem) {
        if (scored.item !== undefined) this.store(scored.id, copyItemMeta(scored.item));
        return scored;
      }
      const { cachedItem: _mark, ...rest } = scored;
      const cached = this.metas.get(scored.id);
      if (cached === undefined) missing.push(scored.id);
      return cached === undefined ? rest : { ...rest, item: copyItemMeta(cached) };
    });
    if (missing.length > 0) await this.fill(items, missing, lookup);
    return { ...wire, items };
  }

  /** Drops every entry. forget() calls it, because cached items reveal what the shopper saw. */
  clear(): void {
    this.metas.clear();
  }

  private async fill(items: ScoredItem[], missing: string[], lookup: MetaLookup): Promise<void> {
    const ids = [...new Set(missing)];
    const found = await lookup(ids).catch(() => []);
    const byId = new Map<string, ItemMeta>();
    ids.forEach((id, i) => {
      if (found[i]) byId.set(id, found[i]);
    });
    for (const scored of items) {
      const meta = scored.item === undefined ? byId.get(scored.id) : undefined;
      if (meta) scored.item = copyItemMeta(meta);
    }
  }

  private store(id: string, meta: ItemMeta): void {
    this.metas.delete(id);
    this.metas.set(id, meta);
    if (this.metas.size > this.capacity) this.metas.delete(this.metas.keys().next().value!);
  }
}
