/**
 * Words of search text, shared by the companion's BM25 index (server/text-search.ts) and the
 * text-match features of the search ranker (search-features.ts), so both see the same words.
 */
import { normalizeText } from './text-pieces.js';

// Marks count as word characters, so a Thai or Devanagari vowel sign does not split its word.
const WORD_SEPARATOR = /[^\p{L}\p{M}\p{N}]+/u;

// Node and browsers built without ICU data have no Intl.Segmenter; words then split only at
// characters that are not letters or digits.
const SEGMENTER = typeof Intl.Segmenter === 'function' ? new Intl.Segmenter('und', { granularity: 'word' }) : undefined;

/** Splits text into normalized words of letters and digits, by Unicode word boundaries. */
export function tokenize(text: string): string[] {
  const normalized = normalizeText(text);
  const segments = SEGMENTER ? Array.from(SEGMENTER.segment(normalized), (part) => part.segment) : [normalized];
  // A segment such as "don't" or "3.5mm" splits further, as words did before segmentation.
  return segments.flatMap((segment) => segment.split(WORD_SEPARATOR)).filter((word) => word.length > 0);
}

/**
 * Edit distance a query word may be from an item word and still match, or false for none: short
 * words would match too many others with a typo.
 */
export function fuzzyDistance(term: string): number | false {
  if (term.length >= 8) return 2;
  if (term.length >= 4) return 1;
  return false;
}
