/**
 * Exports a ranker as ONNX with the serving contract of `core/model-dir.ts` (RANKER_IO): input
 * features float32 [N, F], output scores float32 [N]. The int8 variant stores each weight matrix
 * as int8 with one symmetric scale per output column and dequantizes it in the graph
 * (DequantizeLinear, then a float MatMul), which onnxruntime-node and onnxruntime-web both run.
 */
import { RANKER_IO } from '../../core/model-dir.js';
import { DType, GraphBuilder } from '../onnx/graph.js';
import { quantizePerColumn } from '../onnx/quantize.js';
import { rankerArrays, type RankerWeights } from './ranker.js';

/** Weight storage of an exported ranker. */
export type RankerPrecision = 'fp32' | 'int8';

/** Serializes the ranker as an ONNX model with float32 or int8 weights. */
export function exportRanker(ranker: RankerWeights, precision: RankerPrecision): Uint8Array {
  const { weights, biases } = rankerArrays(ranker);
  const featureCount = weights[0].rows;
  const g = new GraphBuilder(`ranker_${precision}`);
  let x = g.input(RANKER_IO.input, DType.float, ['candidates', featureCount]);

  weights.forEach((weight, i) => {
    const matrix = precision === 'fp32' ? g.float(`w${i}`, weight.data, [weight.rows, weight.cols]) : int8Matrix(g, `w${i}`, weight.data, weight.rows, weight.cols);
    const z = g.add(g.matMul(x, matrix), g.float(`b${i}`, biases[i], [weight.cols]));
    x = i < weights.length - 1 ? g.relu(z) : z;
  });

  g.output(g.reshape(x, [-1]), RANKER_IO.output, DType.float, ['candidates']);
  return g.toBytes(`Aisle ranker (${precision} weights): feature matrix [N, F] to scores [N].`);
}

function int8Matrix(g: GraphBuilder, name: string, data: Float32Array, rows: number, cols: number): string {
  const { values, scales } = quantizePerColumn(data, rows, cols);
  const quantized = g.int8(`${name}_int8`, values, [rows, cols]);
  const scale = g.float(`${name}_scale`, scales, [cols]);
  const zeroPoint = g.int8(`${name}_zero_point`, new Int8Array(cols), [cols]);
  return g.dequantize(quantized, scale, zeroPoint, 1);
}
