/**
 * Exports the query encoder as ONNX (QUERY_ENCODER_IO in core/model-dir.ts): inputs `piece_ids`
 * int32 [N, P] and `piece_weights` float32 [N, P] from core/text-pieces.ts, output
 * `query_vector` float32 [N, D], L2-normalized. The piece table is stored as int8 with one scale
 * per row, gathered and scaled in the graph, so the file is about a quarter of its float size.
 */
import { ITEM_CONTENT_IO, QUERY_ENCODER_IO } from '../../core/model-dir.js';
import { DType, GraphBuilder } from '../onnx/graph.js';
import type { ItemTowerWeights } from './item-tower.js';
import type { QueryEncoderWeights } from './query-encoder.js';

/** Serializes the encoder with an int8 piece table. */
export function exportQueryEncoder(weights: QueryEncoderWeights): Uint8Array {
  return exportPieceEncoder(weights.pieces, weights.projection, 'query_encoder', QUERY_ENCODER_IO, 'Aisle query encoder: hashed text pieces to an L2-normalized vector in the item space.');
}

/**
 * Serializes the item tower's content path, the vector an item gets from its content alone (its
 * id embedding is zero, as for an item never seen in training): hashed content tokens
 * (core/item-content.ts) to L2-normalize(mean token embedding · projection). The graph is the
 * query encoder's, with ITEM_CONTENT_IO names. The companion runs it for items added after training.
 */
export function exportItemContent(weights: ItemTowerWeights): Uint8Array {
  return exportPieceEncoder(weights.token, weights.projection, 'item_content', ITEM_CONTENT_IO, 'Aisle item tower, content path: hashed content tokens to an L2-normalized item vector.');
}

/** Names of the inputs and output of a piece encoder graph. */
interface PieceEncoderIo {
  ids: string;
  weights: string;
  output: string;
}

function exportPieceEncoder(pieceTable: { shape: number[]; dataSync(): ArrayLike<number> }, projection: { dataSync(): ArrayLike<number> }, name: string, io: PieceEncoderIo, doc: string): Uint8Array {
  const [buckets, dim] = pieceTable.shape as [number, number];
  const table = pieceTable.dataSync() as Float32Array;
  const { values, scales } = quantizePerRow(table, buckets, dim);

  const g = new GraphBuilder(name);
  const ids = g.input(io.ids, DType.int32, ['rows', 'pieces']);
  const pieceWeights = g.input(io.weights, DType.float, ['rows', 'pieces']);
  const rows = g.cast(g.gather(g.int8('pieces_int8', values, [buckets, dim]), ids), DType.float);
  const rowScales = g.gather(g.float('pieces_scale', scales, [buckets]), ids);
  // Each gathered row times its scale and its piece weight, summed over the pieces: [N, D].
  const weighted = g.mul(rows, g.unsqueeze(g.mul(rowScales, pieceWeights), [2]));
  const pooled = g.reduceSum(weighted, [1], false);
  const projected = g.matMul(pooled, g.float('projection', projection.dataSync() as Float32Array, [dim, dim]));
  g.output(g.l2Normalize(projected), io.output, DType.float, ['rows', dim]);
  return g.toBytes(doc);
}

/** Symmetric int8 quantization with one scale per row (an embedding's rows differ in size). */
export function quantizePerRow(data: Float32Array, rows: number, cols: number): { values: Int8Array; scales: Float32Array } {
  const values = new Int8Array(rows * cols);
  const scales = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let maxAbs = 0;
    for (let c = 0; c < cols; c++) maxAbs = Math.max(maxAbs, Math.abs(data[r * cols + c]));
    scales[r] = maxAbs > 0 ? maxAbs / 127 : 1;
    for (let c = 0; c < cols; c++) values[r * cols + c] = Math.max(-127, Math.min(127, Math.round(data[r * cols + c] / scales[r])));
  }
  return { values, scales };
}
