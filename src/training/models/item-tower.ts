/**
 * The item tower: item vector = L2-normalize(id embedding + content embedding · projection),
 * where the content embedding is the mean of the item's hashed token embeddings. Id embeddings
 * start at zero and only items seen in training move them, so a cold item (no interactions)
 * still gets a vector from its content alone. The item vectors are what the user tower reads,
 * what it scores against, and what FAISS indexes.
 */
import { tf, gatherRows, l2Normalize } from './tf.js';
import type { Random } from '../../core/random.js';
import { randomNormals } from './init.js';
import type { ItemContent } from './item-content.js';

/** Weights of the item tower. */
export interface ItemTowerWeights {
  id: tf.Variable; // [items, D]
  token: tf.Variable; // [buckets, D]
  projection: tf.Variable; // [D, D]
}

/** Creates item tower weights for `items` items and dim `dim`. */
export function createItemTower(items: number, content: ItemContent, dim: number, random: Random): ItemTowerWeights {
  return {
    id: tf.variable(tf.zeros([items, dim])),
    token: tf.variable(tf.tensor2d(randomNormals(random, content.buckets * dim, 0.1), [content.buckets, dim])),
    projection: tf.variable(tf.tensor2d(randomNormals(random, dim * dim, Math.sqrt(1 / dim)), [dim, dim])),
  };
}

/** Lists every trainable variable of the item tower. */
export function itemTowerVariables(weights: ItemTowerWeights): tf.Variable[] {
  return [weights.id, weights.token, weights.projection];
}

/** Computes the L2-normalized vectors [indices.length, D] of the given items (differentiable). */
export function itemVectors(weights: ItemTowerWeights, content: ItemContent, indices: Int32Array): tf.Tensor2D {
  const width = content.tokensPerItem;
  const tokenIds = new Int32Array(indices.length * width);
  const tokenWeights = new Float32Array(indices.length * width);
  indices.forEach((item, row) => {
    tokenIds.set(content.tokens.subarray(item * width, (item + 1) * width), row * width);
    tokenWeights.set(content.weights.subarray(item * width, (item + 1) * width), row * width);
  });

  const ids = gatherRows(weights.id as tf.Tensor2D, tf.tensor1d(indices, 'int32'));
  const tokens = gatherRows(weights.token as tf.Tensor2D, tf.tensor2d(tokenIds, [indices.length, width], 'int32'));
  const mean = tf.sum(tf.mul(tokens, tf.tensor3d(tokenWeights, [indices.length, width, 1])), 1) as tf.Tensor2D;
  return l2Normalize(tf.add(ids, tf.matMul(mean, weights.projection)) as tf.Tensor2D);
}

/** Computes every item's vector as a row-major [items, D] Float32Array, in chunks. */
export function allItemVectors(weights: ItemTowerWeights, content: ItemContent, items: number, chunk = 4096): Float32Array {
  const dim = weights.projection.shape[1] as number;
  const out = new Float32Array(items * dim);
  for (let start = 0; start < items; start += chunk) {
    const indices = Int32Array.from({ length: Math.min(chunk, items - start) }, (_, i) => start + i);
    const vectors = tf.tidy(() => itemVectors(weights, content, indices));
    out.set(vectors.dataSync(), start * dim);
    vectors.dispose();
  }
  return out;
}
