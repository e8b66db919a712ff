/**
 * The training loss of the two towers: next-item prediction at every position of a batch with a
 * sampled softmax. The candidate items of one batch are every item of the batch (inputs and
 * targets, the "in-batch" negatives) plus shared uniformly sampled negatives. Each position's
 * logits are cos(user state, item vector) / temperature over those candidates. Input and output
 * items share one representation, the item tower's vectors.
 */
import { tf, gatherRows, l2Normalize } from './tf.js';
import { itemVectors, type ItemTowerWeights } from './item-tower.js';
import type { ItemContent } from './item-content.js';
import { towerHidden, type UserTowerConfig, type UserTowerWeights } from './user-tower.js';
import type { PaddedBatch } from './sequence-windows.js';

/** The two towers and what they need to compute item vectors. */
export interface Towers {
  item: ItemTowerWeights;
  user: UserTowerWeights;
  config: UserTowerConfig;
  content: ItemContent;
}

/** A batch with items renumbered to positions in `candidates` (the batch-local item table). */
interface LocalBatch {
  candidates: Int32Array;
  /** Local index per cell; padding points at row candidates.length, a zero vector. */
  inputs: Int32Array;
  /** Flat cell index of every position with a target. */
  rows: Int32Array;
  /** Local index of the target of each entry of `rows`. */
  targets: Int32Array;
}

/** Mean sampled-softmax cross-entropy of a padded training batch. */
export function towerLoss(towers: Towers, batch: PaddedBatch, negatives: Int32Array, temperature: number, training: boolean): tf.Scalar {
  const local = localize(batch, negatives);
  const dim = towers.config.dim;
  const vectors = itemVectors(towers.item, towers.content, local.candidates);
  const padded = tf.concat([vectors, tf.zeros([1, dim])]) as tf.Tensor2D;

  const inputVectors = gatherRows(padded, tf.tensor2d(local.inputs, [batch.rows, batch.length], 'int32')) as tf.Tensor3D;
  const hidden = towerHidden(
    towers.user,
    towers.config,
    {
      itemVectors: inputVectors,
      eventTypes: tf.tensor2d(batch.types, [batch.rows, batch.length], 'int32'),
      ages: tf.tensor2d(batch.ages, [batch.rows, batch.length]),
      mask: tf.tensor2d(batch.mask, [batch.rows, batch.length]),
    },
    training,
  );

  const states = l2Normalize(gatherRows(hidden.reshape([-1, dim]) as tf.Tensor2D, tf.tensor1d(local.rows, 'int32')) as tf.Tensor2D);
  const logits = tf.div(tf.matMul(states, vectors, false, true), temperature);
  const positives = tf.div(tf.sum(tf.mul(states, gatherRows(vectors, tf.tensor1d(local.targets, 'int32'))), 1), temperature);
  return tf.mean(tf.sub(tf.logSumExp(logits, 1), positives)) as tf.Scalar;
}

function localize(batch: PaddedBatch, negatives: Int32Array): LocalBatch {
  const index = new Map<number, number>();
  const lookup = (item: number): number => {
    let position = index.get(item);
    if (position === undefined) {
      position = index.size;
      index.set(item, position);
    }
    return position;
  };

  const cells = batch.rows * batch.length;
  const inputs = new Int32Array(cells);
  const rows: number[] = [];
  const targets: number[] = [];
  for (let cell = 0; cell < cells; cell++) {
    if (batch.items[cell] >= 0) inputs[cell] = lookup(batch.items[cell]);
    if (batch.targets[cell] >= 0) {
      rows.push(cell);
      targets.push(lookup(batch.targets[cell]));
    }
  }
  for (const item of negatives) lookup(item);

  // Padding cells point one past the last candidate: the zero row appended in towerLoss.
  for (let cell = 0; cell < cells; cell++) if (batch.items[cell] < 0) inputs[cell] = index.size;
  return { candidates: Int32Array.from(index.keys()), inputs, rows: Int32Array.from(rows), targets: Int32Array.from(targets) };
}
