/**
 * Validation of the towers during training: full ranking of the validation target over all items
 * by cos(user vector, item vector), history items excluded, as the evaluation harness ranks. Used
 * for early stopping, so it runs the tfjs forward pass rather than the exported ONNX graph.
 */
import { rankOfTarget, summarizeRanks, type MetricRow } from '../../core/metrics.js';
import type { LeaveOneOutUser } from '../data/dataset.js';
import { allItemVectors } from './item-tower.js';
import { historyWindow, padWindows } from './sequence-windows.js';
import { tf, gatherRows, l2Normalize } from './tf.js';
import { towerHidden } from './user-tower.js';
import type { Towers } from './tower-loss.js';

/** Computes user vectors [windows, D] for padded inference windows over a full item vector table. */
export function userVectorsFromTable(towers: Towers, table: tf.Tensor2D, batch: ReturnType<typeof padWindows>): tf.Tensor2D {
  const items = table.shape[0] - 1;
  const indices = batch.items.map((item) => (item < 0 ? items : item));
  const hidden = towerHidden(
    towers.user,
    towers.config,
    {
      itemVectors: gatherRows(table, tf.tensor2d(indices, [batch.rows, batch.length], 'int32')) as tf.Tensor3D,
      eventTypes: tf.tensor2d(batch.types, [batch.rows, batch.length], 'int32'),
      ages: tf.tensor2d(batch.ages, [batch.rows, batch.length]),
      mask: tf.tensor2d(batch.mask, [batch.rows, batch.length]),
    },
    false,
  );
  const dim = towers.config.dim;
  return l2Normalize(hidden.slice([0, batch.length - 1, 0], [batch.rows, 1, dim]).reshape([batch.rows, dim]));
}

/** Ranks each user's validation target with the towers and returns the averaged metrics. */
export function validateTowers(towers: Towers, users: readonly LeaveOneOutUser[], itemCount: number, usesAges: boolean, chunk = 256): MetricRow {
  const vectors = allItemVectors(towers.item, towers.content, itemCount);
  const dim = towers.config.dim;
  const table = tf.tensor2d(vectors, [itemCount, dim]);
  const padded = tf.concat([table, tf.zeros([1, dim])]) as tf.Tensor2D;
  const ranks: number[] = [];
  try {
    for (let start = 0; start < users.length; start += chunk) {
      const part = users.slice(start, start + chunk);
      const windows = part.map((user) => historyWindow(user.train, towers.config.seqLen, usesAges ? user.sequence.timestamps?.[user.train.items.length] : undefined));
      const scores = tf.tidy(() => tf.matMul(userVectorsFromTable(towers, padded, padWindows(windows)), table, false, true));
      const data = scores.dataSync() as Float32Array;
      scores.dispose();
      part.forEach((user, row) => {
        ranks.push(rankOfTarget(data.subarray(row * itemCount, (row + 1) * itemCount), user.valid, new Set(user.train.items)));
      });
    }
  } finally {
    padded.dispose();
    table.dispose();
  }
  return summarizeRanks(ranks);
}
