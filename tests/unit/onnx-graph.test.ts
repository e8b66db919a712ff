import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { DType, GraphBuilder } from '../../src/training/onnx/graph.js';
import { dequantizePerColumn, quantizePerColumn } from '../../src/training/onnx/quantize.js';

async function run(g: GraphBuilder, feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType> {
  const session = await ort.InferenceSession.create(g.toBytes());
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

function values(tensor: ort.Tensor): number[] {
  return Array.from(tensor.data as Float32Array);
}

describe('GraphBuilder', () => {
  it('runs MatMul, Add, Relu with a dynamic batch', async () => {
    const g = new GraphBuilder('mlp');
    const x = g.input('x', DType.float, ['batch', 2]);
    const y = g.relu(g.add(g.matMul(x, g.float('w', [1, 2, 3, 4], [2, 2])), g.float('b', [0, -10], [2])));
    g.output(y, 'y', DType.float, ['batch', 2]);
    const out = await run(g, { x: new ort.Tensor('float32', Float32Array.from([1, 1, 2, 0, 0, 5]), [3, 2]) });
    expect(out.y.dims).toEqual([3, 2]);
    expect(values(out.y)).toEqual([4, 0, 2, 0, 15, 10]);
  });

  it('normalizes rows and keeps zero rows at zero', async () => {
    const g = new GraphBuilder('norm');
    const x = g.input('x', DType.float, ['batch', 2]);
    g.output(g.l2Normalize(x), 'y', DType.float, ['batch', 2]);
    const out = await run(g, { x: new ort.Tensor('float32', Float32Array.from([3, 4, 0, 0]), [2, 2]) });
    const y = values(out.y);
    expect(y[0]).toBeCloseTo(0.6, 6);
    expect(y[1]).toBeCloseTo(0.8, 6);
    expect(y.slice(2)).toEqual([0, 0]);
  });

  it('gathers int64 indices and applies LayerNormalization', async () => {
    const g = new GraphBuilder('embed');
    const ids = g.input('ids', DType.int64, ['batch']);
    const rows = g.gather(g.float('table', [1, 3, 10, 20, -2, 2], [3, 2]), ids);
    g.output(g.layerNorm(rows, g.float('scale', [2, 2], [2]), g.float('bias', [1, 1], [2]), 1e-5), 'y', DType.float, ['batch', 2]);
    const out = await run(g, { ids: new ort.Tensor('int64', BigInt64Array.from([2n, 0n]), [2]) });
    const y = values(out.y);
    // Each row of two distinct values normalizes to [-1, 1] (up to epsilon), then ×2 + 1.
    expect(y[0]).toBeCloseTo(-1, 3);
    expect(y[1]).toBeCloseTo(3, 3);
    expect(y[2]).toBeCloseTo(-1, 3);
    expect(y[3]).toBeCloseTo(3, 3);
  });

  it('runs Softmax, Transpose, Reshape and ReduceSum', async () => {
    const g = new GraphBuilder('shape');
    const x = g.input('x', DType.float, [2, 3]);
    const probabilities = g.softmax(g.transpose(x, [1, 0]), 0);
    g.output(g.reduceSum(g.reshape(probabilities, [-1, 2]), [1], false), 'y', DType.float, [3]);
    const out = await run(g, { x: new ort.Tensor('float32', Float32Array.from([0, 1, 2, 0, 1, 2]), [2, 3]) });
    // Both columns of the transposed [3, 2] tensor are [0, 1, 2]; Softmax over axis 0 turns each
    // into [1, e, e²] / (1 + e + e²), and the row sums double those values.
    const y = values(out.y);
    const total = 1 + Math.E + Math.E ** 2;
    expect(y[0]).toBeCloseTo(2 / total, 6);
    expect(y[2]).toBeCloseTo((2 * Math.E ** 2) / total, 6);
  });

  it('dequantizes per-column int8 weights like quantize.ts', async () => {
    const weights = Float32Array.from([0.5, -0.01, -1, 0.02, 0.25, 0.005]);
    const quantized = quantizePerColumn(weights, 3, 2);
    const g = new GraphBuilder('dequantize');
    const x = g.input('x', DType.float, ['batch', 3]);
    const w = g.dequantize(g.int8('q', quantized.values, [3, 2]), g.float('s', quantized.scales, [2]), g.int8('z', new Int8Array(2), [2]), 1);
    g.output(g.matMul(x, w), 'y', DType.float, ['batch', 2]);
    const out = await run(g, { x: new ort.Tensor('float32', Float32Array.from([1, 0, 0, 0, 0, 1]), [2, 3]) });
    const expected = dequantizePerColumn(quantized, 3, 2);
    const y = values(out.y);
    [expected[0], expected[1], expected[4], expected[5]].forEach((value, i) => expect(y[i]).toBeCloseTo(value, 7));
    expect(Math.abs(expected[1] - -0.01)).toBeLessThan(0.02 / 254 + 1e-9);
  });

  it('rejects a reused tensor name', () => {
    const g = new GraphBuilder('names');
    g.input('x', DType.float, [1]);
    expect(() => g.float('x', [1], [1])).toThrow(/already used/);
  });

  it('rejects an initializer whose size does not match its dims', () => {
    const g = new GraphBuilder('dims');
    expect(() => g.float('w', [1, 2, 3], [2, 2])).toThrow(/need 4/);
  });
});
