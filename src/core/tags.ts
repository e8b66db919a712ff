/**
 * An item's tags as search facets, search filters and explanations use them: its own tags and
 * the predicted tags (`predictedTags`, written by `aisle train`) whose confidence reaches
 * FACET_MIN_CONFIDENCE.
 */
import type { ItemMeta } from './types.js';

/**
 * Lowest confidence of a predicted tag. On amazon-scientific's hidden items (title neighbours),
 * 0.4 kept predicted tags of which 82% were true and gave 92% of the items at least one; 0.3 gave
 * 76% and 97%, 0.5 gave 87% and 85%.
 */
export const PREDICTED_TAG_MIN_CONFIDENCE = 0.4;
/** Predicted tags kept per item. */
export const MAX_PREDICTED_TAGS = 5;

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
  // No Set per item, because a filtered search checks every item of the catalog.
  for (const tag of required) {
    if (item.tags?.includes(tag)) continue;
    if (item.predictedTags?.some(([predicted, confidence]) => predicted === tag && confidence >= FACET_MIN_CONFIDENCE)) continue;
    return false;
  }
  return true;
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

/**
 * Returns the tags voted by an item's neighbours, best first: each tag's confidence is the
 * similarity-weighted share of the neighbours that carry it, as `aisle train` computes it.
 * Neighbours with a similarity of 0 or less do not vote. Confidences are rounded to 3 decimals,
 * and only those of at least `minConfidence` are kept, at most `max` of them.
 */
export function voteTags(
  neighbours: ReadonlyArray<{ tags: readonly string[]; similarity: number }>,
  minConfidence: number = PREDICTED_TAG_MIN_CONFIDENCE,
  max: number = MAX_PREDICTED_TAGS,
): Array<[string, number]> {
  const voting = neighbours.filter((neighbour) => neighbour.similarity > 0);
  const total = voting.reduce((sum, neighbour) => sum + neighbour.similarity, 0);
  if (total <= 0) return [];
  const scores = new Map<string, number>();
  for (const { tags, similarity } of voting) for (const tag of new Set(tags)) scores.set(tag, (scores.get(tag) ?? 0) + similarity / total);
  return [...scores.entries()]
    .filter(([, confidence]) => confidence >= minConfidence)
    .map(([tag, confidence]): [string, number] => [tag, Math.round(Math.min(1, confidence) * 1000) / 1000])
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, max);
}
