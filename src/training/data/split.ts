/**
 * Leave-one-out split and small deterministic subsets of a Dataset.
 *
 * Leave-one-out (the protocol of SASRec, S3-Rec and most sequential papers): a user's last item
 * is the test target, the one before it the validation target, and the rest is the training
 * prefix. Models and baselines learn only from training prefixes.
 */
import { AisleError } from '../../core/errors.js';
import type { Dataset, LeaveOneOutUser, UserSequence } from './dataset.js';
import { createRandom } from '../../core/random.js';

/** Shortest sequence that leave-one-out keeps: one training item plus the two targets. */
export const MIN_SEQUENCE_LENGTH = 3;

/** Result of `splitLeaveOneOut`: kept users and how many were dropped for being too short. */
export interface LeaveOneOutSplit {
  users: LeaveOneOutUser[];
  dropped: number;
}

/** Splits every sequence leave-one-out and counts the users with fewer than 3 items, which it drops. */
export function splitLeaveOneOut(dataset: Dataset): LeaveOneOutSplit {
  const users: LeaveOneOutUser[] = [];
  let dropped = 0;
  for (const sequence of dataset.sequences) {
    const n = sequence.items.length;
    if (n < MIN_SEQUENCE_LENGTH) {
      dropped++;
      continue;
    }
    users.push({ user: sequence.user, train: sliceSequence(sequence, n - 2), valid: sequence.items[n - 2], test: sequence.items[n - 1], sequence });
  }
  return { users, dropped };
}

/** Leave-one-out users of a dataset; `splitLeaveOneOut` also returns the dropped count. */
export function leaveOneOut(dataset: Dataset): LeaveOneOutUser[] {
  return splitLeaveOneOut(dataset).users;
}

/**
 * Returns the history a model gets when it predicts `split`: the training prefix for 'valid', or
 * the training prefix plus the validation item (with its event type and timestamp) for 'test'.
 */
export function historyFor(user: LeaveOneOutUser, split: 'valid' | 'test'): UserSequence {
  if (split === 'valid') return user.train;
  return sliceSequence(user.sequence, user.sequence.items.length - 1);
}

/** Training prefixes of all users, the only sequences that counts and models may learn from. */
export function trainSequences(users: readonly LeaveOneOutUser[]): UserSequence[] {
  return users.map((user) => user.train);
}

/** Returns the first `length` positions of a sequence, with its types and timestamps cut alike. */
export function sliceSequence(sequence: UserSequence, length: number): UserSequence {
  const sliced: UserSequence = { user: sequence.user, items: sequence.items.slice(0, length) };
  if (sequence.types) sliced.types = sequence.types.slice(0, length);
  if (sequence.timestamps) sliced.timestamps = sequence.timestamps.slice(0, length);
  return sliced;
}

/** Options of `subsetDataset`. */
export interface SubsetOptions {
  /** Number of sequences to keep (all when the dataset has fewer). */
  users: number;
  /** Seed of the draw; the same seed gives the same subset. */
  seed: number;
}

/**
 * Draws `users` sequences at random (seeded), keeps them in their original order, and re-indexes
 * the catalog to the items they use, in original item order.
 */
export function subsetDataset(dataset: Dataset, options: SubsetOptions): Dataset {
  if (!Number.isInteger(options.users) || options.users < 1) {
    throw new AisleError('AISLE_INVALID_ARGUMENT', `subsetDataset: users must be a positive integer, got ${options.users}.`);
  }
  const random = createRandom(options.seed);
  const drawn = random.shuffle(dataset.sequences.map((_, i) => i)).slice(0, options.users);
  const picked = drawn.sort((a, b) => a - b).map((i) => dataset.sequences[i]);

  const used = new Uint8Array(dataset.items.length);
  for (const sequence of picked) for (const item of sequence.items) used[item] = 1;
  const remap = new Int32Array(dataset.items.length).fill(-1);
  const kept: number[] = [];
  used.forEach((flag, item) => {
    if (flag) remap[item] = kept.push(item) - 1;
  });

  return {
    ...dataset,
    name: `${dataset.name}-subset-${picked.length}-seed-${options.seed}`,
    items: kept.map((item) => ({ ...dataset.items[item], ...(dataset.items[item].tags ? { tags: [...(dataset.items[item].tags as string[])] } : {}) })),
    itemText: kept.map((item) => dataset.itemText[item]),
    sequences: picked.map((sequence) => ({ ...sliceSequence(sequence, sequence.items.length), items: sequence.items.map((item) => remap[item]) })),
  };
}
