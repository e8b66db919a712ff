/**
 * The tag model: a multi-label classifier from an item's title and item vector to its tags.
 *
 *   hidden = relu(mean of the title's piece embeddings + item vector · W_v + b)
 *   P(tag) = sigmoid(hidden · W_o + b_o), one output per vocabulary tag
 *
 * Title pieces are the hashed words and character trigrams of `core/text-pieces.ts`, so an
 * unseen word or a misspelled brand still shares pieces with known ones. The item vector adds the
 * behaviour signal, because items bought by the same shoppers tend to share categories.
 * Training minimizes sigmoid cross-entropy with Adam and stops early on precision@3 of a
 * hash-chosen tenth of the training items.
 */
import { createRandom } from '../../core/random.js';
import { encodeTexts, hashPiece, TEXT_PIECES } from '../../core/text-pieces.js';
import { randomNormals } from '../models/init.js';
import { dropout, gatherRows, tf } from '../models/tf.js';
import { tagPrecisionRecall, topIndices } from './metrics.js';

/** Hyperparameters of the tag model. */
export interface TagModelOptions {
  hidden: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  dropout: number;
  /** Epochs without a better validation precision@3 before training stops. */
  patience: number;
  seed: number;
  log?: (line: string) => void;
}

/** Settings of the runs in docs/benchmarks.md, chosen by hand and not tuned. */
export const TAG_MODEL_DEFAULTS: Omit<TagModelOptions, 'seed' | 'log'> = { hidden: 64, epochs: 40, batchSize: 128, learningRate: 0.01, dropout: 0.2, patience: 3 };

/**
 * Hash buckets of the title pieces. Fewer than the query encoder's, because the embedding table's
 * dense Adam update dominates the training time and a catalog's titles use far fewer pieces.
 */
export const TAG_PIECE_BUCKETS = 1 << 12;

/** Trained weights and the vocabulary they score. */
export interface TagModel {
  vocabulary: string[];
  pieces: tf.Variable; // [buckets, hidden]
  vectorWeights: tf.Variable; // [dim, hidden]
  hiddenBias: tf.Variable; // [hidden]
  output: tf.Variable; // [hidden, vocabulary]
  outputBias: tf.Variable; // [vocabulary]
  dispose(): void;
}

/** The inputs of the tag model for a list of items. */
export interface TagInputs {
  titles: readonly string[];
  /** Row-major [items, dim] item vectors. */
  vectors: Float32Array;
  dim: number;
}

/** Computes the logits [rows, vocabulary] of rows `rows` of the inputs (differentiable). */
function logits(model: TagModel, inputs: EncodedInputs, rows: readonly number[], rate: number): tf.Tensor2D {
  const width = TEXT_PIECES.maxPieces;
  const ids = new Int32Array(rows.length * width);
  const weights = new Float32Array(rows.length * width);
  const vectors = new Float32Array(rows.length * inputs.dim);
  rows.forEach((row, i) => {
    ids.set(inputs.ids.subarray(row * width, (row + 1) * width), i * width);
    weights.set(inputs.weights.subarray(row * width, (row + 1) * width), i * width);
    vectors.set(inputs.vectors.subarray(row * inputs.dim, (row + 1) * inputs.dim), i * inputs.dim);
  });
  const embedded = gatherRows(model.pieces as tf.Tensor2D, tf.tensor2d(ids, [rows.length, width], 'int32'));
  const pooled = tf.sum(tf.mul(embedded, tf.tensor3d(weights, [rows.length, width, 1])), 1);
  const hidden = tf.relu(tf.add(tf.add(pooled, tf.matMul(tf.tensor2d(vectors, [rows.length, inputs.dim]), model.vectorWeights)), model.hiddenBias));
  return tf.add(tf.matMul(dropout(hidden, rate), model.output), model.outputBias) as tf.Tensor2D;
}

interface EncodedInputs {
  ids: Int32Array;
  weights: Float32Array;
  vectors: Float32Array;
  dim: number;
}

function encodeInputs(inputs: TagInputs): EncodedInputs {
  return { ...encodeTexts(inputs.titles, TAG_PIECE_BUCKETS), vectors: inputs.vectors, dim: inputs.dim };
}

/** True for the training items whose tags are kept back to decide when to stop. */
function isValidationItem(row: number, seed: number): boolean {
  return hashPiece(`tags-validation:${seed}:${row}`, 10) === 0;
}

/**
 * Trains the model on the rows `train` of the inputs, whose tags are `tags[row]`. Tags outside
 * the vocabulary are ignored.
 */
export function trainTagModel(inputs: TagInputs, tags: ReadonlyArray<readonly string[] | undefined>, train: readonly number[], vocabulary: readonly string[], options: TagModelOptions): TagModel {
  const random = createRandom(options.seed);
  const log = options.log ?? (() => {});
  const encoded = encodeInputs(inputs);
  const column = new Map(vocabulary.map((tag, i) => [tag, i]));
  const validation = train.filter((row) => isValidationItem(row, options.seed));
  const fit = train.filter((row) => !isValidationItem(row, options.seed));

  // The output bias starts at the log-odds of each tag's frequency, so the first epochs learn
  // what separates items rather than how rare each tag is.
  const frequency = new Float32Array(vocabulary.length);
  for (const row of fit) for (const tag of new Set(tags[row] ?? [])) if (column.has(tag)) frequency[column.get(tag) as number] += 1;
  const prior = frequency.map((count) => Math.log((count + 0.5) / (fit.length - count + 0.5)));

  const model: TagModel = {
    vocabulary: [...vocabulary],
    pieces: tf.variable(tf.tensor2d(randomNormals(random, TAG_PIECE_BUCKETS * options.hidden, 0.1), [TAG_PIECE_BUCKETS, options.hidden])),
    vectorWeights: tf.variable(tf.tensor2d(randomNormals(random, inputs.dim * options.hidden, Math.sqrt(2 / inputs.dim)), [inputs.dim, options.hidden])),
    hiddenBias: tf.variable(tf.zeros([options.hidden])),
    output: tf.variable(tf.tensor2d(randomNormals(random, options.hidden * vocabulary.length, Math.sqrt(1 / options.hidden)), [options.hidden, vocabulary.length])),
    outputBias: tf.variable(tf.tensor1d(prior)),
    dispose() {
      tf.dispose([this.pieces, this.vectorWeights, this.hiddenBias, this.output, this.outputBias]);
    },
  };
  const variables = [model.pieces, model.vectorWeights, model.hiddenBias, model.output, model.outputBias];
  const optimizer = tf.train.adam(options.learningRate);
  const labelsOf = (rows: readonly number[]) => {
    const labels = new Float32Array(rows.length * vocabulary.length);
    rows.forEach((row, i) => {
      for (const tag of tags[row] ?? []) {
        const j = column.get(tag);
        if (j !== undefined) labels[i * vocabulary.length + j] = 1;
      }
    });
    return tf.tensor2d(labels, [rows.length, vocabulary.length]);
  };

  let best = { epoch: 0, precision: -1, weights: variables.map((variable) => tf.clone(variable)) };
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const order = random.shuffle(fit);
    let total = 0;
    let batches = 0;
    for (let start = 0; start < order.length; start += options.batchSize) {
      const rows = order.slice(start, start + options.batchSize);
      const labels = labelsOf(rows);
      const cost = optimizer.minimize(() => tf.losses.sigmoidCrossEntropy(labels, logits(model, encoded, rows, options.dropout)) as tf.Scalar, true, variables);
      total += cost!.dataSync()[0];
      batches++;
      tf.dispose([cost!, labels]);
    }

    const scored = scoreRows(model, encoded, validation);
    const predicted = validation.map((_, i) => topIndices(scored.subarray(i * vocabulary.length, (i + 1) * vocabulary.length), 3).map((j) => vocabulary[j]));
    const { precision } = tagPrecisionRecall(predicted, validation.map((row) => tags[row] ?? []), 3);
    log(`tags: epoch ${epoch} loss ${(total / Math.max(1, batches)).toFixed(4)} validation P@3 ${precision.toFixed(4)} (${validation.length} items)`);
    // On a tie the later epoch wins: precision@3 saturates on easy data while the scores still improve.
    if (precision >= best.precision) {
      best.weights.forEach((tensor) => tensor.dispose());
      best = { epoch, precision, weights: variables.map((variable) => tf.clone(variable)) };
    } else if (epoch - best.epoch >= options.patience) {
      break;
    }
  }
  variables.forEach((variable, i) => variable.assign(best.weights[i]));
  best.weights.forEach((tensor) => tensor.dispose());
  optimizer.dispose();
  log(`tags: kept epoch ${best.epoch} (validation P@3 ${best.precision.toFixed(4)})`);
  return model;
}

/** Tag probabilities of the given rows as row-major [rows, vocabulary], in chunks. */
function scoreRows(model: TagModel, inputs: EncodedInputs, rows: readonly number[], chunk = 1024): Float32Array {
  const out = new Float32Array(rows.length * model.vocabulary.length);
  for (let start = 0; start < rows.length; start += chunk) {
    const part = rows.slice(start, start + chunk);
    const probabilities = tf.tidy(() => tf.sigmoid(logits(model, inputs, part, 0)));
    out.set(probabilities.dataSync(), start * model.vocabulary.length);
    probabilities.dispose();
  }
  return out;
}

/** Tag probabilities [rows.length, vocabulary] for the rows `rows` of the inputs. */
export function predictTagScores(model: TagModel, inputs: TagInputs, rows: readonly number[]): Float32Array {
  return scoreRows(model, encodeInputs(inputs), rows);
}
