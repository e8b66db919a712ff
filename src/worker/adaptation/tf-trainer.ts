/**
 * The gradient step of the on-device adaptation, on TensorFlow.js. The worker imports this file
 * lazily (dynamic import), and only when `createAisle({ adaptation })` turns adaptation on, so
 * pages without it never download TensorFlow.js.
 *
 * It uses tfjs-core with the plain JavaScript (cpu) backend: a step is a few small ops on at most
 * a few dozen rows, so WebGL or wasm start-up would cost more than they save.
 *
 * Loss of one update over the examples i with weights c_i (1 for a click, skipWeight for a skip):
 *   L = Σ c_i · BCE(y_i, sigmoid(s_i + wf · x_i + wv · v_i + b)) / Σ c_i + l2/2 · (|wf|² + |wv|²)
 * and the update is one plain SGD step of size learningRate (tf.train.sgd).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { FEATURE_COUNT } from '../../core/features.js';
import type { AdaptationExample, AdaptationOptions, AdaptationState } from '../../core/adaptation.js';

let backend: Promise<void> | undefined;

function ensureBackend(): Promise<void> {
  backend ??= tf.setBackend('cpu').then(() => tf.ready());
  return backend;
}

/**
 * Returns the state after one SGD step on `examples`; `state` is not changed. The item-vector
 * weights start at 0 with the dim of the first example's vector; with `itemVector` off they stay
 * empty.
 */
export async function adaptationStep(state: AdaptationState, examples: readonly AdaptationExample[], options: Pick<AdaptationOptions, 'learningRate' | 'l2' | 'skipWeight' | 'itemVector'> & { rankerFeatures?: boolean }, now: number): Promise<AdaptationState> {
  if (examples.length === 0) return state;
  await ensureBackend();
  const n = examples.length;
  const dim = options.itemVector ? examples[0].vector.length : 0;
  const vectorStart = state.vectorWeights.length === dim ? state.vectorWeights : new Array<number>(dim).fill(0);

  // Inputs as row-major [n, FEATURE_COUNT + dim]: the ranker features, then the item vector.
  const width = FEATURE_COUNT + dim;
  const inputs = new Float32Array(n * width);
  const offsets = new Float32Array(n);
  const labels = new Float32Array(n);
  const weights = new Float32Array(n);
  examples.forEach((example, i) => {
    // With rankerFeatures off their columns stay 0, so their weights get no gradient.
    if (options.rankerFeatures !== false) inputs.set(example.features.subarray(0, FEATURE_COUNT), i * width);
    if (dim > 0) inputs.set(example.vector.subarray(0, dim), i * width + FEATURE_COUNT);
    offsets[i] = example.offset;
    labels[i] = example.label;
    weights[i] = example.label === 1 ? 1 : options.skipWeight;
  });

  const w = tf.variable(tf.tensor2d([...state.featureWeights, ...vectorStart], [width, 1]));
  const b = tf.variable(tf.scalar(state.bias));
  const optimizer = tf.train.sgd(options.learningRate);
  try {
    // The gradient in closed form, so no gradient functions need registering: tfjs-core keeps
    // them in a separate module, which the full @tensorflow/tfjs package imports.
    //   dL/dw = Xᵀ (c ⊙ (sigmoid(z) - y)) / Σc + l2 · w,   dL/db = Σ c ⊙ (sigmoid(z) - y) / Σc.
    const gradients = tf.tidy(() => {
      const x = tf.tensor2d(inputs, [n, width]);
      const logits = tf.add(tf.add(tf.tensor2d(offsets, [n, 1]), tf.matMul(x, w)), b);
      const c = tf.tensor2d(weights, [n, 1]);
      const residual = tf.div(tf.mul(c, tf.sub(tf.sigmoid(logits), tf.tensor2d(labels, [n, 1]))), tf.sum(c));
      return { [w.name]: tf.add(tf.matMul(x, residual, true), tf.mul(options.l2, w)), [b.name]: tf.sum(residual) };
    });
    optimizer.applyGradients(gradients);
    tf.dispose(Object.values(gradients));
    const learned = Array.from(await w.data());
    const bias = (await b.data())[0];
    const clicks = examples.filter((example) => example.label === 1).length;
    return {
      format: 1,
      featureWeights: learned.slice(0, FEATURE_COUNT),
      vectorWeights: learned.slice(FEATURE_COUNT),
      bias,
      clicks: state.clicks + clicks,
      skips: state.skips + n - clicks,
      updatedAt: now,
    };
  } finally {
    optimizer.dispose();
    b.dispose();
    w.dispose();
  }
}
