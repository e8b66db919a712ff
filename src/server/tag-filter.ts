/**
 * Retrieval for a search with tag filters. The filter applies before the lists are cut to the
 * fusion depth, so an item that carries the tags is found however far down the unfiltered lists
 * it would rank. The text list is read deeper until it contains enough tagged items. The vector
 * list is scored exactly over the tagged items when they are a small share of the catalog, and
 * read deeper from the index otherwise.
 */
import { hasTags } from '../core/tags.js';
import type { ItemMeta } from '../core/types.js';

/** One hit of a text or vector list: catalog index and score. */
export interface ListHit {
  index: number;
  score: number;
}

/**
 * Factor by which each deeper read of a list grows. Below a share of 1 / DEEPEN_FACTOR of the
 * catalog, the tagged items are scored exactly, because an index read would need to go deeper than
 * that share allows.
 */
export const DEEPEN_FACTOR = 8;

/**
 * Returns the catalog indices of the items that carry every tag of `required`. It checks every
 * item: about 5 ms per 100,000 items with two tags on the 2-core test machine.
 */
export function taggedItems(items: ReadonlyArray<Pick<ItemMeta, 'tags' | 'predictedTags'>>, required: readonly string[]): Set<number> {
  const tagged = new Set<number>();
  items.forEach((item, index) => {
    if (hasTags(item, required)) tagged.add(index);
  });
  return tagged;
}

/**
 * Returns the best `depth` hits of a list among the `allowed` items, best first. `read(k)` returns
 * the list's best k hits; it is called with k = depth, then DEEPEN_FACTOR times deeper, until
 * enough allowed hits come back or the list has no more than `total` entries.
 */
export async function deepenedHits(read: (k: number) => Promise<readonly ListHit[]>, allowed: ReadonlySet<number>, depth: number, total: number): Promise<ListHit[]> {
  let k = depth;
  for (;;) {
    const hits = await read(k);
    const allowedHits = hits.filter((hit) => allowed.has(hit.index));
    if (allowedHits.length >= depth || hits.length < k || k >= total) return allowedHits.slice(0, depth);
    k = Math.min(total, k * DEEPEN_FACTOR);
  }
}

/**
 * Returns the best `depth` vector hits among the `allowed` items, best first. With few allowed
 * items it scores each with `score`, and leaves out those without a vector (`hasVector`), as the
 * index does. Else it reads the index deeper (deepenedHits). `indexSize` is the number of
 * vectors in the index.
 */
export async function filteredVectorHits(
  read: (k: number) => Promise<readonly ListHit[]>,
  score: (index: number) => number,
  hasVector: (index: number) => boolean,
  allowed: ReadonlySet<number>,
  depth: number,
  indexSize: number,
): Promise<ListHit[]> {
  if (allowed.size * DEEPEN_FACTOR >= indexSize) {
    const hits = await deepenedHits(read, allowed, depth, indexSize);
    if (hits.length >= Math.min(depth, allowed.size)) return hits;
  }
  const scored: ListHit[] = [];
  for (const index of allowed) if (hasVector(index)) scored.push({ index, score: score(index) });
  scored.sort((a, b) => b.score - a.score || a.index - b.index);
  return scored.slice(0, depth);
}
