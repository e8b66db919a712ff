/**
 * Exports the user tower as ONNX with the serving contract of `core/model-dir.ts` (TOWER_IO):
 * inputs item_vectors float32 [B, L, D], event_types int64 [B, L], ages float32 [B, L],
 * mask float32 [B, L]; output user_vector float32 [B, D], L2-normalized. The graph mirrors
 * `towerHidden` in user-tower.ts op for op, without dropout.
 */
import { TOWER_IO } from '../../core/model-dir.js';
import { DType, GraphBuilder } from '../onnx/graph.js';
import { causalBias, LAYER_NORM_EPSILON, MASK_BIAS, type BlockWeights, type UserTowerConfig, type UserTowerWeights } from './user-tower.js';
import type { tf } from './tf.js';

/** Serializes the tower weights as an ONNX model. */
export function exportUserTower(weights: UserTowerWeights, config: UserTowerConfig): Uint8Array {
  const { dim, seqLen: length } = config;
  const g = new GraphBuilder('user_tower');
  const itemVectors = g.input(TOWER_IO.itemVectors, DType.float, ['batch', length, dim]);
  const eventTypes = g.input(TOWER_IO.eventTypes, DType.int64, ['batch', length]);
  const ages = g.input(TOWER_IO.ages, DType.float, ['batch', length]);
  const mask = g.input(TOWER_IO.mask, DType.float, ['batch', length]);

  const maskColumn = g.unsqueeze(mask, [2]);
  const scaled = g.mul(itemVectors, g.float('input_scale', [Math.sqrt(dim)], []));
  const types = g.gather(tensor(g, 'event_type_embedding', weights.eventType), eventTypes);
  const ageTerm = g.mul(g.unsqueeze(ages, [2]), tensor(g, 'age_vector', weights.age));
  const summed = g.add(g.add(g.add(scaled, tensor(g, 'position_embedding', weights.position)), types), ageTerm);
  let x = g.mul(summed, maskColumn);

  const padding = g.mul(g.sub(g.float('one', [1], []), mask), g.float('mask_bias', [MASK_BIAS], []));
  const bias = g.add(g.unsqueeze(padding, [1, 2]), g.float('causal_bias', causalBias(length), [length, length]));
  weights.blocks.forEach((block, index) => {
    x = exportBlock(g, block, config, x, bias, maskColumn, `block${index}`);
  });

  const hidden = g.layerNorm(x, tensor(g, 'final_norm_scale', weights.finalScale), tensor(g, 'final_norm_bias', weights.finalBias), LAYER_NORM_EPSILON);
  const last = g.gather(hidden, g.int64('last_position', [length - 1], []), 1);
  g.output(g.l2Normalize(last), TOWER_IO.output, DType.float, ['batch', dim]);
  return g.toBytes('Aisle user tower: causal transformer over the last L events, output L2-normalized.');
}

function exportBlock(g: GraphBuilder, block: BlockWeights, config: UserTowerConfig, x: string, bias: string, maskColumn: string, name: string): string {
  const { dim, seqLen: length, heads } = config;
  const headDim = dim / heads;
  const w = (key: keyof BlockWeights) => tensor(g, `${name}_${key}`, block[key]);

  const normed = g.layerNorm(x, w('norm1Scale'), w('norm1Bias'), LAYER_NORM_EPSILON);
  const project = (weight: keyof BlockWeights, biasKey: keyof BlockWeights, perm: number[]) =>
    g.transpose(g.reshape(g.add(g.matMul(normed, w(weight)), w(biasKey)), [0, length, heads, headDim]), perm);
  const q = project('wq', 'bq', [0, 2, 1, 3]);
  const kTransposed = project('wk', 'bk', [0, 2, 3, 1]);
  const v = project('wv', 'bv', [0, 2, 1, 3]);
  const scores = g.add(g.mul(g.matMul(q, kTransposed), g.float(`${name}_score_scale`, [1 / Math.sqrt(headDim)], [])), bias);
  const context = g.reshape(g.transpose(g.matMul(g.softmax(scores, -1), v), [0, 2, 1, 3]), [0, length, dim]);
  const attended = g.add(x, g.add(g.matMul(context, w('wo')), w('bo')));

  const normed2 = g.layerNorm(attended, w('norm2Scale'), w('norm2Bias'), LAYER_NORM_EPSILON);
  const hidden = g.relu(g.add(g.matMul(normed2, w('w1')), w('b1')));
  const ffn = g.add(g.matMul(hidden, w('w2')), w('b2'));
  return g.mul(g.add(attended, ffn), maskColumn);
}

function tensor(g: GraphBuilder, name: string, variable: tf.Variable | tf.Tensor): string {
  return g.float(name, variable.dataSync() as Float32Array, variable.shape);
}
