/**
 * TensorFlow.js set-up for training in Node, and the few ops the models need beyond tfjs' own.
 *
 * Training runs on the wasm backend: it is much faster than the pure-JS cpu backend in Node.
 * The wasm backend of tfjs 4.22 has no `UnsortedSegmentSum` kernel, which the gradient of
 * `tf.gather` needs, so embedding lookups go through `gatherRows`, whose gradient scatters the
 * incoming gradient into a dense table with `tf.scatterND` (a kernel the wasm backend has).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export { tf };

let ready: Promise<void> | undefined;

/** Selects the wasm backend once per process (falls back to cpu when wasm fails to start). */
export function initTensorflow(): Promise<void> {
  ready ??= (async () => {
    const ok = await tf.setBackend('wasm').catch(() => false);
    if (!ok) await tf.setBackend('cpu');
    await tf.ready();
  })();
  return ready;
}

/**
 * Gathers rows of a 2-D `table` [N, D] at int32 `indices` of any shape; the result has shape
 * [...indices.shape, D]. Differentiable with respect to `table` on every backend.
 */
export function gatherRows(table: tf.Tensor2D, indices: tf.Tensor): tf.Tensor {
  const flat = indices.reshape([-1]) as tf.Tensor1D;
  const rows = gatherFlat(table, flat);
  return rows.reshape([...indices.shape, table.shape[1]]);
}

function gatherFlat(table: tf.Tensor2D, indices: tf.Tensor1D): tf.Tensor2D {
  const op = tf.customGrad((t, i, save) => {
    const tableTensor = t as tf.Tensor2D;
    const indexTensor = i as tf.Tensor1D;
    (save as (tensors: tf.Tensor[]) => void)([indexTensor]);
    const value = tf.gather(tableTensor, indexTensor);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [savedIndices] = saved;
      const scatterIndices = savedIndices.reshape([-1, 1]) as tf.Tensor2D;
      const tableGrad = tf.scatterND(scatterIndices, dy, tableTensor.shape);
      return [tableGrad, tf.zerosLike(savedIndices)];
    };
    return { value, gradFunc };
  });
  return op(table, indices) as tf.Tensor2D;
}

/**
 * Row-wise L2 normalization over the last axis, floored like the exported graph. The floor is
 * applied to the squared norm before the square root, which gives the same values. A zero row (an
 * item with no content tokens and an untrained id embedding) then gets a finite gradient instead
 * of NaN from the square root's infinite slope at 0.
 */
export function l2Normalize<T extends tf.Tensor>(x: T, epsilon = 1e-12): T {
  const norm = tf.sqrt(tf.maximum(tf.sum(tf.mul(x, x), -1, true), epsilon * epsilon));
  return tf.div(x, norm) as T;
}

/** Layer normalization over the last axis with learned scale and bias (ONNX LayerNormalization). */
export function layerNorm(x: tf.Tensor, scale: tf.Tensor, bias: tf.Tensor, epsilon: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  const normalized = tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, epsilon)));
  return tf.add(tf.mul(normalized, scale), bias);
}

/** Inverted dropout: zeroes a share `rate` of the entries and rescales the rest. */
export function dropout(x: tf.Tensor, rate: number, seed?: number): tf.Tensor {
  if (rate <= 0) return x;
  return tf.dropout(x, rate, undefined, seed);
}
