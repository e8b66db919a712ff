/**
 * The steps of `aisle eval --task tags` for one dataset: hide the attributes of one item in five,
 * train the towers on the rest (or reuse the vectors of an earlier run), and score every tag
 * predictor on the hidden items.
 */
import { AisleError } from '../../core/errors.js';
import { initTensorflow } from '../models/tf.js';
import { loadTrainingData } from '../train.js';
import { evaluateTags, type TagRow } from './evaluate-tags.js';
import { heldOutItemVectors } from './holdout-vectors.js';
import { hideAttributes, tagHeldOutItems } from './holdout.js';

/** The tags report of one dataset. */
export interface TagsReport {
  dataset: string;
  rows: TagRow[];
  /** Items whose attributes are hidden, and tags the methods may predict. */
  hidden: number;
  vocabulary: number;
  /** Description of a method's input for a hidden item. */
  inputs: string;
  /** Tower epochs trained for the item vectors, and the epoch whose weights were kept (0: none improved). */
  towerEpochs: number;
  bestEpoch: number;
  command: string;
  date: string;
}

/** Options of `evaluateTagsTask`. */
export interface TagsRunOptions {
  data: string;
  /** Directory that caches the item vectors of the masked catalog. */
  cacheDir: string;
  retrain: boolean;
  towerMinutes?: number;
  maxUsers?: number;
  seed: number;
  command: string;
  log: (line: string) => void;
}

/** Evaluates tag prediction on the dataset in `options.data`. */
export async function evaluateTagsTask(options: TagsRunOptions): Promise<TagsReport> {
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const dataset = await loadTrainingData(options.data, options.maxUsers, options.seed);
  const tagged = dataset.items.filter((item) => (item.tags ?? []).length > 0).length;
  if (tagged === 0) {
    throw new AisleError('AISLE_DATA_INVALID', `aisle eval --task tags: no item of ${dataset.name} (${options.data}) has tags, so there is nothing to hide and predict; use a dataset with categories, brands or attribute ids.`);
  }
  const hidden = tagHeldOutItems(dataset.items.map((item) => item.id));
  options.log(`tags: ${dataset.name}, ${dataset.items.length} items (${tagged} with tags), attributes of ${hidden.size} hidden`);

  const masked = hideAttributes(dataset, hidden);
  const { vectors, titleOnly, dim, info } = await heldOutItemVectors({ masked, hiddenCount: hidden.size, cacheDir: options.cacheDir, retrain: options.retrain, towerMinutes: options.towerMinutes, seed: options.seed, log: options.log });
  if (info.bestEpoch === 0) {
    options.log(`tags: warning: no tower epoch improved validation NDCG@10 (${info.epochs} trained), so the item vectors are the initial weights and carry no behaviour; give a larger --tower-minutes`);
  }
  await initTensorflow();
  const result = evaluateTags({ dataset, hidden, vectors, titleOnly, dim, seed: options.seed, log: options.log });
  const titled = masked.items.some((item) => item.title);
  const inputs = titled
    ? 'the title and an item vector from towers trained without the hidden attributes'
    : 'an item vector from towers trained without the hidden attributes, because the dataset has no titles';
  return { dataset: dataset.name, rows: result.rows, hidden: hidden.size, vocabulary: result.vocabulary, inputs, towerEpochs: info.epochs, bestEpoch: info.bestEpoch, command: options.command, date };
}
