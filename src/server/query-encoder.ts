/**
 * The query encoder on the companion, for clients that send only text and for the item text
 * vectors (text-vectors.ts): the same ONNX model and the same text pieces (core/text-pieces.ts)
 * as the worker, run with onnxruntime-node.
 */
import * as ort from 'onnxruntime-node';
import { QUERY_ENCODER_IO } from '../core/model-dir.js';
import { encodeText, encodeTexts, TEXT_PIECES } from '../core/text-pieces.js';

/** Texts encoded per ONNX run by `encodeMany`. */
const BATCH = 512;

/**
 * Runs query_encoder.onnx, or item_content.onnx (the same graph with the output named
 * ITEM_CONTENT_IO.output) through `run`.
 */
export class QueryEncoder {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly dim: number,
    private readonly output: string,
  ) {}

  /** Creates the encoder from the model bytes (already checked against the manifest). */
  static async load(bytes: Uint8Array, dim: number, output: string = QUERY_ENCODER_IO.output): Promise<QueryEncoder> {
    return new QueryEncoder(await ort.InferenceSession.create(bytes), dim, output);
  }

  /** Returns the query's unit vector, or null when the text has no words to encode. */
  async encode(text: string): Promise<Float32Array | null> {
    const { ids, weights, count } = encodeText(text);
    if (count === 0) return null;
    return this.run(ids, weights, 1, TEXT_PIECES.maxPieces);
  }

  /**
   * Encodes many texts, `maxPieces` pieces each, into row-major [texts, dim] unit vectors. A text
   * without words gets a zero row.
   */
  async encodeMany(texts: readonly string[], maxPieces: number = TEXT_PIECES.maxItemPieces): Promise<Float32Array> {
    const out = new Float32Array(texts.length * this.dim);
    for (let start = 0; start < texts.length; start += BATCH) {
      const part = texts.slice(start, start + BATCH);
      const { ids, weights } = encodeTexts(part, TEXT_PIECES.buckets, maxPieces);
      const vectors = await this.run(ids, weights, part.length, maxPieces);
      part.forEach((text, row) => {
        // A text without words pools to nothing; its row stays exactly zero, so it matches no query.
        if (weights[row * maxPieces] === 0) vectors.fill(0, row * this.dim, (row + 1) * this.dim);
      });
      out.set(vectors, start * this.dim);
    }
    return out;
  }

  /** Runs the model on row-major [count, width] piece ids and weights; returns [count, dim] vectors. */
  async run(ids: Int32Array, weights: Float32Array, count: number, width: number): Promise<Float32Array> {
    const output = await this.session.run({
      [QUERY_ENCODER_IO.ids]: new ort.Tensor('int32', ids, [count, width]),
      [QUERY_ENCODER_IO.weights]: new ort.Tensor('float32', weights, [count, width]),
    });
    return output[this.output].data as Float32Array;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
