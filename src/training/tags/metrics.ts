/**
 * The tag vocabulary and the metrics of tag prediction.
 *
 * precision@k of one item = (predicted tags among the top k that the item has) / k, and
 * recall@k = the same count / (number of tags the item has). Both are averaged over the items
 * that have at least one true tag. The divisor of precision is k even when fewer than k tags are
 * predicted, so predicting fewer tags earns no precision. A true tag outside the vocabulary (too
 * rare to learn) still counts in the recall divisor.
 */

/** Tags of the items, in order of first appearance, that at least `minItems` of the `items` have. */
export function tagVocabulary(tags: ReadonlyArray<readonly string[] | undefined>, items: Iterable<number>, minItems: number): string[] {
  const counts = new Map<string, number>();
  for (const item of items) {
    for (const tag of new Set(tags[item] ?? [])) counts.set(tag, (counts.get(tag) ?? 0) + 1);
  }
  return [...counts.entries()].filter(([, count]) => count >= minItems).map(([tag]) => tag);
}

/** Mean precision@k and recall@k, and the number of items they average over. */
export interface TagMetrics {
  precision: number;
  recall: number;
  items: number;
}

/**
 * Computes precision@k and recall@k of ranked tag predictions (best first) against the true
 * tags, pairwise by position. Items without true tags are skipped.
 */
export function tagPrecisionRecall(predicted: ReadonlyArray<readonly string[]>, truth: ReadonlyArray<readonly string[]>, k: number): TagMetrics {
  if (predicted.length !== truth.length) throw new RangeError(`tagPrecisionRecall: ${predicted.length} predictions for ${truth.length} items; give one list per item.`);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`tagPrecisionRecall: k must be a positive integer, got ${k}.`);
  let precision = 0;
  let recall = 0;
  let items = 0;
  truth.forEach((trueTags, i) => {
    const expected = new Set(trueTags);
    if (expected.size === 0) return;
    const top = [...new Set(predicted[i])].slice(0, k);
    const hits = top.filter((tag) => expected.has(tag)).length;
    precision += hits / k;
    recall += hits / expected.size;
    items++;
  });
  return items === 0 ? { precision: 0, recall: 0, items: 0 } : { precision: precision / items, recall: recall / items, items };
}

/** Returns the indices of the `k` highest scores, best first. Ties keep the lower index first. */
export function topIndices(scores: ArrayLike<number>, k: number): number[] {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  return order.sort((a, b) => scores[b] - scores[a] || a - b).slice(0, k);
}
