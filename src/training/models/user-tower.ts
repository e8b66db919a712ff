/**
 * The user tower: a small causal transformer (SASRec-style, pre-layer-norm) over the item vectors
 * of a shopper's last L events. The input layout is the one of `core/sequence.ts`: left-padded,
 * newest event at position L-1, event type 0 for padding, mask 1 for a real event.
 *
 * Per position the input is `sqrt(D)·itemVector + position + eventType + age·ageVector`. Item
 * vectors are unit-length, so the sqrt(D) factor brings their entries to the scale of the learned
 * embeddings. The hidden state at the last position, L2-normalized, is the user vector.
 */
import { tf, dropout, gatherRows, layerNorm } from './tf.js';
import type { Random } from '../../core/random.js';
import { randomNormals } from './init.js';
import { SEQUENCE_EVENT_TYPES } from '../../core/types.js';

/** Shape and regularization of a user tower. */
export interface UserTowerConfig {
  dim: number;
  seqLen: number;
  blocks: number;
  heads: number;
  dropout: number;
}

/** Weights of one transformer block; matrices are [in, out]. */
export interface BlockWeights {
  norm1Scale: tf.Variable;
  norm1Bias: tf.Variable;
  wq: tf.Variable;
  bq: tf.Variable;
  wk: tf.Variable;
  bk: tf.Variable;
  wv: tf.Variable;
  bv: tf.Variable;
  wo: tf.Variable;
  bo: tf.Variable;
  norm2Scale: tf.Variable;
  norm2Bias: tf.Variable;
  w1: tf.Variable;
  b1: tf.Variable;
  w2: tf.Variable;
  b2: tf.Variable;
}

/** All weights of a user tower. */
export interface UserTowerWeights {
  position: tf.Variable; // [L, D]
  eventType: tf.Variable; // [1 + event types, D], row 0 is padding
  age: tf.Variable; // [D]
  blocks: BlockWeights[];
  finalScale: tf.Variable;
  finalBias: tf.Variable;
}

/** Inputs of one forward pass; L' ≤ L positions, the newest at L'-1. */
export interface TowerBatch {
  itemVectors: tf.Tensor3D; // [B, L', D]
  eventTypes: tf.Tensor2D; // int32 [B, L']
  ages: tf.Tensor2D; // [B, L']
  mask: tf.Tensor2D; // [B, L']
}

/** Epsilon of every layer norm, shared with the ONNX export. */
export const LAYER_NORM_EPSILON = 1e-5;
/** Added to attention scores of masked keys (future positions, padding). */
export const MASK_BIAS = -1e9;

/** Creates randomly initialized user tower weights. */
export function createUserTower(config: UserTowerConfig, random: Random): UserTowerWeights {
  const { dim, seqLen } = config;
  const matrix = (rows: number, cols: number) => tf.variable(tf.tensor2d(randomNormals(random, rows * cols, Math.sqrt(1 / rows)), [rows, cols]));
  const vector = (size: number, value: number) => tf.variable(tf.fill([size], value));
  const blocks: BlockWeights[] = [];
  for (let b = 0; b < config.blocks; b++) {
    blocks.push({
      norm1Scale: vector(dim, 1),
      norm1Bias: vector(dim, 0),
      wq: matrix(dim, dim),
      bq: vector(dim, 0),
      wk: matrix(dim, dim),
      bk: vector(dim, 0),
      wv: matrix(dim, dim),
      bv: vector(dim, 0),
      wo: matrix(dim, dim),
      bo: vector(dim, 0),
      norm2Scale: vector(dim, 1),
      norm2Bias: vector(dim, 0),
      w1: matrix(dim, dim),
      b1: vector(dim, 0),
      w2: matrix(dim, dim),
      b2: vector(dim, 0),
    });
  }
  return {
    position: tf.variable(tf.tensor2d(randomNormals(random, seqLen * dim, 0.1), [seqLen, dim])),
    eventType: tf.variable(tf.tensor2d(randomNormals(random, (SEQUENCE_EVENT_TYPES.length + 1) * dim, 0.1), [SEQUENCE_EVENT_TYPES.length + 1, dim])),
    age: tf.variable(tf.tensor1d(randomNormals(random, dim, 0.1))),
    blocks,
    finalScale: vector(dim, 1),
    finalBias: vector(dim, 0),
  };
}

/** Lists every trainable variable of the tower. */
export function towerVariables(weights: UserTowerWeights): tf.Variable[] {
  const blockVariables = weights.blocks.flatMap((block) => Object.values(block));
  return [weights.position, weights.eventType, weights.age, ...blockVariables, weights.finalScale, weights.finalBias];
}

/**
 * Runs the tower and returns the final hidden states [B, L', D] (after the last layer norm, not
 * normalized). Dropout is applied only when `training` is true.
 */
export function towerHidden(weights: UserTowerWeights, config: UserTowerConfig, batch: TowerBatch, training: boolean): tf.Tensor3D {
  const [batchSize, length, dim] = batch.itemVectors.shape;
  const rate = training ? config.dropout : 0;
  const maskColumn = batch.mask.reshape([batchSize, length, 1]);

  const position = weights.position.slice([config.seqLen - length, 0], [length, dim]);
  const types = gatherRows(weights.eventType as tf.Tensor2D, batch.eventTypes);
  const ages = tf.mul(batch.ages.reshape([batchSize, length, 1]), weights.age);
  let x = tf.addN([tf.mul(batch.itemVectors, Math.sqrt(dim)), position.expandDims(0).tile([batchSize, 1, 1]), types, ages]);
  x = tf.mul(dropout(x, rate), maskColumn);

  const bias = attentionBias(batch.mask, length);
  for (const block of weights.blocks) {
    const attended = attention(block, config, layerNorm(x, block.norm1Scale, block.norm1Bias, LAYER_NORM_EPSILON), bias, rate);
    x = tf.add(x, dropout(attended, rate));
    const normed = layerNorm(x, block.norm2Scale, block.norm2Bias, LAYER_NORM_EPSILON);
    const hidden = tf.relu(tf.add(tf.matMul(normed.reshape([-1, dim]), block.w1), block.b1));
    const ffn = tf.add(tf.matMul(dropout(hidden, rate) as tf.Tensor2D, block.w2), block.b2).reshape([batchSize, length, dim]);
    x = tf.mul(tf.add(x, dropout(ffn, rate)), maskColumn);
  }
  return layerNorm(x, weights.finalScale, weights.finalBias, LAYER_NORM_EPSILON) as tf.Tensor3D;
}

/** Causal plus key-padding bias [B, 1, L', L'] added to attention scores. */
function attentionBias(mask: tf.Tensor2D, length: number): tf.Tensor {
  const causal = tf.tensor2d(causalBias(length), [length, length]);
  const padding = tf.mul(tf.sub(1, mask), MASK_BIAS).reshape([mask.shape[0], 1, 1, length]);
  return tf.add(padding, causal);
}

/** Row-major [L, L] bias: 0 where key j ≤ query i, MASK_BIAS for future keys. */
export function causalBias(length: number): Float32Array {
  const out = new Float32Array(length * length);
  for (let i = 0; i < length; i++) for (let j = i + 1; j < length; j++) out[i * length + j] = MASK_BIAS;
  return out;
}

function attention(block: BlockWeights, config: UserTowerConfig, x: tf.Tensor, bias: tf.Tensor, rate: number): tf.Tensor {
  const [batchSize, length, dim] = x.shape;
  const heads = config.heads;
  const headDim = dim / heads;
  const flat = x.reshape([-1, dim]) as tf.Tensor2D;
  const project = (w: tf.Variable, b: tf.Variable) => tf.add(tf.matMul(flat, w), b).reshape([batchSize, length, heads, headDim]).transpose([0, 2, 1, 3]);

  const q = project(block.wq, block.bq);
  const k = project(block.wk, block.bk);
  const v = project(block.wv, block.bv);
  const scores = tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(headDim)), bias);
  const weights = dropout(tf.softmax(scores, -1), rate);
  const context = tf.matMul(weights, v).transpose([0, 2, 1, 3]).reshape([-1, dim]) as tf.Tensor2D;
  return tf.add(tf.matMul(context, block.wo), block.bo).reshape([batchSize, length, dim]);
}
