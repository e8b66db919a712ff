/**
 * Trains the item tower and the user tower together on the training prefixes of a leave-one-out
 * split, with Adam, a sampled softmax and dropout. After every epoch it ranks the validation
 * targets and keeps the weights of the best epoch by NDCG@10 (early stopping).
 */
import type { MetricRow } from '../../core/metrics.js';
import type { Dataset, LeaveOneOutUser } from '../data/dataset.js';
import { createRandom, type Random } from '../../core/random.js';
import { buildItemContent } from './item-content.js';
import { createItemTower, itemTowerVariables } from './item-tower.js';
import { padWindows, trainingWindows, type SequenceWindow } from './sequence-windows.js';
import { tf } from './tf.js';
import { towerLoss, type Towers } from './tower-loss.js';
import { validateTowers } from './tower-validation.js';
import { createUserTower, towerVariables } from './user-tower.js';

/** Hyperparameters of tower training. */
export interface TowerTrainingOptions {
  dim: number;
  seqLen: number;
  blocks: number;
  heads: number;
  dropout: number;
  epochs: number;
  batchSize: number;
  /** Uniformly sampled negatives shared by a batch, on top of the in-batch items. */
  negatives: number;
  temperature: number;
  learningRate: number;
  /** Epochs without a better validation NDCG@10 before training stops. */
  patience: number;
  /** Users whose validation target is ranked after each epoch (a seeded sample). */
  validationUsers: number;
  // NOTE: the seed fixes initial weights, batches and negatives, but tf.dropout draws unseeded
  // masks, so runs with the same seed differ slightly (two amazon-scientific runs: 0.003 NDCG@10).
  seed: number;
  usesAges: boolean;
  /** Wall-clock budget in seconds: no epoch starts when the last one's duration would overrun it. */
  maxSeconds?: number;
  /** Receives one progress line per call (batches, epochs, validation). */
  onProgress?: (line: string) => void;
}

/** Result of tower training. */
export interface TrainedTowers {
  towers: Towers;
  bestEpoch: number;
  bestValidation: MetricRow;
  epochs: Array<{ epoch: number; loss: number; validation: MetricRow; seconds: number }>;
}

/** Trains both towers and returns them with the weights of the best validation epoch. */
export async function trainTowers(dataset: Dataset, users: readonly LeaveOneOutUser[], options: TowerTrainingOptions): Promise<TrainedTowers> {
  const random = createRandom(options.seed);
  const itemCount = dataset.items.length;
  const content = buildItemContent(dataset);
  const config = { dim: options.dim, seqLen: options.seqLen, blocks: options.blocks, heads: options.heads, dropout: options.dropout };
  const towers: Towers = { item: createItemTower(itemCount, content, options.dim, random), user: createUserTower(config, random), config, content };
  const variables = [...itemTowerVariables(towers.item), ...towerVariables(towers.user)];

  const windows = users.flatMap((user) => trainingWindows(user.train, options.seqLen, options.usesAges));
  const validation = random.shuffle(users).slice(0, options.validationUsers);
  const optimizer = tf.train.adam(options.learningRate);
  const log = options.onProgress ?? (() => {});
  log(`towers: ${windows.length} training windows from ${users.length} users, ${itemCount} items, dim ${options.dim}, L ${options.seqLen}`);

  const result: TrainedTowers = { towers, bestEpoch: 0, bestValidation: validateTowers(towers, validation, itemCount, options.usesAges), epochs: [] };
  let best = snapshot(variables);
  const trainingStarted = Date.now();
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const started = Date.now();
    const lastSeconds = result.epochs[result.epochs.length - 1]?.seconds ?? 0;
    if (options.maxSeconds !== undefined && (started - trainingStarted) / 1000 + lastSeconds > options.maxSeconds) {
      log(`towers: time budget of ${options.maxSeconds} s reached after ${epoch - 1} epochs, stopping`);
      break;
    }
    const loss = await runEpoch(towers, variables, optimizer, lengthBatches(windows, options.batchSize, random), itemCount, options, random, epoch, log);
    const metrics = validateTowers(towers, validation, itemCount, options.usesAges);
    const seconds = (Date.now() - started) / 1000;
    result.epochs.push({ epoch, loss, validation: metrics, seconds });
    log(`towers: epoch ${epoch}/${options.epochs} loss ${loss.toFixed(4)} valid NDCG@10 ${metrics['NDCG@10'].toFixed(4)} HR@10 ${metrics['HR@10'].toFixed(4)} (${seconds.toFixed(1)} s)`);

    if (metrics['NDCG@10'] > result.bestValidation['NDCG@10']) {
      result.bestEpoch = epoch;
      result.bestValidation = metrics;
      best.forEach((tensor) => tensor.dispose());
      best = snapshot(variables);
    } else if (epoch - result.bestEpoch >= options.patience) {
      log(`towers: no better validation NDCG@10 for ${options.patience} epochs, stopping`);
      break;
    }
  }
  variables.forEach((variable, i) => variable.assign(best[i]));
  best.forEach((tensor) => tensor.dispose());
  optimizer.dispose();
  return result;
}

async function runEpoch(
  towers: Towers,
  variables: tf.Variable[],
  optimizer: tf.Optimizer,
  batches: SequenceWindow[][],
  itemCount: number,
  options: TowerTrainingOptions,
  random: Random,
  epoch: number,
  log: (line: string) => void,
): Promise<number> {
  const started = Date.now();
  let total = 0;
  let lastLog = started;
  for (let b = 0; b < batches.length; b++) {
    const batch = padWindows(batches[b]);
    const negatives = Int32Array.from({ length: options.negatives }, () => random.int(itemCount));
    const cost = optimizer.minimize(() => towerLoss(towers, batch, negatives, options.temperature, true), true, variables);
    total += (await cost!.data())[0];
    cost!.dispose();

    const now = Date.now();
    if (now - lastLog > 5000 || b === batches.length - 1) {
      lastLog = now;
      const eta = ((now - started) / (b + 1)) * (batches.length - b - 1);
      log(`towers: epoch ${epoch} batch ${b + 1}/${batches.length} loss ${(total / (b + 1)).toFixed(4)} ETA ${(eta / 1000).toFixed(0)} s`);
    }
  }
  return total / Math.max(1, batches.length);
}

/**
 * Groups windows of similar length into batches (shorter padding, less work), in a new random
 * order every epoch: a random shuffle, a stable sort by length, then the batches shuffled.
 */
function lengthBatches(windows: readonly SequenceWindow[], batchSize: number, random: Random): SequenceWindow[][] {
  const sorted = random.shuffle(windows).sort((a, b) => a.items.length - b.items.length);
  const batches: SequenceWindow[][] = [];
  for (let start = 0; start < sorted.length; start += batchSize) batches.push(sorted.slice(start, start + batchSize));
  return random.shuffle(batches);
}

function snapshot(variables: readonly tf.Variable[]): tf.Tensor[] {
  return variables.map((variable) => tf.clone(variable));
}
