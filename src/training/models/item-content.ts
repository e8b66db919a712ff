/**
 * Content tokens of the item tower. Each item's text, category, brand and tags become hashed
 * token ids ("feature hashing"), so the vocabulary needs no fitting and a new item's tokens are
 * known without retraining. An item keeps at most `tokensPerItem` distinct tokens, each with
 * weight 1/count, so that the content embedding is the mean of its token embeddings.
 */
import { ITEM_CONTENT, textTokens, writeContentTokens } from '../../core/item-content.js';
import { hashPiece } from '../../core/text-pieces.js';
import type { Dataset } from '../data/dataset.js';

export { textTokens };

/** Hashed content tokens of every item, row-major [items, tokensPerItem]. */
export interface ItemContent {
  buckets: number;
  tokensPerItem: number;
  /** Token ids; unused slots point at bucket 0 with weight 0. */
  tokens: Int32Array;
  /** 1 / (number of tokens of the item) per used slot, else 0. */
  weights: Float32Array;
}

/** Default number of hash buckets (token embedding rows). */
export const DEFAULT_BUCKETS = ITEM_CONTENT.buckets;
/** Default number of tokens kept per item. */
export const DEFAULT_TOKENS_PER_ITEM = ITEM_CONTENT.tokensPerItem;

/** Hashes every item's tokens (tags, category, brand, then text words) into buckets (core/item-content.ts). */
export function buildItemContent(dataset: Dataset, buckets: number = DEFAULT_BUCKETS, tokensPerItem: number = DEFAULT_TOKENS_PER_ITEM): ItemContent {
  const count = dataset.items.length;
  const tokens = new Int32Array(count * tokensPerItem);
  const weights = new Float32Array(count * tokensPerItem);
  dataset.items.forEach((item, index) => writeContentTokens(item, dataset.itemText[index] ?? '', tokens, weights, index * tokensPerItem, buckets, tokensPerItem));
  return { buckets, tokensPerItem, tokens, weights };
}

/** FNV-1a hash of a token into [0, buckets); the same hash as the query encoder's pieces. */
export const hashToken = hashPiece;
