/**
 * The query encoder run in plain JavaScript from the weights of query_encoder.onnx, so a search
 * in the worker encodes its text without starting ONNX Runtime. The graph (training/models/
 * query-encoder-onnx.ts) is small and fixed: gather each piece's int8 row, scale it by the row's
 * scale and the piece weight, sum, multiply by the projection, L2-normalize. This file computes
 * the same from the same initializers; a unit test checks it against onnxruntime-node's output.
 */
import { AisleError } from '../core/errors.js';
import { encodeText, TEXT_PIECES } from '../core/text-pieces.js';
import { readOnnxGraph, type OnnxTensor } from './onnx-reader.js';

/** Initializer names of the exported query encoder. */
export const QUERY_ENCODER_WEIGHTS = { pieces: 'pieces_int8', scales: 'pieces_scale', projection: 'projection' } as const;

/** Smallest norm divided by, as in the exported graph's L2 normalization. */
const EPSILON = 1e-12;

/** Text to a unit vector in the item space, from query_encoder.onnx's weights. */
export class JsQueryEncoder {
  private constructor(
    private readonly pieces: Int8Array,
    private readonly scales: Float32Array,
    private readonly projection: Float32Array,
    readonly dim: number,
    readonly buckets: number,
  ) {}

  /**
   * Reads the weights from the model bytes (already checked against the manifest). Throws
   * AISLE_MODEL_LOAD_FAILED when an initializer is missing or has another shape or type.
   */
  static fromOnnx(bytes: Uint8Array, file = 'query_encoder.onnx'): JsQueryEncoder {
    let initializers: Map<string, OnnxTensor>;
    try {
      initializers = readOnnxGraph(bytes).initializers;
    } catch (error) {
      throw new AisleError('AISLE_MODEL_LOAD_FAILED', `Reading ${file} failed: ${(error as Error).message}. Re-run \`aisle train\` and deploy its models directory.`, { cause: error });
    }
    const get = (name: string, dataType: number, rank: number): OnnxTensor => {
      const tensor = initializers.get(name);
      if (!tensor || tensor.dataType !== dataType || tensor.dims.length !== rank) {
        throw new AisleError('AISLE_MODEL_LOAD_FAILED', `${file} has no ${rank}-d initializer ${name} of ONNX type ${dataType}; it is not a query encoder written by this version of \`aisle train\`.`, {
          details: { file, initializer: name },
        });
      }
      return tensor;
    };
    const pieces = get(QUERY_ENCODER_WEIGHTS.pieces, 3, 2);
    const scales = get(QUERY_ENCODER_WEIGHTS.scales, 1, 1);
    const projection = get(QUERY_ENCODER_WEIGHTS.projection, 1, 2);
    const [buckets, dim] = pieces.dims;
    if (buckets !== TEXT_PIECES.buckets || scales.dims[0] !== buckets || projection.dims[0] !== dim || projection.dims[1] !== dim) {
      throw new AisleError('AISLE_MODEL_LOAD_FAILED', `${file} has shapes [${pieces.dims}], [${scales.dims}], [${projection.dims}], which do not fit ${TEXT_PIECES.buckets} text-piece buckets; re-run \`aisle train\` with this version.`, {
        details: { file },
      });
    }
    return new JsQueryEncoder(pieces.data as Int8Array, scales.data as Float32Array, projection.data as Float32Array, dim, buckets);
  }

  /** Returns the text's unit vector, or null when the text has no words. */
  encode(text: string): Float32Array | null {
    const { ids, weights, count } = encodeText(text);
    if (count === 0) return null;
    const dim = this.dim;
    const pooled = new Float32Array(dim);
    for (let slot = 0; slot < count; slot++) {
      const row = ids[slot];
      const factor = this.scales[row] * weights[slot];
      for (let j = 0; j < dim; j++) pooled[j] += this.pieces[row * dim + j] * factor;
    }
    const out = new Float32Array(dim);
    for (let i = 0; i < dim; i++) {
      const value = pooled[i];
      if (value === 0) continue;
      for (let j = 0; j < dim; j++) out[j] += value * this.projection[i * dim + j];
    }
    let squares = 0;
    for (let j = 0; j < dim; j++) squares += out[j] * out[j];
    const norm = Math.max(Math.sqrt(squares), EPSILON);
    for (let j = 0; j < dim; j++) out[j] /= norm;
    return out;
  }
}
