/**
 * Content tokens of the item tower. Each item's text, category, brand and tags become hashed
 * token ids ("feature hashing"), so the vocabulary needs no fitting and a new item's tokens are
 * known without retraining. An item keeps at most `tokensPerItem` distinct tokens, each with
 * weight 1/count, so that the content embedding is the mean of its token embeddings.
 */
import { hashPiece } from '../../core/text-pieces.js';
import type { Dataset } from '../data/dataset.js';

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
export const DEFAULT_BUCKETS = 1 << 14;
/** Default number of tokens kept per item. */
export const DEFAULT_TOKENS_PER_ITEM = 32;

/** Splits free text into lower-case word tokens of 2 or more characters. */
export function textTokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]{2,}/gu) ?? [];
}

/** Hashes every item's tokens (text words, then `cat:`, `brand:` and `tag:` tokens) into buckets. */
export function buildItemContent(dataset: Dataset, buckets = DEFAULT_BUCKETS, tokensPerItem = DEFAULT_TOKENS_PER_ITEM): ItemContent {
  const count = dataset.items.length;
  const tokens = new Int32Array(count * tokensPerItem);
  const weights = new Float32Array(count * tokensPerItem);
  dataset.items.forEach((item, index) => {
    const words = [
      ...(item.tags ?? []).map((tag) => `tag:${tag}`),
      ...(item.category ? [`cat:${item.category}`] : []),
      ...(item.brand ? [`brand:${item.brand}`] : []),
      ...textTokens(dataset.itemText[index] ?? ''),
    ];
    const ids = [...new Set(words.map((word) => hashToken(word, buckets)))].slice(0, tokensPerItem);
    ids.forEach((id, slot) => {
      tokens[index * tokensPerItem + slot] = id;
      weights[index * tokensPerItem + slot] = 1 / ids.length;
    });
  });
  return { buckets, tokensPerItem, tokens, weights };
}

/** FNV-1a hash of a token into [0, buckets); the same hash as the query encoder's pieces. */
export const hashToken = hashPiece;
