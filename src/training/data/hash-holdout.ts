/**
 * Hash holdouts: an item is held out when the hash of `<salt>:<item id>` falls in one bucket of
 * `modulus`. The choice is the same on every run and in every command, with no file to keep in
 * step, and a different salt gives an independent choice.
 */
import { hashPiece } from '../../core/text-pieces.js';

/** Returns whether the item is held out by the holdout named `salt`, one item in `modulus`. */
export function isHashHeldOut(salt: string, modulus: number, itemId: string): boolean {
  return hashPiece(`${salt}:${itemId}`, modulus) === 0;
}

/** Returns the indices of the held-out items of a catalog. */
export function hashHeldOutItems(salt: string, modulus: number, itemIds: readonly string[]): Set<number> {
  const out = new Set<number>();
  itemIds.forEach((id, index) => {
    if (isHashHeldOut(salt, modulus, id)) out.add(index);
  });
  return out;
}
