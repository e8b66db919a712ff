import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../../src/core/random.js';
import { JsQueryEncoder } from '../../src/runtime/js-query-encoder.js';
import { createQueryEncoder } from '../../src/training/models/query-encoder.js';
import { exportQueryEncoder } from '../../src/training/models/query-encoder-onnx.js';
import { initTensorflow } from '../../src/training/models/tf.js';
import { encodeQueryTexts } from '../../src/training/search/evaluate-search.js';
import { DType, GraphBuilder } from '../../src/training/onnx/graph.js';

const TEXTS = ['red glue gun', 'Crème brûlée torch', 'очки защитные', '防護メガネ', 'microscpoe slides 🔬', 'a'];

let bytes: Uint8Array;

beforeAll(async () => {
  await initTensorflow();
  bytes = exportQueryEncoder(createQueryEncoder(16, createRandom(5)));
});

describe('JsQueryEncoder', () => {
  it('matches onnxruntime vectors', async () => {
    const session = await ort.InferenceSession.create(bytes);
    const expected = await encodeQueryTexts(session, TEXTS);
    await session.release();
    const encoder = JsQueryEncoder.fromOnnx(bytes);
    expect(encoder.dim).toBe(16);
    TEXTS.forEach((text, row) => {
      const vector = encoder.encode(text) as Float32Array;
      expect(vector).toHaveLength(16);
      for (let j = 0; j < 16; j++) expect(vector[j]).toBeCloseTo(expected[row * 16 + j], 5);
      expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
    });
  });

  it('returns null for text without words', () => {
    const encoder = JsQueryEncoder.fromOnnx(bytes);
    expect(encoder.encode('')).toBeNull();
    expect(encoder.encode('  !!! ')).toBeNull();
  });

  it('rejects a non-encoder model', () => {
    // A valid ONNX file whose `pieces_int8` is a float matrix, as no query encoder has.
    const g = new GraphBuilder('other');
    const x = g.input('x', DType.float, [1, 4]);
    g.output(g.matMul(x, g.float('pieces_int8', new Float32Array(16), [4, 4])), 'y', DType.float, [1, 4]);
    for (const wrong of [g.toBytes(), new Uint8Array([0xff, 0xff, 0xff])]) {
      expect(() => JsQueryEncoder.fromOnnx(wrong, 'bad.onnx')).toThrowError(expect.objectContaining({ code: 'AISLE_MODEL_LOAD_FAILED', message: expect.stringContaining('bad.onnx') }));
    }
  });
});
