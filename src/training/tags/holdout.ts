/**
 * The items whose attributes the tags evaluation hides. The choice is a hash of the item id, so
 * it is the same on every run and needs no file. A hidden item keeps only what a new product
 * page would show without its attributes: its id, its title and its behaviour. Its tags,
 * category and brand are removed, and its text becomes its title. So neither the item tower's
 * content tokens nor the tag model's text input can carry a hidden attribute.
 */
import { hashHeldOutItems, isHashHeldOut } from '../data/hash-holdout.js';
import type { ItemMeta } from '../../core/types.js';
import type { Dataset } from '../data/dataset.js';

/** One item in this many has its attributes hidden (20%). */
export const TAG_HOLDOUT_MODULUS = 5;

/** True when the tags evaluation hides this item's attributes. */
export function isTagHeldOut(itemId: string): boolean {
  return isHashHeldOut('tags-holdout', TAG_HOLDOUT_MODULUS, itemId);
}

/** Indices of the items whose attributes are hidden. */
export function tagHeldOutItems(itemIds: readonly string[]): Set<number> {
  return hashHeldOutItems('tags-holdout', TAG_HOLDOUT_MODULUS, itemIds);
}

/**
 * Returns the text that the tag predictors read for an item: its title alone. Category paths and brands are the
 * attributes it predicts, so they must not be part of its input.
 */
export function tagModelText(item: ItemMeta): string {
  return item.title ?? '';
}

/**
 * Returns a copy of the dataset in which the `hidden` items have no tags, category or brand, and
 * their text is their title alone. The sequences are shared, not copied.
 */
export function hideAttributes(dataset: Dataset, hidden: ReadonlySet<number>): Dataset {
  const items = dataset.items.map((item, index): ItemMeta => {
    if (!hidden.has(index)) return item;
    const { tags: _tags, category: _category, brand: _brand, ...rest } = item;
    return rest;
  });
  const itemText = dataset.itemText.map((text, index) => (hidden.has(index) ? tagModelText(dataset.items[index]) : text));
  return { ...dataset, items, itemText };
}
