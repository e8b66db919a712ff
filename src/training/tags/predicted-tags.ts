/**
 * Predicted tags of every catalog item, written by `aisle train` into items.json. The predictor
 * is the nearest-neighbour vote of `knn.ts`, which beat the tag model (title pieces and item
 * vector through a hidden layer) on the hidden items of amazon-scientific: P@3 0.770 against
 * 0.705. Neighbours are found by title when the catalog has titles and the item has one, else by
 * item vector. An item never votes for itself, so its predicted tags come from similar items,
 * and may confirm, extend or contradict its own tags.
 *
 * NOTE: by item vector alone (amazon-beauty has no titles), the vote scored below the
 * most-frequent baseline on hidden items: P@3 0.219 against 0.262. Served vectors also read the
 * item's own tags, which that measurement excludes, so tags by vector are unmeasured for them.
 */
import { MAX_PREDICTED_TAGS, PREDICTED_TAG_MIN_CONFIDENCE } from '../../core/tags.js';
import type { ItemRecord } from '../../core/types.js';
import type { Dataset } from '../data/dataset.js';
import { hasTitles, MIN_TAG_ITEMS } from './evaluate-tags.js';
import { tagModelText } from './holdout.js';
import { DEFAULT_NEIGHBOURS, knnTagScores, titleNeighbours, vectorNeighbours } from './knn.js';
import { tagVocabulary } from './metrics.js';

export { MAX_PREDICTED_TAGS, PREDICTED_TAG_MIN_CONFIDENCE } from '../../core/tags.js';

/**
 * Returns each item's predicted tags, best first, with confidences rounded to 3 decimals; or
 * undefined when no tag has MIN_TAG_ITEMS items.
 */
export function predictCatalogTags(dataset: Dataset, vectors: Float32Array, dim: number): Array<Array<[string, number]>> | undefined {
  const tags = dataset.items.map((item) => item.tags ?? []);
  const tagged = dataset.items.map((_, index) => index).filter((index) => tags[index].length > 0);
  const vocabulary = tagVocabulary(tags, tagged, MIN_TAG_ITEMS);
  if (vocabulary.length === 0) return undefined;

  const titles = dataset.items.map((item) => tagModelText(item));
  const all = dataset.items.map((_, index) => index);
  const byTitle = hasTitles(dataset) ? all.filter((index) => titles[index].trim() !== '') : [];
  const titled = new Set(byTitle);
  const byVector = all.filter((index) => !titled.has(index));
  const scores = new Map<number, Float32Array>();
  const score = (queries: number[], find: Parameters<typeof knnTagScores>[1]) => {
    const matrix = knnTagScores(queries, find, tags, vocabulary, DEFAULT_NEIGHBOURS);
    queries.forEach((query, row) => scores.set(query, matrix.subarray(row * vocabulary.length, (row + 1) * vocabulary.length)));
  };
  if (byTitle.length > 0) score(byTitle, titleNeighbours(titles, tagged));
  // A title that shares no piece with another title has no neighbours by title.
  for (const index of byTitle) if ((scores.get(index) as Float32Array).every((value) => value === 0)) byVector.push(index);
  if (byVector.length > 0) score(byVector, vectorNeighbours(vectors, dim, tagged, byVector));

  return all.map((index) => {
    const row = scores.get(index) as Float32Array;
    const confident: Array<[string, number]> = [];
    row.forEach((confidence, j) => {
      if (confidence >= PREDICTED_TAG_MIN_CONFIDENCE) confident.push([vocabulary[j], Math.round(Math.min(1, confidence) * 1000) / 1000]);
    });
    return confident.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, MAX_PREDICTED_TAGS);
  });
}

/** Sets `predictedTags` on the records that get at least one; returns how many do. */
export function addPredictedTags(records: ItemRecord[], dataset: Dataset, vectors: Float32Array, dim: number): number {
  const predicted = predictCatalogTags(dataset, vectors, dim);
  if (!predicted) return 0;
  let count = 0;
  predicted.forEach((list, index) => {
    if (list.length === 0) return;
    records[index].predictedTags = list;
    count++;
  });
  return count;
}
