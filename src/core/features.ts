/**
 * Ranker features. Training (Node) and serving (the worker) both call `buildFeatureMatrix`, so the
 * ranker never gets a feature computed two ways. The column order is FEATURE_NAMES; the manifest
 * stores that list and the worker rejects a ranker trained on another list.
 *
 * Every feature is bounded (most in [0, 1] or [-1, 1]) so that an unusual input, such as a clock
 * in the future or a huge price, cannot push a score outside what the ranker saw in training.
 */
import type { Candidate, HistoryEntry, SequenceEventType } from './types.js';
import { dot } from './vector.js';

export const FEATURE_NAMES = [
  'user_cosine', // user vector · item vector (user vector is L2-normalized by the tower)
  'last_cosine', // cosine with the most recent history item
  'recent_max_cosine', // max cosine over the last RECENT_WINDOW items
  'recent_mean_cosine', // event-weighted mean cosine over the last RECENT_WINDOW items
  'covisit_recent', // sum of co-visitation scores from the last RECENT_WINDOW items, squashed
  'covisit_last', // co-visitation score from the last item
  'popularity', // companion's popularity in [0, 1]
  'trending', // companion's trending score in [0, 1]
  'category_share', // share of recent items in the same category
  'brand_share', // share of recent items of the same brand
  'tag_overlap', // mean Jaccard overlap of tags with recent items
  'seen', // item is in the history
  'carted', // item was added to cart or bought
  'from_ann', // retrieved by ANN search
  'ann_rank', // 1 / (1 + ANN rank), 0 when not from ANN
  'price_ratio', // log(price / mean history price), clipped to [-1, 1] after scaling
  'history_length', // log1p(n) / log1p(MAX_HISTORY_FOR_FEATURE)
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];
export const FEATURE_COUNT = FEATURE_NAMES.length;

/** How many of the latest history entries the "recent" features look at. */
export const RECENT_WINDOW = 5;
const MAX_HISTORY_FOR_FEATURE = 50;

/** Weight of each event type in weighted means: stronger intent counts more. */
export const EVENT_WEIGHTS: Record<SequenceEventType, number> = {
  view: 1,
  click: 1,
  add_to_cart: 2,
  purchase: 3,
};

export interface FeatureInput {
  /** L2-normalized user vector, dim D, or null for a shopper without history. */
  userVector: Float32Array | null;
  /** History in time order, oldest first. Only the tail is read. */
  history: readonly HistoryEntry[];
  candidates: readonly Candidate[];
}

/**
 * Builds the row-major feature matrix [candidates.length × FEATURE_COUNT] for one ranker run.
 * Pure and deterministic: equal inputs give bit-equal outputs in every runtime.
 */
export function buildFeatureMatrix(input: FeatureInput): Float32Array {
  const { userVector, history, candidates } = input;
  const out = new Float32Array(candidates.length * FEATURE_COUNT);
  const recent = history.slice(-RECENT_WINDOW);
  const last = recent.length > 0 ? recent[recent.length - 1] : undefined;

  const seen = new Set<string>();
  const carted = new Set<string>();
  for (const entry of history) {
    seen.add(entry.item.id);
    if (entry.type === 'add_to_cart' || entry.type === 'purchase') carted.add(entry.item.id);
  }

  const covisitRecent = new Map<string, number>();
  for (const entry of recent) {
    for (const [id, score] of entry.item.neighbors ?? []) {
      covisitRecent.set(id, (covisitRecent.get(id) ?? 0) + score);
    }
  }
  const covisitLast = new Map<string, number>(last?.item.neighbors ?? []);

  const meanLogPrice = meanLogPriceOf(history);
  const historyLength = Math.log1p(Math.min(history.length, MAX_HISTORY_FOR_FEATURE)) / Math.log1p(MAX_HISTORY_FOR_FEATURE);

  for (let row = 0; row < candidates.length; row++) {
    const candidate = candidates[row];
    const item = candidate.item;
    const base = row * FEATURE_COUNT;

    let maxCos = 0;
    let weightedCos = 0;
    let weightSum = 0;
    let categoryMatches = 0;
    let brandMatches = 0;
    let tagOverlap = 0;
    for (let i = 0; i < recent.length; i++) {
      const entry = recent[i];
      const cos = clampUnit(dot(item.vector, entry.item.vector));
      if (i === 0 || cos > maxCos) maxCos = cos;
      const weight = EVENT_WEIGHTS[entry.type];
      weightedCos += weight * cos;
      weightSum += weight;
      if (item.category !== undefined && item.category === entry.item.category) categoryMatches++;
      if (item.brand !== undefined && item.brand === entry.item.brand) brandMatches++;
      tagOverlap += jaccard(item.tags, entry.item.tags);
    }
    const n = recent.length;

    out[base + 0] = userVector ? clampUnit(dot(userVector, item.vector)) : 0;
    out[base + 1] = last ? clampUnit(dot(item.vector, last.item.vector)) : 0;
    out[base + 2] = n > 0 ? maxCos : 0;
    out[base + 3] = weightSum > 0 ? weightedCos / weightSum : 0;
    out[base + 4] = squash(covisitRecent.get(item.id) ?? 0);
    out[base + 5] = clamp01(covisitLast.get(item.id) ?? 0);
    out[base + 6] = clamp01(item.stats.popularity);
    out[base + 7] = clamp01(item.stats.trending);
    out[base + 8] = n > 0 ? categoryMatches / n : 0;
    out[base + 9] = n > 0 ? brandMatches / n : 0;
    out[base + 10] = n > 0 ? tagOverlap / n : 0;
    out[base + 11] = seen.has(item.id) ? 1 : 0;
    out[base + 12] = carted.has(item.id) ? 1 : 0;
    out[base + 13] = candidate.sources.includes('ann') ? 1 : 0;
    out[base + 14] = candidate.annRank !== undefined ? 1 / (1 + candidate.annRank) : 0;
    out[base + 15] = priceRatio(item.price, meanLogPrice);
    out[base + 16] = historyLength;
  }
  return out;
}

function meanLogPriceOf(history: readonly HistoryEntry[]): number | undefined {
  let sum = 0;
  let count = 0;
  for (const entry of history.slice(-MAX_HISTORY_FOR_FEATURE)) {
    const price = entry.item.price;
    if (price !== undefined && Number.isFinite(price) && price > 0) {
      sum += Math.log(price);
      count++;
    }
  }
  return count > 0 ? sum / count : undefined;
}

function priceRatio(price: number | undefined, meanLogPrice: number | undefined): number {
  if (meanLogPrice === undefined || price === undefined || !Number.isFinite(price) || price <= 0) return 0;
  // log(2) per unit: twice the usual price maps to 0.5, four times or more to 1.
  return Math.max(-1, Math.min(1, (Math.log(price) - meanLogPrice) / (2 * Math.LN2)));
}

function jaccard(a: readonly string[] | undefined, b: readonly string[] | undefined): number {
  if (!a || !b || a.length === 0 || b.length === 0) return 0;
  const setA = new Set(a);
  let intersection = 0;
  const setB = new Set(b);
  for (const tag of setB) if (setA.has(tag)) intersection++;
  return intersection / (setA.size + setB.size - intersection);
}

/** Maps [0, ∞) onto [0, 1) smoothly; 1 maps to 0.5. */
function squash(x: number): number {
  return x > 0 ? x / (1 + x) : 0;
}

function clamp01(x: number): number {
  if (!(x > 0)) return 0; // also maps NaN to 0
  return x < 1 ? x : 1;
}

function clampUnit(x: number): number {
  if (Number.isNaN(x)) return 0;
  if (x < -1) return -1;
  return x > 1 ? 1 : x;
}
