/**
 * The search evaluation's query sets. Each query targets one item the query encoder never
 * trained on (holdout.ts): the test item of a user, so the personal rerank can use that user's
 * history. Three variants of the same queries:
 * - clean: two to four distinct words of the item's text, in text order;
 * - typo: the clean query with one character edit in one word of four or more letters;
 * - close: the clean query with one word replaced by its close term (close-terms.ts).
 */
import { createRandom, type Random } from '../../core/random.js';
import type { LeaveOneOutUser } from '../data/dataset.js';
import { addTypo } from '../models/query-encoder.js';
import { CloseTerms } from './close-terms.js';

/** One query: its text, its target item, and the user whose history the personal rerank reads. */
export interface SearchQuery {
  text: string;
  target: number;
  /** Position of the user in the users list. */
  user: number;
}

/** The three query sets, aligned: entry i of each targets the same item for the same user. */
export interface SearchQuerySets {
  clean: SearchQuery[];
  typo: SearchQuery[];
  close: SearchQuery[];
}

/** Names of the query sets, in report order. */
export const QUERY_SETS = ['clean', 'typo', 'close'] as const;
export type QuerySetName = (typeof QUERY_SETS)[number];

/**
 * Builds up to `count` queries for users whose `target` item (the test item by default, or the
 * validation item for tuning queries) is held out and has at least two query words (`wordLists`
 * from queryWordLists). Queries whose words have no typo position or no close
 * term are skipped, so the three sets stay aligned.
 */
export function buildSearchQueries(
  users: readonly LeaveOneOutUser[],
  wordLists: readonly string[][],
  heldOut: ReadonlySet<number>,
  count: number,
  seed: number,
  target: 'test' | 'valid' = 'test',
): SearchQuerySets {
  const random = createRandom(seed);
  const closeTerms = new CloseTerms(wordLists);
  const sets: SearchQuerySets = { clean: [], typo: [], close: [] };
  const order = random.shuffle(users.map((_, i) => i));
  for (const user of order) {
    if (sets.clean.length >= count) break;
    const item = users[user][target];
    const words = wordLists[item];
    if (!heldOut.has(item) || words.length < 2) continue;

    const variants = queryVariants(words, closeTerms, random);
    if (!variants) continue;
    sets.clean.push({ text: variants.clean, target: item, user });
    sets.typo.push({ text: variants.typo, target: item, user });
    sets.close.push({ text: variants.close, target: item, user });
  }
  return sets;
}

/**
 * Draws the three variants of one query for an item with query words `words`. The clean variant
 * is two to four distinct words in text order. The typo variant has one character edit in a word
 * of four or more letters, and the close variant one word replaced by its close term. Returns
 * undefined when the words have no typo position or no close term.
 */
export function queryVariants(words: readonly string[], closeTerms: CloseTerms, random: Random): { clean: string; typo: string; close: string } | undefined {
  const size = Math.min(words.length, 2 + random.int(3));
  const chosen = random.shuffle(words.map((_, i) => i)).slice(0, size).sort((a, b) => a - b).map((i) => words[i]);
  const long = chosen.map((word, i) => (Array.from(word).length >= 4 ? i : -1)).filter((i) => i >= 0);
  if (long.length === 0) return undefined;
  const typoAt = long[random.int(long.length)];
  const own = new Set(words);
  const replaceable = chosen.map((word, i) => (closeTerms.closest(word, own) ? i : -1)).filter((i) => i >= 0);
  if (replaceable.length === 0) return undefined;
  const closeAt = replaceable[random.int(replaceable.length)];
  const typo = chosen.map((word, i) => (i === typoAt ? addTypo(word, random) : word));
  const close = chosen.map((word, i) => (i === closeAt ? (closeTerms.closest(word, own) as string) : word));
  return { clean: chosen.join(' '), typo: typo.join(' '), close: close.join(' ') };
}
