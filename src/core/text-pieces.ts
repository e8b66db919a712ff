/**
 * Text to hashed pieces, shared by the query encoder's training (Node), the worker and the
 * companion, so a query gives the same model input everywhere.
 *
 * Normalization: NFKC (full-width forms, ligatures), lower case, and combining diacritics removed
 * after canonical decomposition, so "Crème" and "creme" meet. Words are runs of letters and digits
 * in any script; an emoji is a word of its own. Each word gives a whole-word piece and the
 * character trigrams of the word with boundary marks, so a typo or an unseen inflection still
 * shares most of its pieces with the right word. Pieces are hashed into a fixed number of
 * buckets (feature hashing): nothing is fitted, and any text has an encoding.
 */

/** Sizes of the query encoder's input; the trained model's embedding table has `buckets` rows. */
export const TEXT_PIECES = {
  /** Hash buckets of the piece embedding table. */
  buckets: 1 << 14,
  /** Pieces kept per query text; the rest of a long query is dropped. */
  maxPieces: 64,
  /** Pieces kept per item text (title, category, brand), which is longer than a query. */
  maxItemPieces: 256,
} as const;

/** The item fields whose text the query encoder reads. */
export interface ItemTextFields {
  title?: string;
  category?: string;
  brand?: string;
}

/**
 * Returns the text of an item as the query encoder reads it in training and when serving: title,
 * category and brand, each ending with a period.
 */
export function itemText(item: ItemTextFields): string {
  return [item.title, item.category, item.brand].filter((part) => part !== undefined && part.length > 0).map((part) => `${part}.`).join(' ');
}

/** Hashed pieces of one text, padded to a fixed width: ids in [0, buckets), weights summing to 1 (or all 0). */
export interface EncodedText {
  ids: Int32Array;
  weights: Float32Array;
  /** Number of used slots. */
  count: number;
}

// A word starts with a letter or digit and keeps the marks inside it (Thai, Devanagari vowel signs).
const WORD = /[\p{L}\p{N}][\p{L}\p{M}\p{N}]*|\p{Extended_Pictographic}/gu;
// The combining diacritical mark blocks that Latin, Greek and Cyrillic accents decompose into.
// Marks of other scripts (Thai and Devanagari vowel signs) are letters' parts and stay.
const MARKS = /[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+/gu;

/** NFKC, lower case, diacritics removed (after NFD), recomposed. */
export function normalizeText(text: string): string {
  return text.normalize('NFKC').toLowerCase().normalize('NFD').replace(MARKS, '').normalize('NFC');
}

/** Words of the normalized text: letter/digit runs of any script, and single emoji. */
export function textWords(text: string): string[] {
  return normalizeText(text).match(WORD) ?? [];
}

/** Whole-word pieces and boundary-marked character trigrams of every word, in text order. */
export function textPieces(text: string): string[] {
  const pieces: string[] = [];
  for (const word of textWords(text)) {
    pieces.push(`w:${word}`);
    const chars = Array.from(`<${word}>`);
    for (let i = 0; i + 3 <= chars.length; i++) pieces.push(chars.slice(i, i + 3).join(''));
  }
  return pieces;
}

/** FNV-1a hash of a string's UTF-16 code units into [0, buckets). */
export function hashPiece(piece: string, buckets: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < piece.length; i++) {
    hash ^= piece.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % buckets;
}

/**
 * Encodes a text as its distinct hashed pieces (first `maxPieces`), each with weight 1 / count.
 * Empty or symbol-only text gives count 0 and all-zero weights.
 */
export function encodeText(text: string, buckets: number = TEXT_PIECES.buckets, maxPieces: number = TEXT_PIECES.maxPieces): EncodedText {
  const ids = new Int32Array(maxPieces);
  const weights = new Float32Array(maxPieces);
  const seen = new Set<number>();
  for (const piece of textPieces(text)) {
    if (seen.size >= maxPieces) break;
    seen.add(hashPiece(piece, buckets));
  }
  let slot = 0;
  for (const id of seen) {
    ids[slot] = id;
    weights[slot] = 1 / seen.size;
    slot++;
  }
  return { ids, weights, count: seen.size };
}

/** Encodes several texts into row-major [texts, maxPieces] ids and weights, the query encoder's inputs. */
export function encodeTexts(texts: readonly string[], buckets: number = TEXT_PIECES.buckets, maxPieces: number = TEXT_PIECES.maxPieces): { ids: Int32Array; weights: Float32Array } {
  const ids = new Int32Array(texts.length * maxPieces);
  const weights = new Float32Array(texts.length * maxPieces);
  texts.forEach((text, row) => {
    const encoded = encodeText(text, buckets, maxPieces);
    ids.set(encoded.ids, row * maxPieces);
    weights.set(encoded.weights, row * maxPieces);
  });
  return { ids, weights };
}
