/**
 * Features of one (query, item) pair for the search ranker (search-ranker.ts): how the two
 * retrieval lists scored the item, how the query's words match the item's words, and the item's
 * popularity. The text-match group follows what hand-tuned search engines rank by (words matched,
 * typos, matches in the title, word order, how much of the title the query explains), so a
 * learned model can weigh them instead of a fixed tie-break order.
 */
import type { ItemMeta, ItemStats } from './types.js';
import { fuzzyDistance, tokenize } from './words.js';

/** Feature names, in the order of a feature row. */
export const SEARCH_FEATURES = [
  'bm25',
  'bm25Rank',
  'cosine',
  'cosineGap',
  'vectorRank',
  'exact',
  'matched',
  'matchedRare',
  'typos',
  'titleExact',
  'titleMatched',
  'titleMatchedRare',
  'allMatched',
  'ordered',
  'titleCoverage',
  'titleLength',
  'textCoverage',
  'textLength',
  'popularity',
  'queryWords',
] as const;
export const SEARCH_FEATURE_COUNT = SEARCH_FEATURES.length;

/** Largest number of query words the text-match features read. */
export const MAX_FEATURE_WORDS = 16;
/** Title length (in words) at which titleLength reaches 1, and distinct words at which textLength does. */
const LONG_TITLE = 64;
/** Query length (in words) at which queryWords reaches 1. */
const LONG_QUERY = 8;

/** Words of an item, computed once per item. */
export interface ItemWords {
  title: readonly string[];
  /** Words of the category, brand and tags. */
  other: readonly string[];
  /** The distinct words of title and other, in first-seen order. */
  distinct: readonly string[];
}

/** Splits an item's searchable text into words, as BM25 indexes them. */
export function itemWords(item: Pick<ItemMeta, 'title' | 'category' | 'brand' | 'tags'>): ItemWords {
  const title = tokenize(item.title ?? '');
  const other = tokenize([item.category ?? '', item.brand ?? '', ...(item.tags ?? [])].join(' '));
  return { title, other, distinct: [...new Set([...title, ...other])] };
}

/** Grades how a query word matches an item word: 3 exact, 2 prefix, 1 within its typo allowance, 0 none. */
export function wordMatch(query: string, word: string): number {
  if (query === word) return 3;
  if (query.length >= 3 && word.startsWith(query)) return 2;
  const allowed = fuzzyDistance(query);
  if (allowed !== false && editDistanceWithin(query, word, allowed)) return 1;
  return 0;
}

/**
 * True when `a` becomes `b` with at most `limit` edits, counting an insertion, a deletion, a
 * replacement or a swap of two adjacent characters as one edit (optimal string alignment). A
 * swapped pair is the most common typing error, and plain Levenshtein counts it as two.
 */
export function editDistanceWithin(a: string, b: string, limit: number): boolean {
  if (Math.abs(a.length - b.length) > limit) return false;
  const n = b.length;
  if (ROWS[0].length <= n) for (let r = 0; r < 3; r++) ROWS[r] = new Int32Array(2 * (n + 1));
  let before = ROWS[0];
  let previous = ROWS[1];
  let current = ROWS[2];
  for (let j = 0; j <= n; j++) previous[j] = j;
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    let rowBest = i;
    for (let j = 1; j <= n; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      let value = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost);
      if (i > 1 && j > 1 && a.charCodeAt(i - 1) === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === b.charCodeAt(j - 1)) value = Math.min(value, before[j - 2] + 1);
      current[j] = value;
      if (value < rowBest) rowBest = value;
    }
    if (rowBest > limit) return false;
    const spare = before;
    before = previous;
    previous = current;
    current = spare;
  }
  return previous[n] <= limit;
}

// Rows of editDistanceWithin, kept between calls: it runs for every query word and item word.
const ROWS = [new Int32Array(64), new Int32Array(64), new Int32Array(64)];

/** Scores and ranks that the two retrieval lists gave one candidate. */
export interface RetrievalScores {
  /** BM25 score over the query's best BM25 score, 0 when BM25 did not return the item. */
  bm25: number;
  /** 0-based rank in the BM25 list, or -1. */
  bm25Rank: number;
  /** Cosine of the query vector and the item's text vector, 0 without a vector. */
  cosine: number;
  /** The best cosine among the query's candidates. */
  bestCosine: number;
  /** 0-based rank in the vector list, or -1. */
  vectorRank: number;
}

/**
 * Writes the features of one candidate into `out` at `offset` (SEARCH_FEATURE_COUNT values).
 * `query` are the query's words (tokenize), at most MAX_FEATURE_WORDS of them read, and `rarity`
 * their weights for the `…Rare` shares (queryRarity), so that matching a rare word counts more
 * than matching a word found in half the catalog. `memo` (one map per query word, kept across the
 * candidates of one query) saves the grade of each item word already compared.
 */
export function writeSearchFeatures(
  out: Float32Array,
  offset: number,
  query: readonly string[],
  rarity: ArrayLike<number>,
  words: ItemWords,
  stats: Pick<ItemStats, 'popularity'>,
  scores: RetrievalScores,
  memo?: Array<Map<string, number>>,
): void {
  const used = query.length > MAX_FEATURE_WORDS ? query.slice(0, MAX_FEATURE_WORDS) : query;
  const n = used.length;

  let rarityTotal = 0;
  let matchedRare = 0;
  let titleMatchedRare = 0;
  let exact = 0;
  let matched = 0;
  let typos = 0;
  let titleExact = 0;
  let titleMatched = 0;
  let ordered = 0;
  let lastPosition = -1;
  let covered = 0;
  if (COVERED.length < words.title.length) COVERED = new Uint8Array(2 * words.title.length);
  COVERED.fill(0, 0, words.title.length);
  for (let q = 0; q < n; q++) {
    const known = memo?.[q];
    let bestTitle = 0;
    let position = -1;
    for (let w = 0; w < words.title.length; w++) {
      const level = gradeWord(used[q], words.title[w], known);
      if (level > bestTitle) {
        bestTitle = level;
        position = w;
      }
      if (level > 0 && COVERED[w] === 0) {
        COVERED[w] = 1;
        covered += 1;
      }
    }
    let best = bestTitle;
    for (let w = 0; w < words.other.length && best < 3; w++) best = Math.max(best, gradeWord(used[q], words.other[w], known));
    if (best === 3) exact += 1;
    rarityTotal += rarity[q];
    if (best > 0) {
      matched += 1;
      matchedRare += rarity[q];
    }
    if (best === 1) typos += 1;
    if (bestTitle === 3) titleExact += 1;
    if (bestTitle > 0) {
      titleMatched += 1;
      titleMatchedRare += rarity[q];
    }
    if (q > 0 && position >= 0 && lastPosition >= 0 && position > lastPosition) ordered += 1;
    lastPosition = position;
  }

  // Of all the item's distinct words, the share some query word matches: a query that explains
  // most of a short text points at that item more than at a long text sharing the same words.
  let textCovered = 0;
  for (const word of words.distinct) {
    for (let q = 0; q < n; q++) {
      if (gradeWord(used[q], word, memo?.[q]) > 0) {
        textCovered += 1;
        break;
      }
    }
  }

  const share = (count: number) => (n === 0 ? 0 : count / n);
  const reciprocal = (rank: number) => (rank < 0 ? 0 : 1 / (1 + rank));
  let i = offset;
  out[i++] = scores.bm25;
  out[i++] = reciprocal(scores.bm25Rank);
  out[i++] = scores.cosine;
  out[i++] = scores.cosine - scores.bestCosine;
  out[i++] = reciprocal(scores.vectorRank);
  out[i++] = share(exact);
  out[i++] = share(matched);
  out[i++] = rarityTotal > 0 ? matchedRare / rarityTotal : 0;
  out[i++] = share(typos);
  out[i++] = share(titleExact);
  out[i++] = share(titleMatched);
  out[i++] = rarityTotal > 0 ? titleMatchedRare / rarityTotal : 0;
  out[i++] = n > 0 && matched === n ? 1 : 0;
  out[i++] = n > 1 ? ordered / (n - 1) : 0;
  out[i++] = words.title.length === 0 ? 0 : covered / words.title.length;
  out[i++] = Math.min(1, Math.log1p(words.title.length) / Math.log1p(LONG_TITLE));
  out[i++] = words.distinct.length === 0 ? 0 : textCovered / words.distinct.length;
  out[i++] = Math.min(1, Math.log1p(words.distinct.length) / Math.log1p(LONG_TITLE));
  out[i++] = stats.popularity;
  out[i] = Math.min(1, n / LONG_QUERY);
}

// Marks of the title words some query word matched, kept between calls of writeSearchFeatures.
let COVERED = new Uint8Array(64);

/** Grades a query word against an item word (wordMatch), through `known` when given. */
function gradeWord(query: string, word: string, known: Map<string, number> | undefined): number {
  let level = known?.get(word);
  if (level === undefined) {
    level = wordMatch(query, word);
    known?.set(word, level);
  }
  return level;
}

/**
 * Weight of each query word for the `…Rare` features: its inverse document frequency
 * log(1 + items / (1 + items with the word)), where `frequency` counts the items whose words
 * include it exactly. A word no item has (often a typo) gets the weight of a word in one item.
 */
export function queryRarity(query: readonly string[], frequency: (word: string) => number, items: number): Float64Array {
  const used = query.length > MAX_FEATURE_WORDS ? query.slice(0, MAX_FEATURE_WORDS) : query;
  return Float64Array.from(used, (word) => Math.log(1 + items / (1 + Math.max(1, frequency(word)))));
}
