/**
 * Ranker training on candidate lists with a listwise softmax loss: within each list the target's
 * log-probability under softmax(scores) is maximized. The teacher learns from the labels; the
 * student learns from the labels and from the teacher's softened score distribution
 * (distillation). A seeded tenth of the lists is held out for early stopping on its loss.
 */
import { createRandom } from '../../core/random.js';
import { createRanker, rankerForward, rankerVariables, type RankerWeights } from './ranker.js';
import { tf } from './tf.js';

/** One training list: row-major features [count, F] and the position of the target. */
export interface RankerList {
  features: Float32Array;
  count: number;
  label: number;
}

/** Options of `trainRanker`. */
export interface RankerTrainingOptions {
  hidden: number[];
  featureCount: number;
  epochs: number;
  /** Lists per batch. */
  batchSize: number;
  learningRate: number;
  patience: number;
  seed: number;
  /** When set, the student is distilled from this teacher. */
  teacher?: RankerWeights;
  /** Weight of the label loss against the distillation loss (1 = labels only). */
  labelWeight?: number;
  /** Softmax temperature of the distillation targets. */
  distillTemperature?: number;
  name: string;
  onProgress?: (line: string) => void;
}

/** Trains a ranker on `lists` and returns the weights of its best held-out epoch. */
export function trainRanker(lists: readonly RankerList[], options: RankerTrainingOptions): RankerWeights {
  const random = createRandom(options.seed);
  const shuffled = random.shuffle(lists.filter((list) => list.label >= 0));
  const heldOut = shuffled.slice(0, Math.max(1, Math.floor(shuffled.length / 10)));
  const training = shuffled.slice(heldOut.length);
  const ranker = createRanker(options.featureCount, options.hidden, random);
  const variables = rankerVariables(ranker);
  const optimizer = tf.train.adam(options.learningRate);
  const log = options.onProgress ?? (() => {});

  let bestLoss = heldOutLoss(ranker, heldOut, options);
  let bestEpoch = 0;
  let best = variables.map((v) => tf.clone(v));
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const trainLoss = runEpoch(ranker, variables, optimizer, batches(random.shuffle(training), options.batchSize), options);
    const loss = heldOutLoss(ranker, heldOut, options);
    log(`${options.name}: epoch ${epoch}/${options.epochs} loss ${trainLoss.toFixed(4)} held-out ${loss.toFixed(4)}`);
    if (loss < bestLoss) {
      bestLoss = loss;
      bestEpoch = epoch;
      best.forEach((t) => t.dispose());
      best = variables.map((v) => tf.clone(v));
    } else if (epoch - bestEpoch >= options.patience) {
      break;
    }
  }
  variables.forEach((variable, i) => variable.assign(best[i]));
  best.forEach((t) => t.dispose());
  optimizer.dispose();
  log(`${options.name}: best held-out loss ${bestLoss.toFixed(4)} at epoch ${bestEpoch}, ${training.length} training lists`);
  return ranker;
}

function runEpoch(ranker: RankerWeights, variables: tf.Variable[], optimizer: tf.Optimizer, groups: RankerList[][], options: RankerTrainingOptions): number {
  let total = 0;
  for (const group of groups) {
    const packed = pack(group, options.featureCount);
    const cost = optimizer.minimize(() => listLoss(ranker, packed, options), true, variables);
    total += cost!.dataSync()[0];
    cost!.dispose();
    disposePacked(packed);
  }
  return total / Math.max(1, groups.length);
}

function heldOutLoss(ranker: RankerWeights, lists: readonly RankerList[], options: RankerTrainingOptions): number {
  let total = 0;
  const groups = batches(lists, options.batchSize);
  for (const group of groups) {
    const packed = pack(group, options.featureCount);
    total += tf.tidy(() => listLoss(ranker, packed, options).dataSync()[0]);
    disposePacked(packed);
  }
  return total / Math.max(1, groups.length);
}

/** Lists padded to the longest one: features [G·C, F], mask [G, C], one-hot labels [G, C]. */
interface Packed {
  groups: number;
  width: number;
  features: tf.Tensor2D;
  maskBias: tf.Tensor2D;
  labels: tf.Tensor2D;
}

function pack(group: readonly RankerList[], featureCount: number): Packed {
  const width = Math.max(...group.map((list) => list.count));
  const features = new Float32Array(group.length * width * featureCount);
  const maskBias = new Float32Array(group.length * width).fill(-1e9);
  const labels = new Float32Array(group.length * width);
  group.forEach((list, g) => {
    features.set(list.features, g * width * featureCount);
    maskBias.fill(0, g * width, g * width + list.count);
    labels[g * width + list.label] = 1;
  });
  return {
    groups: group.length,
    width,
    features: tf.tensor2d(features, [group.length * width, featureCount]),
    maskBias: tf.tensor2d(maskBias, [group.length, width]),
    labels: tf.tensor2d(labels, [group.length, width]),
  };
}

function disposePacked(packed: Packed): void {
  packed.features.dispose();
  packed.maskBias.dispose();
  packed.labels.dispose();
}

/** Mean listwise cross-entropy, mixed with the distillation cross-entropy for a student. */
function listLoss(ranker: RankerWeights, packed: Packed, options: RankerTrainingOptions): tf.Scalar {
  const logits = tf.add(rankerForward(ranker, packed.features).reshape([packed.groups, packed.width]), packed.maskBias);
  const logProbabilities = tf.logSoftmax(logits);
  const labelLoss = tf.neg(tf.mean(tf.sum(tf.mul(packed.labels, logProbabilities), 1)));
  if (!options.teacher) return labelLoss as tf.Scalar;

  const temperature = options.distillTemperature ?? 1;
  const teacherLogits = tf.add(rankerForward(options.teacher, packed.features).reshape([packed.groups, packed.width]), packed.maskBias);
  const targets = tf.softmax(tf.div(teacherLogits, temperature));
  const studentLog = tf.logSoftmax(tf.div(logits, temperature));
  const distillLoss = tf.neg(tf.mean(tf.sum(tf.mul(targets, studentLog), 1)));
  const weight = options.labelWeight ?? 0.5;
  return tf.add(tf.mul(labelLoss, weight), tf.mul(distillLoss, 1 - weight)) as tf.Scalar;
}

function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}
