/**
 * Explanations of one item's score, computed on the device.
 *
 * Feature attribution: the ranker features that depend on the item are grouped into factors
 * (EXPLANATION_FACTORS). The baseline row keeps the shopper-level feature (history_length) and sets
 * every item feature to 0, which is an item with no similarity, popularity or price signal. Each
 * factor gets its exact Shapley value over the 2^G coalitions of factors: the mean, over every
 * order of adding factors to the baseline, of how much adding it moves the ranker score. The values
 * sum to score(item) - score(baseline). With G = 8 that is one ranker run of 256 rows.
 *
 * Reasons turn the factors that raised the score into text, next to the recent events most
 * similar to the item and the recent searches whose words the item contains.
 */
import { facetTags } from './tags.js';
import { FEATURE_COUNT, FEATURE_NAMES, type FeatureName } from './features.js';
import { textWords } from './text-pieces.js';
import type { HistoryEntry, ItemMeta, ItemRecord, SequenceEventType } from './types.js';
import { dot } from './vector.js';

/** Factors of an explanation and the ranker features each one groups. */
export const EXPLANATION_FACTORS = {
  history: ['user_cosine', 'last_cosine', 'recent_max_cosine', 'recent_mean_cosine'],
  covisitation: ['covisit_recent', 'covisit_last'],
  popularity: ['popularity'],
  trending: ['trending'],
  attributes: ['category_share', 'brand_share', 'tag_overlap'],
  seen: ['seen', 'carted'],
  retrieval: ['from_ann', 'ann_rank'],
  price: ['price_ratio'],
} as const satisfies Record<string, readonly FeatureName[]>;

export type ExplanationFactor = keyof typeof EXPLANATION_FACTORS;
const FACTORS = Object.keys(EXPLANATION_FACTORS) as ExplanationFactor[];

/** Most coalition rows an attribution may need: 2^8. */
export const COALITION_ROWS = 1 << FACTORS.length;

/** How much one factor moved the ranker score away from the baseline. */
export interface FactorContribution {
  factor: ExplanationFactor | 'adaptation';
  /** Shapley value in ranker-score units; positive values raised the item. */
  contribution: number;
  /** The item's values of the factor's features (empty for 'adaptation'). */
  features: Partial<Record<FeatureName, number>>;
}

/** A recent event of the shopper and the cosine of its item vector with the explained item's. */
export interface ExplainedEvent {
  itemId: string;
  title?: string;
  type: SequenceEventType;
  timestamp: number;
  similarity: number;
}

/** Kinds of reason, each with a fixed text pattern. */
export type ReasonKind = 'search' | 'recent_event' | 'covisitation' | 'trending' | 'popular' | 'attributes' | 'price' | 'adaptation';

/** One human-readable reason. */
export interface ExplanationReason {
  kind: ReasonKind;
  /** English text for a tooltip, such as "Because you viewed Kestrel Trail Runner, Navy". */
  text: string;
  /** Contribution behind the reason in ranker-score units; for 'search', the share of the query's words that the item contains. */
  weight: number;
  /** The event item or the query the reason refers to. */
  itemId?: string;
  query?: string;
}

/** Result of `explain(itemId)`. */
export interface Explanation {
  itemId: string;
  item?: ItemMeta;
  /** Score as ranking uses it: ranker score plus the adaptation's correction. */
  score: number;
  rankerScore: number;
  /** Ranker score of the baseline row. */
  baselineScore: number;
  /** Every factor, largest contribution first; the ranker factors sum to rankerScore - baselineScore. */
  contributions: FactorContribution[];
  /** Up to three recent events most similar to the item, most similar first. */
  events: ExplainedEvent[];
  /** Reasons that raised the item, strongest first; recent searches the item matches come first. */
  reasons: ExplanationReason[];
  degraded?: { code: string; reason: string };
}

/**
 * Builds the coalition rows [COALITION_ROWS × FEATURE_COUNT]: row m takes the features of every
 * factor g whose bit (1 << g) is set in m from `row`, the others from `baseline`.
 */
export function coalitionRows(row: ArrayLike<number>, baseline: ArrayLike<number>): Float32Array {
  const out = new Float32Array(COALITION_ROWS * FEATURE_COUNT);
  const factorOf = FEATURE_NAMES.map((name) => FACTORS.findIndex((factor) => (EXPLANATION_FACTORS[factor] as readonly string[]).includes(name)));
  for (let mask = 0; mask < COALITION_ROWS; mask++) {
    for (let j = 0; j < FEATURE_COUNT; j++) {
      const factor = factorOf[j];
      out[mask * FEATURE_COUNT + j] = factor >= 0 && mask & (1 << factor) ? row[j] : baseline[j];
    }
  }
  return out;
}

/** Returns the baseline of `row`: the features outside every factor (history_length) kept, the rest 0. */
export function baselineRow(row: ArrayLike<number>): Float32Array {
  const grouped = new Set<string>(Object.values(EXPLANATION_FACTORS).flat());
  return Float32Array.from(FEATURE_NAMES, (name, j) => (grouped.has(name) ? 0 : row[j]));
}

/**
 * Returns the exact Shapley value of each of `players` players from the values of all 2^players
 * coalitions, indexed by bit mask: φ_i = Σ_S |S|! (n - |S| - 1)! / n! · (v(S ∪ {i}) - v(S)).
 */
export function shapleyValues(values: ArrayLike<number>, players: number): number[] {
  if (values.length !== 1 << players) throw new RangeError(`shapleyValues: expected ${1 << players} coalition values for ${players} players; got ${values.length}.`);
  const factorial = [1];
  for (let i = 1; i <= players; i++) factorial.push(factorial[i - 1] * i);
  const phi = new Array<number>(players).fill(0);
  for (let mask = 0; mask < values.length; mask++) {
    const size = popCount(mask);
    for (let i = 0; i < players; i++) {
      if (mask & (1 << i)) continue;
      const weight = (factorial[size] * factorial[players - size - 1]) / factorial[players];
      phi[i] += weight * (values[mask | (1 << i)] - values[mask]);
    }
  }
  return phi;
}

/** Returns the contributions of the ranker factors, in EXPLANATION_FACTORS order. */
export function factorContributions(row: ArrayLike<number>, coalitionScores: ArrayLike<number>): FactorContribution[] {
  const phi = shapleyValues(coalitionScores, FACTORS.length);
  return FACTORS.map((factor, g) => ({
    factor,
    contribution: phi[g],
    features: Object.fromEntries(EXPLANATION_FACTORS[factor].map((name) => [name, row[FEATURE_NAMES.indexOf(name)]])),
  }));
}

/** Returns up to `limit` distinct recent history items most similar to `item`, most similar first, with positive similarity. */
export function similarEvents(item: ItemRecord, history: readonly HistoryEntry[], limit = 3, window = 20): ExplainedEvent[] {
  const byItem = new Map<string, ExplainedEvent>();
  for (const entry of history.slice(-window)) {
    if (entry.item.id === item.id) continue;
    const similarity = dot(item.vector, entry.item.vector);
    if (!(similarity > 0)) continue;
    // The latest event of an item stands for it.
    byItem.set(entry.item.id, { itemId: entry.item.id, ...(entry.item.title !== undefined ? { title: entry.item.title } : {}), type: entry.type, timestamp: entry.timestamp, similarity });
  }
  return [...byItem.values()].sort((a, b) => b.similarity - a.similarity || b.timestamp - a.timestamp).slice(0, limit);
}

/** Returns the share of the query's words found in the item's title, category, brand or tags. */
export function searchMatch(query: string, item: ItemMeta): number {
  const queryWords = new Set(textWords(query));
  if (queryWords.size === 0) return 0;
  const itemWords = new Set(textWords([item.title, item.category, item.brand, ...(item.tags ?? [])].filter(Boolean).join(' ')));
  let found = 0;
  for (const word of queryWords) if (itemWords.has(word)) found++;
  return found / queryWords.size;
}

const VERBS: Record<SequenceEventType, string> = { view: 'viewed', click: 'clicked', add_to_cart: 'added to your cart', purchase: 'bought' };

/** Inputs of `explanationReasons`. */
export interface ReasonInput {
  item: ItemRecord;
  contributions: readonly FactorContribution[];
  events: readonly ExplainedEvent[];
  /** Recent search queries, newest last. */
  queries: readonly string[];
  /** Latest history entry whose co-visitation neighbours contain the item, if any. */
  covisitedAfter?: HistoryEntry;
  /** Tags (core/tags.ts facetTags) of the recent history's items, most recent first. */
  recentTags?: readonly string[];
}

/** Turns the factors that raised the item, the similar events and matching searches into reasons. */
export function explanationReasons(input: ReasonInput): ExplanationReason[] {
  const { item } = input;
  const reasons: ExplanationReason[] = [];
  for (const query of [...new Set(input.queries)].reverse()) {
    const share = searchMatch(query, item);
    if (share > 0) reasons.push({ kind: 'search', text: `Matches your search “${query}”`, weight: share, query });
  }

  const raised: ExplanationReason[] = [];
  const name = (id: string, title?: string) => title ?? id;
  for (const { factor, contribution, features } of input.contributions) {
    if (!(contribution > 0)) continue;
    const best = input.events[0];
    if (factor === 'history' && best) raised.push({ kind: 'recent_event', text: `Because you ${VERBS[best.type]} ${name(best.itemId, best.title)}`, weight: contribution, itemId: best.itemId });
    if (factor === 'covisitation' && input.covisitedAfter) {
      const after = input.covisitedAfter.item;
      raised.push({ kind: 'covisitation', text: `Often chosen after ${name(after.id, after.title)}`, weight: contribution, itemId: after.id });
    }
    if (factor === 'trending' && (features.trending ?? 0) > 0) raised.push({ kind: 'trending', text: item.category ? `Trending in ${item.category}` : 'Trending', weight: contribution });
    if (factor === 'popularity' && (features.popularity ?? 0) > 0) raised.push({ kind: 'popular', text: item.category ? `Popular in ${item.category}` : 'Popular', weight: contribution });
    if (factor === 'attributes') {
      raised.push({ kind: 'attributes', text: attributesText(item, features, input.recentTags ?? []), weight: contribution });
    }
    if (factor === 'price' && features.price_ratio !== undefined) raised.push({ kind: 'price', text: 'Close to the prices you usually look at', weight: contribution });
    if (factor === 'adaptation') raised.push({ kind: 'adaptation', text: 'Suits what you clicked and skipped recently', weight: contribution });
  }
  raised.sort((a, b) => b.weight - a.weight);
  return [...reasons, ...raised];
}

// Names the attribute that links the item to the shopper's browsing: its brand, its category, or
// the most recent tag (given or predicted) it shares with the recent items.
function attributesText(item: ItemRecord, features: Readonly<Record<string, number>>, recentTags: readonly string[]): string {
  if ((features.brand_share ?? 0) > 0 && item.brand) return `More from ${item.brand}, a brand you browse`;
  if ((features.category_share ?? 0) > 0 && item.category) return `More in ${item.category}, a category you browse`;
  const own = facetTags(item);
  const shared = recentTags.find((tag) => own.has(tag));
  return shared === undefined ? 'Shares tags with items you viewed' : `Tagged “${shared}”, like items you viewed`;
}

function popCount(mask: number): number {
  let count = 0;
  for (let m = mask; m; m &= m - 1) count++;
  return count;
}
