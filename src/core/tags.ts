/**
 * An item's tags as search facets, search filters and explanations use them: its own tags and
 * the predicted tags (`predictedTags`, written by `aisle train`) whose confidence reaches
 * FACET_MIN_CONFIDENCE.
 */
import type { ItemMeta } from './types.js';

/** Facets returned per search. */
export const SEARCH_FACETS = 12;
/** Smallest confidence of a predicted tag that counts as the item's tag in facets and filters. */
export const FACET_MIN_CONFIDENCE = 0.5;

/** Returns the distinct tags of an item that facets and filters use. */
export function facetTags(item: Pick<ItemMeta, 'tags' | 'predictedTags'>): Set<string> {
  const tags = new Set(item.tags ?? []);
  for (const [tag, confidence] of item.predictedTags ?? []) if (confidence >= FACET_MIN_CONFIDENCE) tags.add(tag);
  return tags;
}

/** Returns whether the item carries every tag of `required`. */
export function hasTags(item: Pick<ItemMeta, 'tags' | 'predictedTags'>, required: readonly string[]): boolean {
  if (required.length === 0) return true;
  const tags = facetTags(item);
  return required.every((tag) => tags.has(tag));
}

/** Counts the facet tags of the items; most common first, ties by tag name, at most `limit`. */
export function countFacets(items: Iterable<Pick<ItemMeta, 'tags' | 'predictedTags'>>, limit: number = SEARCH_FACETS): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const item of items) for (const tag of facetTags(item)) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  const byName = (a: string, b: string) => {
    if (a === b) return 0;
    return a < b ? -1 : 1;
  };
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || byName(a[0], b[0])).slice(0, limit);
}
