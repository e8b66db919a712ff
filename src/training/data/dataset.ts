/**
 * The in-memory form of a training dataset, produced by the adapters in this folder
 * (S3-Rec sequences, RecBole atomic files, MovieLens-100k, Diginetica, the demo catalog) and
 * consumed by training and evaluation.
 *
 * Items are numbered 0..items.length-1 (the "item index"); that index becomes the FAISS id.
 * Each sequence is one user's (or one session's) events in time order, oldest first.
 */
import type { ItemMeta, SequenceEventType } from '../../core/types.js';

export interface UserSequence {
  user: string;
  /** Item indices, oldest first. */
  items: Int32Array;
  /** Event type per position; absent means every event is a 'view'. */
  types?: SequenceEventType[];
  /** Milliseconds since the Unix epoch per position; absent when the dataset has only an order. */
  timestamps?: Float64Array;
}

export interface Dataset {
  /** Short name, e.g. 'amazon-beauty'. */
  name: string;
  /** Catalog in item-index order. `id` is the public item id (string). */
  items: ItemMeta[];
  /** Free text per item (title, category path, brand) for the content part of the item tower; '' when unknown. */
  itemText: string[];
  sequences: UserSequence[];
  /** True when `timestamps` are real event times. */
  hasTimestamps: boolean;
  /** Rule that ordered events with equal timestamps, for the report. */
  orderNote: string;
}

/** Leave-one-out split of one sequence: the last item is the test target, the one before the validation target. */
export interface LeaveOneOutUser {
  user: string;
  /** Training prefix: every item but the last two. */
  train: UserSequence;
  /** Validation target (item index) and its history (= train). */
  valid: number;
  /** Test target and its history (= train + valid). */
  test: number;
  /** The whole sequence (train + valid + test), so the test history keeps the valid event's type and timestamp. */
  sequence: UserSequence;
}
