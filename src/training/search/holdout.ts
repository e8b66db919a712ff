/**
 * Items whose text the query encoder never trains on, so the search evaluation targets items the
 * encoder has not seen as a whole. The choice is a hash of the item id: the same in `aisle train`
 * and `aisle eval`, with no file to keep in step.
 */
import { hashHeldOutItems, isHashHeldOut } from '../data/hash-holdout.js';

/** One item in this many is held out. */
export const SEARCH_HOLDOUT_MODULUS = 10;

/** True when the query encoder must not train on this item's text. */
export function isSearchHeldOut(itemId: string): boolean {
  return isHashHeldOut('search-holdout', SEARCH_HOLDOUT_MODULUS, itemId);
}

/** Indices of the held-out items of a catalog. */
export function searchHeldOutItems(itemIds: readonly string[]): Set<number> {
  return hashHeldOutItems('search-holdout', SEARCH_HOLDOUT_MODULUS, itemIds);
}
