/**
 * Copies and comparisons of item metadata, for the page's cache of the metadata the worker sent
 * (src/client/meta-cache.ts) and the worker's record of what it sent (src/worker/meta-sender.ts).
 */
import type { ItemMeta } from './types.js';

/** Returns a deep copy of `meta` with the same fields set, so changes to one never reach the other. */
export function copyItemMeta(meta: ItemMeta): ItemMeta {
  const copy: ItemMeta = { id: meta.id };
  if (meta.title !== undefined) copy.title = meta.title;
  if (meta.category !== undefined) copy.category = meta.category;
  if (meta.brand !== undefined) copy.brand = meta.brand;
  if (meta.price !== undefined) copy.price = meta.price;
  if (meta.tags !== undefined) copy.tags = meta.tags.slice();
  if (meta.predictedTags !== undefined) copy.predictedTags = meta.predictedTags.map(([tag, confidence]) => [tag, confidence]);
  if (meta.image !== undefined) copy.image = meta.image;
  if (meta.url !== undefined) copy.url = meta.url;
  return copy;
}

/** Returns whether `a` and `b` set the same fields to equal values, arrays compared entry by entry. */
export function sameItemMeta(a: ItemMeta, b: ItemMeta): boolean {
  if (a.id !== b.id || a.title !== b.title || a.category !== b.category || a.brand !== b.brand) return false;
  if (!Object.is(a.price, b.price) || a.image !== b.image || a.url !== b.url) return false;
  if (!sameList(a.tags, b.tags, (x, y) => x === y)) return false;
  return sameList(a.predictedTags, b.predictedTags, (x, y) => x[0] === y[0] && Object.is(x[1], y[1]));
}

function sameList<T>(a: readonly T[] | undefined, b: readonly T[] | undefined, same: (x: T, y: T) => boolean): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!same(a[i], b[i])) return false;
  return true;
}
