/**
 * BM25 full-text search over the catalog text (title, category, brand, tags) with MiniSearch.
 * Item text and queries are normalized as the query encoder's text is (NFKC, lower case, accents
 * removed), so full-width letters, ligatures, case and accents match. Words follow the Unicode
 * word boundaries of Intl.Segmenter, which splits scripts written without spaces (Chinese,
 * Thai) into dictionary words. Terms without a letter or digit (emoji, punctuation) are dropped.
 */
import MiniSearch from 'minisearch';
import { fuzzyDistance, tokenize } from '../core/words.js';
import type { ItemMeta } from '../core/types.js';

export { tokenize } from '../core/words.js';

/** The item fields that text search indexes. */
export type ItemText = Pick<ItemMeta, 'title' | 'category' | 'brand' | 'tags'>;

/** One text match: the catalog index of the item and its BM25 score (positive, finite). */
export interface TextHit {
  index: number;
  score: number;
}

interface TextDocument {
  index: number;
  title: string;
  category: string;
  brand: string;
  tags: string;
}

/**
 * Largest number of query words searched; the rest are ignored. Each word costs a prefix and a
 * fuzzy walk of the term tree, so this bounds the work of one request.
 */
export const MAX_QUERY_WORDS = 32;

/** Number of recent queries whose results are kept, by normalized words and k. */
export const RESULT_CACHE_SIZE = 1024;

/**
 * A BM25 index over the catalog, built once at start-up and read-only afterwards.
 *
 * NOTE: MiniSearch scores every item that contains a query word, so a word found in most items
 * is slow. On a synthetic 100k-item catalog, a query word present in every title took 150–400 ms
 * on a 2-core VM. The result cache makes repeats of such queries cheap, and the companion runs
 * this class in a worker thread so other routes do not wait (text-search-client.ts).
 */
export class TextSearch {
  private readonly index: MiniSearch<TextDocument>;
  // Map iteration follows insertion order, so re-inserting on a hit makes the first key the
  // least recently used one.
  private readonly cache = new Map<string, readonly TextHit[]>();

  constructor(items: readonly ItemText[]) {
    this.index = new MiniSearch<TextDocument>({
      idField: 'index',
      fields: ['title', 'category', 'brand', 'tags'],
      tokenize,
      processTerm: (term) => term,
      searchOptions: {
        boost: { title: 2 },
        prefix: (term) => term.length >= 3,
        fuzzy: fuzzyDistance,
        combineWith: 'OR',
      },
    });
    this.add(0, items);
  }

  /** Indexes items whose catalog indices start at `first`; clears the result cache. */
  add(first: number, items: readonly ItemText[]): void {
    this.index.addAll(
      items.map((item, offset) => ({
        index: first + offset,
        title: item.title ?? '',
        category: item.category ?? '',
        brand: item.brand ?? '',
        tags: (item.tags ?? []).join(' '),
      })),
    );
    this.cache.clear();
  }

  /** Returns up to k best matches of the query, best first; an empty list when it has no words. */
  search(query: string, k: number): TextHit[] {
    const words = tokenize(query).slice(0, MAX_QUERY_WORDS);
    if (words.length === 0) return [];

    const key = `${k}\u0000${words.join(' ')}`;
    const cached = this.cache.get(key);
    if (cached) {
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached.map((hit) => ({ ...hit }));
    }

    const hits = this.index
      .search(words.join(' '))
      .filter((result) => Number.isFinite(result.score) && result.score > 0)
      .slice(0, k)
      .map((result) => ({ index: result.id as number, score: result.score }));
    this.remember(key, hits);
    return hits.map((hit) => ({ ...hit }));
  }

  private remember(key: string, hits: TextHit[]): void {
    if (this.cache.size >= RESULT_CACHE_SIZE) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(key, hits);
  }
}
