/**
 * Fits the search ranker (core/search-ranker.ts) to queries with one known target each. The loss
 * is a listwise softmax over each query's candidates, so the target should get the highest score.
 * Adam runs on mini-batches of queries, and training keeps the epoch with the best NDCG@10 on
 * held-back queries.
 * Plain TypeScript: the network has a few hundred weights, so TensorFlow.js would only add
 * start-up time.
 */
import { ndcg } from '../../core/metrics.js';
import { createRandom } from '../../core/random.js';
import { SEARCH_FEATURE_COUNT, SEARCH_FEATURES } from '../../core/search-features.js';
import { SEARCH_RANKER_FORMAT, SEARCH_RANKER_VERSION, SearchRanker, type SearchRankerJson } from '../../core/search-ranker.js';

/** One training query: its candidates' feature rows and the row of its target. */
export interface RankerExample {
  features: Float32Array;
  rows: number;
  target: number;
}

/** Options of fitSearchRanker. */
export interface FitOptions {
  units: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** L2 penalty on every weight. */
  l2: number;
  /** Share of the examples held back for early stopping. */
  validationShare: number;
  seed: number;
  onProgress?: (line: string) => void;
}

export const DEFAULT_FIT: Omit<FitOptions, 'seed'> = { units: 32, epochs: 40, batchSize: 32, learningRate: 0.01, l2: 1e-4, validationShare: 0.15 };

/** Returns the fitted ranker and the held-back NDCG@10 of its best epoch. */
export function fitSearchRanker(examples: readonly RankerExample[], options: FitOptions): { json: SearchRankerJson; validationNdcg: number; epochs: number } {
  const f = SEARCH_FEATURE_COUNT;
  const random = createRandom(options.seed);
  const order = random.shuffle(examples.map((_, i) => i));
  const heldBack = Math.max(1, Math.round(order.length * options.validationShare));
  const validation = order.slice(0, heldBack).map((i) => examples[i]);
  const training = order.slice(heldBack).map((i) => examples[i]);
  const { mean, scale } = standardization(training);
  const standardized = training.map((example) => standardize(example, mean, scale));

  const u = options.units;
  // Parameters in one array: linear [f], hidden [u·f], hiddenBias [u], output [u].
  const sizes = { linear: f, hidden: u * f, hiddenBias: u, output: u };
  const offsets = { linear: 0, hidden: f, hiddenBias: f + u * f, output: f + u * f + u };
  const count = f + u * f + 2 * u;
  const params = new Float64Array(count);
  const spread = Math.sqrt(2 / f);
  for (let i = 0; i < sizes.hidden; i++) params[offsets.hidden + i] = random.normal() * spread;
  for (let i = 0; i < sizes.output; i++) params[offsets.output + i] = random.normal() * 0.1;

  const adam = { m: new Float64Array(count), v: new Float64Array(count), step: 0 };
  const grad = new Float64Array(count);
  const toJson = (): SearchRankerJson => ({
    format: SEARCH_RANKER_FORMAT,
    version: SEARCH_RANKER_VERSION,
    features: [...SEARCH_FEATURES],
    mean: Array.from(mean),
    scale: Array.from(scale),
    linear: Array.from(params.subarray(offsets.linear, offsets.linear + f)),
    hidden: Array.from(params.subarray(offsets.hidden, offsets.hidden + u * f)),
    hiddenBias: Array.from(params.subarray(offsets.hiddenBias, offsets.hiddenBias + u)),
    output: Array.from(params.subarray(offsets.output, offsets.output + u)),
    outputBias: 0,
  });

  let best = { json: toJson(), validationNdcg: validationScore(new SearchRanker(toJson()), validation), epochs: 0 };
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const shuffled = random.shuffle(standardized.map((_, i) => i));
    let loss = 0;
    for (let start = 0; start < shuffled.length; start += options.batchSize) {
      grad.fill(0);
      const batch = shuffled.slice(start, start + options.batchSize);
      for (const i of batch) loss += accumulate(standardized[i], params, grad, offsets, f, u);
      for (let p = 0; p < count; p++) grad[p] = grad[p] / batch.length + options.l2 * params[p];
      adamStep(params, grad, adam, options.learningRate);
    }
    const json = toJson();
    const score = validationScore(new SearchRanker(json), validation);
    options.onProgress?.(`search ranker: epoch ${epoch}/${options.epochs}, loss ${(loss / Math.max(1, standardized.length)).toFixed(4)}, held-back NDCG@10 ${score.toFixed(4)}`);
    if (score > best.validationNdcg) best = { json, validationNdcg: score, epochs: epoch };
  }
  return best;
}

/** Per-feature mean and standard deviation over every candidate row; a constant feature gets scale 1. */
function standardization(examples: readonly RankerExample[]): { mean: Float64Array; scale: Float64Array } {
  const f = SEARCH_FEATURE_COUNT;
  const mean = new Float64Array(f);
  const square = new Float64Array(f);
  let rows = 0;
  for (const example of examples) {
    for (let r = 0; r < example.rows; r++) {
      for (let i = 0; i < f; i++) {
        const value = example.features[r * f + i];
        mean[i] += value;
        square[i] += value * value;
      }
    }
    rows += example.rows;
  }
  const scale = new Float64Array(f);
  for (let i = 0; i < f; i++) {
    mean[i] /= Math.max(1, rows);
    const deviation = Math.sqrt(Math.max(0, square[i] / Math.max(1, rows) - mean[i] * mean[i]));
    scale[i] = deviation > 1e-6 ? deviation : 1;
  }
  return { mean, scale };
}

function standardize(example: RankerExample, mean: Float64Array, scale: Float64Array): { z: Float64Array; rows: number; target: number } {
  const f = SEARCH_FEATURE_COUNT;
  const z = new Float64Array(example.rows * f);
  for (let r = 0; r < example.rows; r++) for (let i = 0; i < f; i++) z[r * f + i] = (example.features[r * f + i] - mean[i]) / scale[i];
  return { z, rows: example.rows, target: example.target };
}

/** Adds one query's gradient of the softmax loss to `grad` and returns its loss. */
function accumulate(example: { z: Float64Array; rows: number; target: number }, params: Float64Array, grad: Float64Array, at: { linear: number; hidden: number; hiddenBias: number; output: number }, f: number, u: number): number {
  const { z, rows, target } = example;
  const activations = new Float64Array(rows * u);
  const scores = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let score = 0;
    for (let i = 0; i < f; i++) score += params[at.linear + i] * z[r * f + i];
    for (let k = 0; k < u; k++) {
      let a = params[at.hiddenBias + k];
      for (let i = 0; i < f; i++) a += params[at.hidden + k * f + i] * z[r * f + i];
      a = a > 0 ? a : 0;
      activations[r * u + k] = a;
      score += params[at.output + k] * a;
    }
    scores[r] = score;
  }
  let high = Number.NEGATIVE_INFINITY;
  for (let r = 0; r < rows; r++) high = Math.max(high, scores[r]);
  let total = 0;
  for (let r = 0; r < rows; r++) total += Math.exp(scores[r] - high);
  for (let r = 0; r < rows; r++) {
    const g = Math.exp(scores[r] - high) / total - (r === target ? 1 : 0);
    if (g === 0) continue;
    for (let i = 0; i < f; i++) grad[at.linear + i] += g * z[r * f + i];
    for (let k = 0; k < u; k++) {
      const a = activations[r * u + k];
      grad[at.output + k] += g * a;
      if (a > 0) {
        const back = g * params[at.output + k];
        grad[at.hiddenBias + k] += back;
        for (let i = 0; i < f; i++) grad[at.hidden + k * f + i] += back * z[r * f + i];
      }
    }
  }
  return Math.log(total) + high - scores[target];
}

function adamStep(params: Float64Array, grad: Float64Array, state: { m: Float64Array; v: Float64Array; step: number }, rate: number): void {
  const beta1 = 0.9;
  const beta2 = 0.999;
  state.step += 1;
  const correction1 = 1 - beta1 ** state.step;
  const correction2 = 1 - beta2 ** state.step;
  for (let p = 0; p < params.length; p++) {
    state.m[p] = beta1 * state.m[p] + (1 - beta1) * grad[p];
    state.v[p] = beta2 * state.v[p] + (1 - beta2) * grad[p] * grad[p];
    params[p] -= (rate * (state.m[p] / correction1)) / (Math.sqrt(state.v[p] / correction2) + 1e-8);
  }
}

/** Mean NDCG@10 of the target when each example's candidates are ordered by the ranker. */
export function validationScore(ranker: SearchRanker, examples: readonly RankerExample[]): number {
  let total = 0;
  for (const example of examples) {
    const scores = ranker.score(example.features, example.rows);
    let rank = 0;
    for (let r = 0; r < example.rows; r++) if (scores[r] > scores[example.target] || (scores[r] === scores[example.target] && r < example.target)) rank += 1;
    total += ndcg(rank, 10);
  }
  return total / Math.max(1, examples.length);
}
