/**
 * The query encoder: text → a vector in the item-vector space, so a shopper's words can be
 * searched with the same FAISS index as the user vector. Input: the hashed pieces of
 * `core/text-pieces.ts` (whole words and character trigrams). Model: the weighted mean of the
 * pieces' embeddings, a linear map, L2 normalization. Trigrams let a query with a typo or an
 * unseen word form land near the right items.
 *
 * Training pairs are (words sampled from an item's text, that item), and the loss has two parts.
 * First, a sampled softmax over item vectors (the batch's items and random ones). The item vectors
 * are fixed: the trained item tower learned them from behaviour, so the encoder learns to place
 * text where shoppers' behaviour placed the items, and words that share no letters can land
 * together. Second, a softmax over the encodings of the batch items' whole texts, so a query also
 * lands near the encoding of the text it came from.
 *
 * NOTE: on amazon-scientific, searching the behavioural item vectors with this encoder finds the
 * exact item far less often than BM25 does: NDCG@10 0.07 against 0.70 with `aisle eval --task
 * search` on words taken from the item's text. So fusion does not yet beat BM25 there.
 */
import { createRandom, type Random } from '../../core/random.js';
import { encodeTexts, TEXT_PIECES, textWords } from '../../core/text-pieces.js';
import { randomNormals } from './init.js';
import { gatherRows, l2Normalize, tf } from './tf.js';

/** Weights of the query encoder. */
export interface QueryEncoderWeights {
  /** Piece embeddings [buckets, D]. */
  pieces: tf.Variable;
  /** Linear map [D, D] after pooling. */
  projection: tf.Variable;
}

/** Creates encoder weights for vectors of dim `dim`. */
export function createQueryEncoder(dim: number, random: Random, buckets: number = TEXT_PIECES.buckets): QueryEncoderWeights {
  return {
    pieces: tf.variable(tf.tensor2d(randomNormals(random, buckets * dim, 0.1), [buckets, dim])),
    projection: tf.variable(tf.tensor2d(randomNormals(random, dim * dim, Math.sqrt(1 / dim)), [dim, dim])),
  };
}

/** Encodes row-major [N, maxPieces] piece ids and weights into L2-normalized vectors [N, D] (differentiable). */
export function encodeQueries(weights: QueryEncoderWeights, ids: Int32Array, pieceWeights: Float32Array, count: number): tf.Tensor2D {
  const width = ids.length / count;
  const embedded = gatherRows(weights.pieces as tf.Tensor2D, tf.tensor2d(ids, [count, width], 'int32'));
  const pooled = tf.sum(tf.mul(embedded, tf.tensor3d(pieceWeights, [count, width, 1])), 1) as tf.Tensor2D;
  return l2Normalize(tf.matMul(pooled, weights.projection));
}

/** Encodes texts to vectors as a row-major Float32Array [texts, D], in chunks. */
export function encodeTextsWithWeights(weights: QueryEncoderWeights, texts: readonly string[], chunk = 1024): Float32Array {
  const dim = weights.projection.shape[1] as number;
  const out = new Float32Array(texts.length * dim);
  for (let start = 0; start < texts.length; start += chunk) {
    const part = texts.slice(start, start + chunk);
    const { ids, weights: pieceWeights } = encodeTexts(part);
    const vectors = tf.tidy(() => encodeQueries(weights, ids, pieceWeights, part.length));
    out.set(vectors.dataSync(), start * dim);
    vectors.dispose();
  }
  return out;
}

/** Options of `trainQueryEncoder`. */
export interface QueryEncoderTraining {
  /** Row-major [items, D] L2-normalized item vectors, the fixed targets. */
  itemVectors: Float32Array;
  dim: number;
  /** Text of each item (title, category, brand); '' for items without text. Queries are sampled from it. */
  itemText: readonly string[];
  /**
   * Text of each item as the companion encodes it for its text vectors (core/text-pieces.ts
   * itemText); the text-matching loss encodes these. Default `itemText`.
   */
  documents?: readonly string[];
  /** Items whose text must not be used (held out for the search evaluation). */
  excluded: ReadonlySet<number>;
  steps: number;
  batchSize: number;
  learningRate: number;
  /** Softmax temperature over the item vectors. */
  temperature: number;
  /** Random items added to each batch's own items as softmax negatives. */
  negatives: number;
  /**
   * Weight of the text-matching loss: each query against the encodings of the whole texts of the
   * batch's items (in-batch softmax), so a query finds the item whose text it came from. 0 turns it off.
   */
  textWeight: number;
  /** Share of training queries that get one random character edit, so typos are seen. */
  typoRate: number;
  seed: number;
  onProgress?: (line: string) => void;
}

/** Trains the encoder on queries sampled from item text and returns its weights. */
export function trainQueryEncoder(options: QueryEncoderTraining): QueryEncoderWeights {
  const random = createRandom(options.seed);
  const words = queryWordLists(options.itemText);
  const documents = options.documents ?? options.itemText;
  const usable = words.map((list, item) => (list.length > 0 && !options.excluded.has(item) ? item : -1)).filter((item) => item >= 0);
  const itemCount = options.itemVectors.length / options.dim;
  const encoder = createQueryEncoder(options.dim, random);
  const optimizer = tf.train.adam(options.learningRate);
  const log = options.onProgress ?? (() => {});
  const started = Date.now();
  let recent = 0;

  for (let step = 1; step <= options.steps; step++) {
    const batch = Array.from({ length: options.batchSize }, () => usable[random.int(usable.length)]);
    const texts = batch.map((item) => sampleQuery(words[item], random, options.typoRate));
    const { ids, weights } = encodeTexts(texts);
    // Sampled softmax: the batch's own items plus uniform random ones. Training items are drawn
    // uniformly too, so no correction for sampling frequency is needed.
    const columns = Int32Array.from({ length: batch.length + options.negatives }, (_, j) => (j < batch.length ? batch[j] : random.int(itemCount)));
    const { targets, maskBias } = sampledTargets(options.itemVectors, options.dim, batch, columns);
    const labels = tf.tidy(() => tf.oneHot(tf.range(0, batch.length, 1, 'int32'), columns.length));
    const full = options.textWeight > 0 ? encodeTexts(batch.map((item) => documents[item]), TEXT_PIECES.buckets, TEXT_PIECES.maxItemPieces) : undefined;
    const textMask = full ? repeatMask(batch) : undefined;
    const cost = optimizer.minimize(() => {
      const queries = encodeQueries(encoder, ids, weights, batch.length);
      const logits = tf.add(tf.div(tf.matMul(queries, targets, false, true), options.temperature), maskBias);
      const behaviour = tf.losses.softmaxCrossEntropy(labels, logits) as tf.Scalar;
      if (!full || !textMask) return behaviour;
      const documents = encodeQueries(encoder, full.ids, full.weights, batch.length);
      const textLogits = tf.add(tf.div(tf.matMul(queries, documents, false, true), options.temperature), textMask);
      const text = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.range(0, batch.length, 1, 'int32'), batch.length), textLogits);
      return tf.add(behaviour, tf.mul(text, options.textWeight)) as tf.Scalar;
    }, true, [encoder.pieces, encoder.projection]);
    textMask?.dispose();
    recent += cost!.dataSync()[0];
    tf.dispose([cost!, labels, targets, maskBias]);
    if (step % 200 === 0 || step === options.steps) {
      const seconds = (Date.now() - started) / 1000;
      log(`query encoder: step ${step}/${options.steps} loss ${(recent / (step % 200 === 0 ? 200 : step % 200)).toFixed(4)} (${seconds.toFixed(0)} s, ETA ${((seconds / step) * (options.steps - step)).toFixed(0)} s)`);
      recent = 0;
    }
  }
  optimizer.dispose();
  log(`query encoder: trained on ${usable.length} items' text, ${options.excluded.size} items held out`);
  return encoder;
}

/**
 * The item vectors of the softmax columns [M, D], and a mask [N, M] that hides every column other
 * than row i's own that contains row i's item (a repeat in the batch or among the random items).
 */
function sampledTargets(itemVectors: Float32Array, dim: number, batch: readonly number[], columns: Int32Array): { targets: tf.Tensor2D; maskBias: tf.Tensor2D } {
  const vectors = new Float32Array(columns.length * dim);
  columns.forEach((item, j) => vectors.set(itemVectors.subarray(item * dim, (item + 1) * dim), j * dim));
  const mask = new Float32Array(batch.length * columns.length);
  batch.forEach((item, i) => {
    columns.forEach((column, j) => {
      if (column === item && j !== i) mask[i * columns.length + j] = -1e9;
    });
  });
  return { targets: tf.tensor2d(vectors, [columns.length, dim]), maskBias: tf.tensor2d(mask, [batch.length, columns.length]) };
}

/** Builds a mask [N, N] that hides column j from row i when both contain the same item (i ≠ j). */
function repeatMask(batch: readonly number[]): tf.Tensor2D {
  const mask = new Float32Array(batch.length * batch.length);
  batch.forEach((a, i) => batch.forEach((b, j) => {
    if (a === b && i !== j) mask[i * batch.length + j] = -1e9;
  }));
  return tf.tensor2d(mask, [batch.length, batch.length]);
}

/** Words found in more than this share of the items (e.g. the category root) are not query words. */
export const MAX_QUERY_WORD_SHARE = 0.2;

/**
 * Returns the words of each item's text that a shopper might type: two or more characters with a letter,
 * found in at most MAX_QUERY_WORD_SHARE of the items, distinct, in text order.
 */
export function queryWordLists(itemText: readonly string[]): string[][] {
  const lists = itemText.map((text) => [...new Set(textWords(text))].filter((word) => Array.from(word).length >= 2 && /\p{L}/u.test(word)));
  const frequency = new Map<string, number>();
  for (const list of lists) for (const word of list) frequency.set(word, (frequency.get(word) ?? 0) + 1);
  const limit = Math.max(1, MAX_QUERY_WORD_SHARE * itemText.length);
  return lists.map((list) => list.filter((word) => (frequency.get(word) ?? 0) <= limit));
}

/** Two to four distinct words of an item's text in their text order, optionally with one typo. */
export function sampleQuery(words: readonly string[], random: Random, typoRate: number): string {
  const distinct = [...new Set(words)];
  const size = Math.min(distinct.length, 2 + random.int(3));
  const chosen = random.shuffle(distinct.map((_, i) => i)).slice(0, size).sort((a, b) => a - b).map((i) => distinct[i]);
  if (random.next() < typoRate) {
    const long = chosen.map((word, i) => (Array.from(word).length >= 4 ? i : -1)).filter((i) => i >= 0);
    if (long.length > 0) {
      const at = long[random.int(long.length)];
      chosen[at] = addTypo(chosen[at], random);
    }
  }
  return chosen.join(' ');
}

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** Applies one random edit to a word: a deleted, replaced, inserted or swapped character. */
export function addTypo(word: string, random: Random): string {
  const chars = Array.from(word);
  const at = 1 + random.int(Math.max(1, chars.length - 2));
  const letter = LETTERS[random.int(LETTERS.length)];
  switch (random.int(4)) {
    case 0:
      chars.splice(at, 1);
      break;
    case 1:
      chars[at] = chars[at] === letter ? LETTERS[(LETTERS.indexOf(letter) + 1) % LETTERS.length] : letter;
      break;
    case 2:
      chars.splice(at, 0, letter);
      break;
    default:
      if (at + 1 < chars.length && chars[at] !== chars[at + 1]) [chars[at], chars[at + 1]] = [chars[at + 1], chars[at]];
      else chars.splice(at, 1);
  }
  return chars.join('');
}
