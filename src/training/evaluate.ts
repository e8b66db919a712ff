/**
 * Evaluation harness for leave-one-out next-item prediction.
 *
 * Full ranking (the main figure): the target is ranked against ALL items of the catalog, except
 * items already in the user's history, which are removed from the list. Published full-ranking
 * code of S3-Rec-style trainers does the same by zeroing the scores of the user's training items.
 * Ties count against the target (`rankOfTarget` in core), so a constant scorer earns nothing.
 * A target that is itself in the history (a repeated item) counts as a miss.
 *
 * Sampled ranking (a secondary figure, for comparison with papers that use it): the target is
 * ranked against `negatives` items drawn uniformly, with a seed, from items the user never
 * interacted with in the whole sequence.
 */
import { AisleError } from '../core/errors.js';
import { rankOfTarget, summarizeRanks, type MetricRow } from '../core/metrics.js';
import type { LeaveOneOutUser, UserSequence } from './data/dataset.js';
import { createRandom } from '../core/random.js';
import { historyFor } from './data/split.js';

/** Scores all nItems items for one history; higher is better. */
export type Scorer = (history: UserSequence, target: 'valid' | 'test') => Float32Array | Promise<Float32Array>;

/** A Scorer that returns its scores synchronously, as the baselines do. */
export type SyncScorer = (history: UserSequence, target: 'valid' | 'test') => Float32Array;

/** Options of `evaluate`. */
export interface EvaluateOptions {
  /** Target to rank: the last item ('test') or the one before it ('valid'). */
  split: 'test' | 'valid';
  /** Called after each user with the number done and the total. */
  onProgress?: (done: number, total: number) => void;
}

/** Options of `evaluateSampled`. */
export interface SampledOptions extends EvaluateOptions {
  /** Negatives per user (default 99). */
  negatives?: number;
  /** Seed of the negative draw (default 12345). */
  seed?: number;
}

/** Full-ranking metrics of `scorer` over `users` (see the file header). */
export async function evaluate(users: readonly LeaveOneOutUser[], nItems: number, scorer: Scorer, options: EvaluateOptions): Promise<MetricRow> {
  const ranks: number[] = [];
  for (const user of users) {
    const history = historyFor(user, options.split);
    const scores = checkScores(await scorer(history, options.split), nItems, user.user);
    ranks.push(rankOfTarget(scores, user[options.split], new Set(history.items)));
    options.onProgress?.(ranks.length, users.length);
  }
  return summarizeRanks(ranks);
}

/** Sampled-ranking metrics of `scorer`: the target against `negatives` unseen items per user. */
export async function evaluateSampled(users: readonly LeaveOneOutUser[], nItems: number, scorer: Scorer, options: SampledOptions): Promise<MetricRow> {
  const negatives = options.negatives ?? 99;
  const random = createRandom(options.seed ?? 12345);
  const ranks: number[] = [];
  for (const user of users) {
    const seen = new Set(user.sequence.items);
    if (nItems - seen.size < negatives) {
      throw new AisleError('AISLE_INVALID_ARGUMENT', `evaluateSampled: user ${user.user} has only ${nItems - seen.size} unseen items, fewer than negatives = ${negatives}; lower negatives.`);
    }
    const history = historyFor(user, options.split);
    const scores = checkScores(await scorer(history, options.split), nItems, user.user);
    ranks.push(sampledRank(scores, user[options.split], drawNegatives(random, nItems, seen, negatives)));
    options.onProgress?.(ranks.length, users.length);
  }
  return summarizeRanks(ranks);
}

/** Draws `count` distinct items outside `seen`, uniformly. */
function drawNegatives(random: ReturnType<typeof createRandom>, nItems: number, seen: ReadonlySet<number>, count: number): number[] {
  const drawn = new Set<number>();
  while (drawn.size < count) {
    const item = random.int(nItems);
    if (!seen.has(item)) drawn.add(item);
  }
  return [...drawn];
}

/** 0-based rank of the target among the negatives; ties and NaN count against the target. */
function sampledRank(scores: Float32Array, target: number, negatives: readonly number[]): number {
  const targetScore = scores[target];
  let rank = 0;
  for (const item of negatives) if (scores[item] >= targetScore || Number.isNaN(scores[item])) rank++;
  return rank;
}

function checkScores(scores: Float32Array, nItems: number, user: string): Float32Array {
  if (!(scores instanceof Float32Array) || scores.length !== nItems) {
    const found = scores instanceof Float32Array ? `length ${scores.length}` : typeof scores;
    throw new AisleError('AISLE_INVALID_ARGUMENT', `evaluate: the scorer must return a Float32Array of nItems = ${nItems} scores for user ${user}, got ${found}.`);
  }
  return scores;
}

/** Metric names in column order, as printed and written to JSON. */
export const METRIC_NAMES = ['HR@10', 'NDCG@10', 'HR@20', 'NDCG@20', 'MRR'] as const;

/** One printed or saved row: a model's name and its metrics. */
export type ResultRow = { model: string } & MetricRow;

/** JSON shape of an evaluation report. */
export interface ResultsJson {
  dataset: string;
  protocol: string;
  rows: ResultRow[];
}

/** Formats rows as an aligned text table, metrics with 4 decimals. */
export function formatTable(rows: readonly ResultRow[]): string {
  const width = Math.max(5, ...rows.map((row) => row.model.length));
  const header = ['model'.padEnd(width), ...METRIC_NAMES.map((name) => name.padStart(8))].join('  ');
  const lines = rows.map((row) => [row.model.padEnd(width), ...METRIC_NAMES.map((name) => row[name].toFixed(4).padStart(8))].join('  '));
  return [header, ...lines].join('\n');
}

/** Builds the JSON report `{ dataset, protocol, rows: [{ model, HR@10, NDCG@10, HR@20, NDCG@20, MRR }] }`. */
export function toResultsJson(dataset: string, protocol: string, rows: readonly ResultRow[]): ResultsJson {
  return {
    dataset,
    protocol,
    rows: rows.map((row) => ({ model: row.model, ...Object.fromEntries(METRIC_NAMES.map((name) => [name, row[name]])) }) as ResultRow),
  };
}
