/**
 * Content tokens of the item tower, shared by training and the companion. An item's tags,
 * category, brand and text words become hashed token ids ("feature hashing"), so the vocabulary
 * needs no fitting and a new item's tokens are known without retraining. An item keeps at most
 * ITEM_CONTENT.tokensPerItem distinct tokens, each with weight 1/count, so its content embedding
 * is the mean of its token embeddings.
 */
import { hashPiece } from './text-pieces.js';

/** Sizes of the item tower's content input. */
export const ITEM_CONTENT = {
  /** Hash buckets (token embedding rows). */
  buckets: 1 << 14,
  /** Distinct tokens kept per item. */
  tokensPerItem: 32,
} as const;

/** The item fields the content tokens read. */
export interface ContentFields {
  category?: string;
  brand?: string;
  tags?: readonly string[];
}

/** Splits free text into lower-case word tokens of 2 or more characters. */
export function textTokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]{2,}/gu) ?? [];
}

/**
 * Writes an item's token ids and weights into `ids` and `weights` at `offset` (tokensPerItem
 * slots; unused slots keep id 0 and weight 0). Tokens: `tag:` per tag, `cat:` and `brand:`, then
 * the words of `text`.
 */
export function writeContentTokens(
  item: ContentFields,
  text: string,
  ids: Int32Array,
  weights: Float32Array,
  offset: number,
  buckets: number = ITEM_CONTENT.buckets,
  tokensPerItem: number = ITEM_CONTENT.tokensPerItem,
): void {
  const words = [
    ...(item.tags ?? []).map((tag) => `tag:${tag}`),
    ...(item.category ? [`cat:${item.category}`] : []),
    ...(item.brand ? [`brand:${item.brand}`] : []),
    ...textTokens(text),
  ];
  const unique = [...new Set(words.map((word) => hashPiece(word, buckets)))].slice(0, tokensPerItem);
  unique.forEach((id, slot) => {
    ids[offset + slot] = id;
    weights[offset + slot] = 1 / unique.length;
  });
}
