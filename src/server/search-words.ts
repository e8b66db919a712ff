/**
 * The catalog view of the learned fusion (fusion.ts SearchCatalogView): each item's words and how
 * many items have each word. It is built at start-up, and POST /v1/items appends new items.
 */
import { itemWords, type ItemWords } from '../core/search-features.js';
import type { ItemMeta, ItemStats } from '../core/types.js';
import type { SearchCatalogView } from './fusion.js';

type WordsSource = Pick<ItemMeta, 'title' | 'category' | 'brand' | 'tags'> & { stats: Pick<ItemStats, 'popularity'> };

export class SearchWords implements SearchCatalogView {
  private readonly wordLists: ItemWords[] = [];
  private readonly popularities: number[] = [];
  private readonly frequencies = new Map<string, number>();

  constructor(items: readonly WordsSource[]) {
    this.append(items);
  }

  get size(): number {
    return this.wordLists.length;
  }

  /** Adds items at the next catalog indices. */
  append(items: readonly WordsSource[]): void {
    for (const item of items) {
      const words = itemWords(item);
      this.wordLists.push(words);
      this.popularities.push(item.stats.popularity);
      for (const word of new Set([...words.title, ...words.other])) this.frequencies.set(word, (this.frequencies.get(word) ?? 0) + 1);
    }
  }

  words(index: number): ItemWords {
    return this.wordLists[index] ?? { title: [], other: [], distinct: [] };
  }

  popularity(index: number): number {
    return this.popularities[index] ?? 0;
  }

  frequency(word: string): number {
    return this.frequencies.get(word) ?? 0;
  }
}
