import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT } from '../../src/core/features.js';
import { RANKER_IO } from '../../src/core/model-dir.js';
import { createRandom } from '../../src/core/random.js';
import { JsRanker } from '../../src/runtime/js-ranker.js';
import { readOnnxGraph } from '../../src/runtime/onnx-reader.js';
import { DType, GraphBuilder } from '../../src/training/onnx/graph.js';
import { buildTinyRanker } from '../browser/fixtures/tiny-models.js';

const DEMO_MODELS = join(import.meta.dirname, '../../demo/public/models');
/** Largest accepted |js - onnxruntime| per score, relative to max(1, |score|): float32 rounding. */
const TOLERANCE = 1e-5;

/** Returns a feature matrix like the core builds: values in [-1, 1], about a third of them 0. */
function featureMatrix(rows: number, seed: number): Float32Array {
  const random = createRandom(seed);
  return Float32Array.from({ length: rows * FEATURE_COUNT }, () => (random.next() < 0.3 ? 0 : random.next() * 2 - 1));
}

/**
 * Scores from onnxruntime-node at the optimization level the worker uses for the ranker. At the
 * 'extended' level onnxruntime-node 1.30 fuses DequantizeLinear and MatMul into a kernel that
 * quantizes the activations with one scale per batch (scores off by up to 0.03 here), which
 * ORT-web 1.30's wasm build does not do.
 */
async function ortScores(model: Uint8Array, features: Float32Array, rows: number): Promise<Float32Array> {
  const session = await ortNode.InferenceSession.create(model, { executionProviders: ['cpu'], graphOptimizationLevel: 'basic' });
  try {
    const output = await session.run({ [RANKER_IO.input]: new ortNode.Tensor('float32', features, [rows, FEATURE_COUNT]) });
    return output[RANKER_IO.output].data as Float32Array;
  } finally {
    await session.release();
  }
}

async function expectSameScores(model: Uint8Array, rows: number, seed: number): Promise<void> {
  const features = featureMatrix(rows, seed);
  const expected = await ortScores(model, features, rows);
  const actual = JsRanker.fromOnnx(model, FEATURE_COUNT).run(features, rows, FEATURE_COUNT);
  expect(actual).toHaveLength(rows);
  let worst = 0;
  for (let i = 0; i < rows; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
  expect(worst).toBeLessThanOrEqual(TOLERANCE);
}

/** A Gemm (transB) + Sigmoid + Flatten + Squeeze ranker, to cover the other supported ops. */
function gemmRanker(): Uint8Array {
  const g = new GraphBuilder('gemm_ranker');
  const random = createRandom(5);
  const x = g.input(RANKER_IO.input, DType.float, ['batch', FEATURE_COUNT]);
  const w = g.float('w', Float32Array.from({ length: 8 * FEATURE_COUNT }, () => random.normal()), [8, FEATURE_COUNT]);
  const b = g.float('b', Float32Array.from({ length: 8 }, () => random.normal()), [8]);
  const hidden = g.sigmoid(g.gemm(x, w, b, 1));
  const scale = g.float('scale', [0.5], []);
  const v = g.float('v', Float32Array.from({ length: 8 }, () => random.normal()), [8, 1]);
  const scores = g.op('Flatten', [g.matMul(g.sub(hidden, scale), v)], { axis: 1 });
  g.output(g.reshape(scores, [-1]), RANKER_IO.output, DType.float, ['batch']);
  return g.toBytes();
}

describe('JsRanker', () => {
  it.each([
    ['int8 demo ranker', 'ranker.onnx'],
    ['float32 demo ranker', 'ranker_fp32.onnx'],
    ['float32 teacher', 'ranker_teacher.onnx'],
  ])('matches onnxruntime on the %s', async (_name, file) => {
    const model = new Uint8Array(readFileSync(join(DEMO_MODELS, file)));
    for (const [rows, seed] of [
      [1, 1],
      [7, 2],
      [200, 3],
      [1000, 4],
    ]) {
      await expectSameScores(model, rows, seed);
    }
  });

  it('matches onnxruntime on Gemm and Sigmoid', async () => {
    await expectSameScores(gemmRanker(), 50, 6);
  });

  it('matches the tiny linear ranker', async () => {
    await expectSameScores(buildTinyRanker(), 30, 7);
  });

  it('scores a row the same in any batch', () => {
    const ranker = JsRanker.fromOnnx(new Uint8Array(readFileSync(join(DEMO_MODELS, 'ranker.onnx'))), FEATURE_COUNT);
    const features = featureMatrix(40, 8);
    const together = ranker.run(features, 40, FEATURE_COUNT);
    for (const row of [0, 17, 39]) {
      const alone = ranker.run(features.slice(row * FEATURE_COUNT, (row + 1) * FEATURE_COUNT), 1, FEATURE_COUNT);
      expect(alone[0]).toBe(together[row]);
    }
  });

  it('reuses buffers across batch sizes', () => {
    const model = new Uint8Array(readFileSync(join(DEMO_MODELS, 'ranker.onnx')));
    const reused = JsRanker.fromOnnx(model, FEATURE_COUNT);
    const results: Array<[number, Float32Array, Float32Array]> = [];
    for (const [rows, seed] of [[200, 11], [7, 12], [1000, 13], [200, 14]]) {
      const features = featureMatrix(rows, seed);
      results.push([rows, features, reused.run(features, rows, FEATURE_COUNT)]);
    }
    // Earlier results stay intact, and each equals a run of a fresh ranker.
    for (const [rows, features, scores] of results) {
      expect(scores).toHaveLength(rows);
      expect(scores).toEqual(JsRanker.fromOnnx(model, FEATURE_COUNT).run(features, rows, FEATURE_COUNT));
    }
  });

  it('counts the FLOPs of the demo ranker', () => {
    const ranker = JsRanker.fromOnnx(new Uint8Array(readFileSync(join(DEMO_MODELS, 'ranker.onnx'))), FEATURE_COUNT);
    // 17→64→32→1: multiply-adds 2·(17·64 + 64·32 + 32·1), bias adds 64 + 32 + 1, ReLUs 64 + 32.
    expect(ranker.flopsPerRow).toBe(2 * (17 * 64 + 64 * 32 + 32) + 97 + 96);
  });

  it('rejects an op outside the row-wise subset', () => {
    const g = new GraphBuilder('listwise');
    const x = g.input(RANKER_IO.input, DType.float, ['batch', FEATURE_COUNT]);
    const w = g.float('w', new Float32Array(FEATURE_COUNT), [FEATURE_COUNT, 1]);
    // A softmax over the candidates makes each score depend on the whole batch.
    g.output(g.reshape(g.softmax(g.matMul(x, w), 0), [-1]), RANKER_IO.output, DType.float, ['batch']);
    expect(() => JsRanker.fromOnnx(g.toBytes(), FEATURE_COUNT)).toThrowError(expect.objectContaining({ code: 'AISLE_MODEL_LOAD_FAILED', message: expect.stringContaining('op Softmax') }));
  });

  it('rejects a reshape that mixes rows', () => {
    const g = new GraphBuilder('mixing');
    const x = g.input(RANKER_IO.input, DType.float, ['batch', FEATURE_COUNT]);
    const w = g.float('w', new Float32Array(FEATURE_COUNT * 2), [FEATURE_COUNT, 2]);
    g.output(g.reshape(g.matMul(x, w), [2, -1]), RANKER_IO.output, DType.float, ['batch']);
    expect(() => JsRanker.fromOnnx(g.toBytes(), FEATURE_COUNT)).toThrowError(expect.objectContaining({ message: expect.stringContaining('fixes the number of candidates') }));
  });

  it('rejects a wrong feature count at run time', () => {
    const ranker = JsRanker.fromOnnx(buildTinyRanker(), FEATURE_COUNT);
    expect(() => ranker.run(new Float32Array(10), 1, 10)).toThrowError(expect.objectContaining({ code: 'AISLE_MODEL_RUN_FAILED' }));
  });
});

describe('readOnnxGraph', () => {
  it('reads the demo ranker graph', () => {
    const graph = readOnnxGraph(new Uint8Array(readFileSync(join(DEMO_MODELS, 'ranker.onnx'))));
    expect(graph.inputs).toEqual([RANKER_IO.input]);
    expect(graph.outputs).toEqual([RANKER_IO.output]);
    expect(graph.nodes.map((node) => node.opType)).toEqual(['DequantizeLinear', 'MatMul', 'Add', 'Relu', 'DequantizeLinear', 'MatMul', 'Add', 'Relu', 'DequantizeLinear', 'MatMul', 'Add', 'Reshape', 'Identity']);
    const weights = graph.initializers.get('w0_int8')!;
    expect(weights.dims).toEqual([17, 64]);
    expect(weights.data).toBeInstanceOf(Int8Array);
    expect(graph.nodes[0].attributes.get('axis')).toBe(1);
    expect(Array.from(graph.initializers.get('shape_11')!.data as BigInt64Array)).toEqual([-1n]);
  });

  it('rejects truncated bytes', () => {
    const bytes = new Uint8Array(readFileSync(join(DEMO_MODELS, 'ranker.onnx')));
    expect(() => readOnnxGraph(bytes.subarray(0, bytes.length - 100))).toThrowError(expect.objectContaining({ code: 'AISLE_MODEL_LOAD_FAILED', message: expect.stringContaining('truncated') }));
  });
});
