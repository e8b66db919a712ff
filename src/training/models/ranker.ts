/**
 * The ranker: a multilayer perceptron from the core feature matrix [N, F] to one score per
 * candidate (a logit; higher ranks first). The teacher is wide (F→128→64→1), the student that the
 * worker runs is narrow (F→64→32→1) and learns from the teacher's scores.
 */
import { tf } from './tf.js';
import type { Random } from '../../core/random.js';
import { randomNormals } from './init.js';

/** Weights of a ranker; layer i maps `weights[i]` [in, out] plus `biases[i]` [out]. */
export interface RankerWeights {
  weights: tf.Variable[];
  biases: tf.Variable[];
}

/** Hidden layer sizes of the teacher and the student. */
export const TEACHER_HIDDEN = [128, 64];
/** 64→32 rather than 32→16: see trainRankers in train.ts for the measurement. A few KB in int8. */
export const STUDENT_HIDDEN = [64, 32];

/** Creates a ranker with He-initialized weights for `featureCount` inputs. */
export function createRanker(featureCount: number, hidden: number[], random: Random): RankerWeights {
  const sizes = [featureCount, ...hidden, 1];
  const weights: tf.Variable[] = [];
  const biases: tf.Variable[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const [rows, cols] = [sizes[i], sizes[i + 1]];
    weights.push(tf.variable(tf.tensor2d(randomNormals(random, rows * cols, Math.sqrt(2 / rows)), [rows, cols])));
    biases.push(tf.variable(tf.zeros([cols])));
  }
  return { weights, biases };
}

/** Lists every trainable variable of the ranker. */
export function rankerVariables(ranker: RankerWeights): tf.Variable[] {
  return [...ranker.weights, ...ranker.biases];
}

/** Scores a feature matrix [N, F] and returns [N] logits; ReLU between layers. */
export function rankerForward(ranker: RankerWeights, features: tf.Tensor2D): tf.Tensor1D {
  let x: tf.Tensor2D = features;
  const last = ranker.weights.length - 1;
  ranker.weights.forEach((weight, i) => {
    const z = tf.add(tf.matMul(x, weight), ranker.biases[i]) as tf.Tensor2D;
    x = i < last ? tf.relu(z) : z;
  });
  return x.reshape([-1]);
}

/** Copies the ranker weights out of tfjs as plain arrays (for export and for scoring in JS). */
export function rankerArrays(ranker: RankerWeights): { weights: Array<{ data: Float32Array; rows: number; cols: number }>; biases: Float32Array[] } {
  return {
    weights: ranker.weights.map((w) => ({ data: w.dataSync() as Float32Array, rows: w.shape[0], cols: w.shape[1] as number })),
    biases: ranker.biases.map((b) => b.dataSync() as Float32Array),
  };
}
