/**
 * The query encoder on the companion, for clients that send only text: the same ONNX model and
 * the same text pieces (core/text-pieces.ts) as the worker, run with onnxruntime-node.
 */
import * as ort from 'onnxruntime-node';
import { QUERY_ENCODER_IO } from '../core/model-dir.js';
import { encodeText, TEXT_PIECES } from '../core/text-pieces.js';

/** Runs query_encoder.onnx on one text at a time. */
export class QueryEncoder {
  private constructor(private readonly session: ort.InferenceSession) {}

  /** Creates the encoder from the model bytes (already checked against the manifest). */
  static async load(bytes: Uint8Array): Promise<QueryEncoder> {
    return new QueryEncoder(await ort.InferenceSession.create(bytes));
  }

  /** Returns the query's unit vector, or null when the text has no words to encode. */
  async encode(text: string): Promise<Float32Array | null> {
    const { ids, weights, count } = encodeText(text);
    if (count === 0) return null;
    const width = TEXT_PIECES.maxPieces;
    const output = await this.session.run({
      [QUERY_ENCODER_IO.ids]: new ort.Tensor('int32', ids, [1, width]),
      [QUERY_ENCODER_IO.weights]: new ort.Tensor('float32', weights, [1, width]),
    });
    return output[QUERY_ENCODER_IO.output].data as Float32Array;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
