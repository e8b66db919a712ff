/**
 * File names inside a models directory, the output of `aisle train` and the input of
 * `aisle serve` and the worker. Row i of the vectors file, entry i of the items file and
 * FAISS id i are the same item.
 *
 * - manifest.json      Manifest (types.ts)
 * - user_tower.onnx    user tower (inputs item_vectors, event_types, ages, mask; output user_vector)
 * - ranker.onnx        int8 student ranker (input features [N, F]; output scores [N])
 * - ranker_fp32.onnx   float32 student ranker, same contract
 * - ranker_teacher.onnx float32 teacher ranker, same contract; for evaluation only, not served
 * - query_encoder.onnx query encoder (inputs piece_ids, piece_weights from core/text-pieces.ts;
 *                      output query_vector, L2-normalized, in the item-vector space)
 * - item_content.onnx  the item tower's content path (inputs piece_ids, piece_weights from
 *                      core/item-content.ts; output item_vector), for items added after training
 * - items.json         CatalogFileEntry[] in FAISS id order
 * - item_vectors.f32   N×D float32 little-endian, row-major, L2-normalized rows
 * - items.faiss        FAISS index over the item vectors with inner-product metric
 * - eval.json          evaluation report of the training run
 */
import type { ItemMeta, ItemStats } from './types.js';

export const MODEL_FILES = {
  manifest: 'manifest.json',
  userTower: 'user_tower.onnx',
  ranker: 'ranker.onnx',
  rankerFp32: 'ranker_fp32.onnx',
  rankerTeacher: 'ranker_teacher.onnx',
  queryEncoder: 'query_encoder.onnx',
  itemContent: 'item_content.onnx',
  searchRanker: 'search_ranker.json',
  items: 'items.json',
  vectors: 'item_vectors.f32',
  index: 'items.faiss',
  eval: 'eval.json',
} as const;

/** ONNX input and output names of the serving models. */
export const TOWER_IO = { itemVectors: 'item_vectors', eventTypes: 'event_types', ages: 'ages', mask: 'mask', output: 'user_vector' } as const;
export const RANKER_IO = { input: 'features', output: 'scores' } as const;
/**
 * ONNX Runtime graph optimization level for the int8 ranker, offline and in the worker. Above
 * 'basic', onnxruntime 1.30 fuses DequantizeLinear and MatMul into a kernel that quantizes the
 * activations with one scale per batch, so a candidate's score would depend on the others.
 */
export const RANKER_OPTIMIZATION_LEVEL = 'basic';
export const QUERY_ENCODER_IO = { ids: 'piece_ids', weights: 'piece_weights', output: 'query_vector' } as const;
/** The item tower's content path (companion only): content tokens of core/item-content.ts to an item vector. */
export const ITEM_CONTENT_IO = { ids: 'piece_ids', weights: 'piece_weights', output: 'item_vector' } as const;

/** One entry of items.json. */
export interface CatalogFileEntry extends ItemMeta {
  stats: ItemStats;
  neighbors?: Array<[string, number]>;
}
