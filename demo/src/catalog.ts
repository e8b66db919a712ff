/**
 * Catalog browsing over plain HTTP to the companion's public routes (items, trending, search).
 * Personalization goes through the SDK; this module only lists and looks up items, and it keeps
 * every item it has seen in a cache so SDK results that carry only ids can still be drawn.
 */
import type { ItemMeta } from '../../src/client/index.js';

/** Catalog metadata the page shows: the SDK's ItemMeta plus the companion's co-visitation neighbors. */
export interface CatalogItem extends Pick<ItemMeta, 'id' | 'title' | 'category' | 'brand' | 'price' | 'tags'> {
  /** Items most often viewed right after this one, best first. */
  neighbors?: Array<[string, number]>;
}

/** An item in a companion response; the page reads only the CatalogItem fields, not vectors or stats. */
type ItemResponse = CatalogItem & Record<string, unknown>;

/** Strips vectors and statistics, keeping what the page shows. */
function toCatalogItem(response: ItemResponse): CatalogItem {
  const { id, title, category, brand, price, tags, neighbors } = response;
  return { id: String(id), title, category, brand, price: typeof price === 'number' ? price : undefined, tags, neighbors };
}

/** HTTP access to the companion with an item cache. */
export class Catalog {
  private readonly cache = new Map<string, CatalogItem>();
  /** Ids whose full record (with neighbors) came from GET /v1/items; SDK results carry less. */
  private readonly complete = new Set<string>();

  constructor(readonly endpoint: string) {}

  /** Returns the cached item, if any route has returned it before. */
  cached(id: string): CatalogItem | undefined {
    return this.cache.get(id);
  }

  /** Stores items from any source (SDK results carry metadata too). */
  remember(items: CatalogItem[]): void {
    for (const item of items) {
      const known = this.cache.get(item.id);
      this.cache.set(item.id, { ...known, ...item, neighbors: item.neighbors ?? known?.neighbors });
    }
  }

  /** Fetches items by id in the order given; ids the catalog lacks are left out. */
  async items(ids: string[]): Promise<CatalogItem[]> {
    const unknown = ids.filter((id) => !this.complete.has(id));
    // GET /v1/items takes a comma-separated list; 100 ids keep the URL short for any proxy.
    for (let start = 0; start < unknown.length; start += 100) {
      const chunk = unknown.slice(start, start + 100);
      const body = await this.getJson<{ items: ItemResponse[] }>(`/v1/items?ids=${chunk.map(encodeURIComponent).join(',')}`);
      this.remember(body.items.map(toCatalogItem));
      for (const item of body.items) this.complete.add(String(item.id));
    }
    return ids.map((id) => this.cache.get(id)).filter((item): item is CatalogItem => item !== undefined);
  }

  /** Fetches the trending (most popular) items, best first. */
  async trending(k: number): Promise<CatalogItem[]> {
    const body = await this.getJson<{ items: ItemResponse[] }>(`/v1/trending?k=${k}`);
    const items = body.items.map(toCatalogItem);
    this.remember(items);
    return items;
  }

  /** Full-text (BM25) search of the catalog without personalization, for when the SDK is degraded. */
  async search(query: string, k: number): Promise<CatalogItem[]> {
    const body = await this.postJson<{ items: ItemResponse[] }>('/v1/search', { query, k });
    const items = body.items.map(toCatalogItem);
    this.remember(items);
    return items;
  }

  /**
   * Lists the items of one category by merging the 200 most popular items and a text search for
   * the category name, keeping exact category matches.
   * NOTE: this misses items that are neither popular nor found by their category's name; a paged
   * catalog route on the companion would list them all.
   */
  async category(category: string, k: number): Promise<CatalogItem[]> {
    const [popular, found] = await Promise.all([this.trending(200), this.search(category, 100).catch(() => [])]);
    const seen = new Set<string>();
    const matches: CatalogItem[] = [];
    for (const item of [...popular, ...found]) {
      if (item.category !== category || seen.has(item.id)) continue;
      seen.add(item.id);
      matches.push(item);
    }
    return matches.slice(0, k);
  }

  private async getJson<T>(path: string): Promise<T> {
    const response = await fetch(`${this.endpoint}${path}`);
    return this.readJson<T>(response, `GET ${path}`);
  }

  private async postJson<T>(path: string, body: unknown): Promise<T> {
    const response = await fetch(`${this.endpoint}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return this.readJson<T>(response, `POST ${path}`);
  }

  private async readJson<T>(response: Response, request: string): Promise<T> {
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      throw new Error(`${request} failed with HTTP ${response.status} from the companion at ${this.endpoint}: ${text.slice(0, 200)}`);
    }
    return (await response.json()) as T;
  }
}
