/**
 * Scores the tag predictors on the hidden items: a baseline that predicts the most frequent
 * tags for every item, nearest neighbours by item vector and by title, and the tag model. Each
 * method learns from the visible items only. For a hidden item it reads the title and the item
 * vector trained without the item's attributes.
 */
import type { Dataset } from '../data/dataset.js';
import { knnTagScores, titleNeighbours, vectorNeighbours } from './knn.js';
import { tagModelText } from './holdout.js';
import { tagPrecisionRecall, tagVocabulary, topIndices } from './metrics.js';
import { predictTagScores, TAG_MODEL_DEFAULTS, trainTagModel } from './tag-model.js';

/** Tags that fewer visible items have are not predicted. */
export const MIN_TAG_ITEMS = 3;
/** Predicted tags per item that the metrics read. */
export const TAGS_AT = 3;
/** Titles are a model input only when at least this share of the items has one. */
export const MIN_TITLE_SHARE = 0.2;

/** Names of the evaluated methods, in table order. */
export const TAG_METHODS = ['most-frequent', 'knn-vector', 'knn-title', 'tag-model'] as const;
export type TagMethod = (typeof TAG_METHODS)[number];

/** One row of the tags table. */
export interface TagRow {
  method: TagMethod;
  /** Hidden items with at least one true tag, the ones the metrics average over. */
  items: number;
  'P@3': number;
  'R@3': number;
  seconds: number;
}

/** Inputs of `evaluateTags`. */
export interface TagEvaluationInput {
  /** The dataset with every item's true tags. */
  dataset: Dataset;
  hidden: ReadonlySet<number>;
  /** Row-major [items, dim] item vectors trained without the hidden items' attributes. */
  vectors: Float32Array;
  /** The same tower's vectors of every item from its id and title alone, the tag model's input. */
  titleOnly: Float32Array;
  dim: number;
  seed: number;
  log: (line: string) => void;
}

/** True when enough items have a title for the title to be an input. */
export function hasTitles(dataset: Dataset): boolean {
  return dataset.items.filter((item) => tagModelText(item).trim() !== '').length >= MIN_TITLE_SHARE * dataset.items.length;
}

/** Evaluates every method and returns one row each, plus the vocabulary size. */
export function evaluateTags(input: TagEvaluationInput): { rows: TagRow[]; vocabulary: number; visible: number } {
  const { dataset, hidden } = input;
  const tags = dataset.items.map((item) => item.tags ?? []);
  const visible = dataset.items.map((_, index) => index).filter((index) => !hidden.has(index) && tags[index].length > 0);
  const queries = [...hidden].sort((a, b) => a - b).filter((index) => tags[index].length > 0);
  const vocabulary = tagVocabulary(tags, visible, MIN_TAG_ITEMS);
  const truth = queries.map((index) => tags[index]);
  const titles = dataset.items.map((item) => tagModelText(item));
  const withTitles = hasTitles(dataset);
  input.log(`tags: ${visible.length} visible items with tags, ${queries.length} hidden items to predict, ${vocabulary.length} tags in the vocabulary (at least ${MIN_TAG_ITEMS} items each), titles ${withTitles ? 'used' : 'absent'}`);

  const rows: TagRow[] = [];
  const counts = new Float32Array(vocabulary.length);
  const column = new Map(vocabulary.map((tag, i) => [tag, i]));
  for (const index of visible) {
    for (const tag of new Set(tags[index])) {
      const j = column.get(tag);
      if (j !== undefined) counts[j] += 1;
    }
  }
  // Equal scores, and items that no neighbour votes for, fall back to the most frequent tags.
  const tieBreak = counts.map((count) => (1e-6 * count) / visible.length);
  const score = (method: TagMethod, run: () => Float32Array) => {
    const started = Date.now();
    const scores = run().map((value, i) => value + tieBreak[i % vocabulary.length]);
    const predicted = queries.map((_, i) => topIndices(scores.subarray(i * vocabulary.length, (i + 1) * vocabulary.length), TAGS_AT).map((j) => vocabulary[j]));
    const metrics = tagPrecisionRecall(predicted, truth, TAGS_AT);
    rows.push({ method, items: metrics.items, 'P@3': metrics.precision, 'R@3': metrics.recall, seconds: (Date.now() - started) / 1000 });
    input.log(`tags: ${method} P@3 ${metrics.precision.toFixed(4)} R@3 ${metrics.recall.toFixed(4)}`);
  };

  score('most-frequent', () => {
    const scores = new Float32Array(queries.length * vocabulary.length);
    queries.forEach((_, i) => scores.set(counts, i * vocabulary.length));
    return scores;
  });
  score('knn-vector', () => knnTagScores(queries, vectorNeighbours(input.vectors, input.dim, visible, queries), tags, vocabulary));
  if (withTitles) score('knn-title', () => knnTagScores(queries, titleNeighbours(titles, visible), tags, vocabulary));
  score('tag-model', () => {
    const inputs = { titles, vectors: input.titleOnly, dim: input.dim };
    const model = trainTagModel(inputs, tags, visible, vocabulary, { ...TAG_MODEL_DEFAULTS, seed: input.seed, log: input.log });
    try {
      return predictTagScores(model, inputs, queries);
    } finally {
      model.dispose();
    }
  });
  return { rows, vocabulary: vocabulary.length, visible: visible.length };
}
