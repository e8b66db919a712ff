/**
 * Checks of the item vectors in item_vectors.f32. Every score the companion returns is an inner
 * product with these vectors, so each must be finite and of unit L2 norm for scores to be cosines
 * in [-1, 1]. A bad row is reported with its item id and reason.
 */

/** Allowed distance of an item vector's L2 norm from 1, which covers float32 rounding of a normalized vector. */
export const UNIT_NORM_TOLERANCE = 1e-3;

/** Bad rows listed by id in an error message; details carry all of them. */
export const LISTED_INVALID_ITEMS = 10;

/** Reason an item vector is invalid. */
export type ItemVectorProblem = 'non_finite' | 'zero_norm' | 'not_normalized';

/** One invalid item vector: the item id, the reason and the norm found. */
export interface InvalidItemVector {
  id: string;
  reason: ItemVectorProblem;
  norm: number;
}

/** Returns every row of a row-major items × dim array that is non-finite, zero or not unit length. */
export function findInvalidItemVectors(vectors: Float32Array, dim: number, ids: readonly string[]): InvalidItemVector[] {
  const invalid: InvalidItemVector[] = [];
  for (let row = 0; row < ids.length; row++) {
    let squares = 0;
    let finite = true;
    for (let i = row * dim; i < (row + 1) * dim; i++) {
      const value = vectors[i];
      if (!Number.isFinite(value)) finite = false;
      squares += value * value;
    }
    const length = Math.sqrt(squares);
    if (!finite) invalid.push({ id: ids[row], reason: 'non_finite', norm: Number.NaN });
    else if (length === 0) invalid.push({ id: ids[row], reason: 'zero_norm', norm: 0 });
    else if (Math.abs(length - 1) > UNIT_NORM_TOLERANCE) invalid.push({ id: ids[row], reason: 'not_normalized', norm: length });
  }
  return invalid;
}

/** Describes invalid rows for an error message, such as `"a" (zero_norm), "b" (not_normalized, norm 2.5)`. */
export function describeInvalidItemVectors(invalid: readonly InvalidItemVector[]): string {
  const listed = invalid.slice(0, LISTED_INVALID_ITEMS).map(({ id, reason, norm }) => {
    const detail = reason === 'not_normalized' ? `${reason}, norm ${norm.toPrecision(4)}` : reason;
    return `${JSON.stringify(id)} (${detail})`;
  });
  const more = invalid.length > LISTED_INVALID_ITEMS ? ` and ${invalid.length - LISTED_INVALID_ITEMS} more` : '';
  return `${listed.join(', ')}${more}`;
}
