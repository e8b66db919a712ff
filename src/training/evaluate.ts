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
import { ndcg, rankOfTarget, summarizeRanks, type MetricRow } from '../core/metrics.js';
import type { LeaveOneOutUser, UserSequence } from './data/dataset.js';
import { createRandom, type Random } from '../core/random.js';
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

/** Options of `evaluateRanks`. */
export interface RankOptions extends EvaluateOptions {
  /** Also rank each target against sampled negatives (see the file header). */
  sampled?: { negatives: number; seed: number };
}

/** Per-user 0-based ranks of the targets (-1 for a target that is in the history). */
export interface TargetRanks {
  /** Ranks in the full ranking, one per user in input order. */
  full: number[];
  /** Ranks among the sampled negatives, when asked for. */
  sampled?: number[];
}

/**
 * Scores every user once and returns the target's rank in the full ranking and, when asked,
 * among sampled negatives. The negatives depend only on the seed and the users, so every model
 * evaluated with the same seed meets the same ones.
 */
export async function evaluateRanks(users: readonly LeaveOneOutUser[], nItems: number, scorer: Scorer, options: RankOptions): Promise<TargetRanks> {
  const full: number[] = [];
  const sampled: number[] | undefined = options.sampled ? [] : undefined;
  const random = createRandom(options.sampled?.seed ?? 0);
  for (const user of users) {
    const history = historyFor(user, options.split);
    const scores = checkScores(await scorer(history, options.split), nItems, user.user);
    full.push(rankOfTarget(scores, user[options.split], new Set(history.items)));
    if (sampled && options.sampled) sampled.push(sampledRank(scores, user[options.split], drawNegatives(random, nItems, user, options.sampled.negatives)));
    options.onProgress?.(full.length, users.length);
  }
  return sampled ? { full, sampled } : { full };
}

/** Full-ranking metrics of `scorer` over `users` (see the file header). */
export async function evaluate(users: readonly LeaveOneOutUser[], nItems: number, scorer: Scorer, options: EvaluateOptions): Promise<MetricRow> {
  return summarizeRanks((await evaluateRanks(users, nItems, scorer, options)).full);
}

/** Sampled-ranking metrics of `scorer`: the target against `negatives` unseen items per user. */
export async function evaluateSampled(users: readonly LeaveOneOutUser[], nItems: number, scorer: Scorer, options: SampledOptions): Promise<MetricRow> {
  const sampled = { negatives: options.negatives ?? 99, seed: options.seed ?? 12345 };
  const ranks = await evaluateRanks(users, nItems, scorer, { ...options, sampled });
  return summarizeRanks(ranks.sampled ?? []);
}

/** Draws `count` distinct items the user never interacted with, uniformly. */
function drawNegatives(random: Random, nItems: number, user: LeaveOneOutUser, count: number): number[] {
  const seen = new Set(user.sequence.items);
  if (nItems - seen.size < count) {
    throw new AisleError('AISLE_INVALID_ARGUMENT', `evaluateSampled: user ${user.user} has only ${nItems - seen.size} unseen items, fewer than negatives = ${count}; lower negatives.`);
  }
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

/** Mean NDCG@k of one model for k = 1 … K. */
export interface NdcgCurve {
  model: string;
  ndcg: number[];
}

/** Results of one evaluation of several models: full-ranking rows, sampled rows and curves. */
export interface ModelEvaluation {
  rows: ResultRow[];
  /** The same models against sampled negatives (secondary figure); empty when not measured. */
  sampledRows: ResultRow[];
  /** Full-ranking NDCG@k curves, k = 1 … NDCG_CURVE_MAX_K. */
  curves: NdcgCurve[];
  /** NDCG@10 of the served student against the teacher, when both were evaluated. */
  distillation?: DistillationLoss;
  /** The rows restricted to users whose target is a cold item (see COLD_MAX_INTERACTIONS). */
  cold?: { users: number; rows: ResultRow[] };
}

/** A test target counts as cold when the item occurs at most this often in all users' histories. */
export const COLD_MAX_INTERACTIONS = 4;

/** How much NDCG@10 the distilled int8 student loses against the teacher, on the same users. */
export interface DistillationLoss {
  teacher: number;
  served: number;
  /** 1 - served / teacher. */
  relativeLoss: number;
  /** Standard error of relativeLoss from the per-user NDCG@10 differences (paired). */
  standardError: number;
}

/** Relative NDCG@10 loss of `served` against `teacher` with its paired standard error; ranks per user, same order. */
export function distillationLoss(teacherRanks: readonly number[], servedRanks: readonly number[]): DistillationLoss {
  const n = teacherRanks.length;
  const differences = teacherRanks.map((rank, i) => ndcg(rank, 10) - ndcg(servedRanks[i], 10));
  const teacher = teacherRanks.reduce((sum, rank) => sum + ndcg(rank, 10), 0) / Math.max(1, n);
  const served = servedRanks.reduce((sum, rank) => sum + ndcg(rank, 10), 0) / Math.max(1, n);
  const mean = differences.reduce((sum, d) => sum + d, 0) / Math.max(1, n);
  const variance = differences.reduce((sum, d) => sum + (d - mean) ** 2, 0) / Math.max(1, n - 1);
  const scale = teacher > 0 ? 1 / teacher : 0;
  return { teacher, served, relativeLoss: 1 - served * scale, standardError: Math.sqrt(variance / Math.max(1, n)) * scale };
}

/** Largest cutoff of the NDCG@k curves in reports. */
export const NDCG_CURVE_MAX_K = 50;
/** Negatives per user of the sampled secondary figure, as in the papers that report one. */
export const SAMPLED_NEGATIVES = 99;
/** Protocol line of the sampled secondary figure. */
export const SAMPLED_PROTOCOL = `leave-one-out, test target against ${SAMPLED_NEGATIVES} sampled items the user never interacted with`;

/** JSON shape of an evaluation report; the fields after `rows` are present when measured. */
export interface ResultsJson {
  dataset: string;
  protocol: string;
  rows: ResultRow[];
  sampled?: { protocol: string; rows: ResultRow[] };
  ndcgAtK?: { k: number[]; models: Record<string, number[]> };
  distillation?: DistillationLoss;
  cold?: { maxInteractions: number; users: number; rows: ResultRow[] };
}

/** Formats rows as an aligned text table, metrics with 4 decimals. */
export function formatTable(rows: readonly ResultRow[]): string {
  const width = Math.max(5, ...rows.map((row) => row.model.length));
  const header = ['model'.padEnd(width), ...METRIC_NAMES.map((name) => name.padStart(8))].join('  ');
  const lines = rows.map((row) => [row.model.padEnd(width), ...METRIC_NAMES.map((name) => row[name].toFixed(4).padStart(8))].join('  '));
  return [header, ...lines].join('\n');
}

/**
 * Builds the JSON report `{ dataset, protocol, rows: [{ model, HR@10, NDCG@10, HR@20, NDCG@20, MRR }] }`,
 * plus `sampled` and `ndcgAtK` when an evaluation with them is given.
 */
export function toResultsJson(dataset: string, protocol: string, evaluation: readonly ResultRow[] | ModelEvaluation): ResultsJson {
  const full: ModelEvaluation = 'rows' in evaluation ? evaluation : { rows: [...evaluation], sampledRows: [], curves: [] };
  const json: ResultsJson = { dataset, protocol, rows: full.rows.map(orderedRow) };
  if (full.sampledRows.length > 0) json.sampled = { protocol: SAMPLED_PROTOCOL, rows: full.sampledRows.map(orderedRow) };
  if (full.curves.length > 0) {
    const maxK = full.curves[0].ndcg.length;
    json.ndcgAtK = { k: Array.from({ length: maxK }, (_, i) => i + 1), models: Object.fromEntries(full.curves.map((curve) => [curve.model, curve.ndcg])) };
  }
  if (full.distillation) json.distillation = full.distillation;
  if (full.cold) json.cold = { maxInteractions: COLD_MAX_INTERACTIONS, users: full.cold.users, rows: full.cold.rows.map(orderedRow) };
  return json;
}

/** Returns the row with its keys in report order. */
function orderedRow(row: ResultRow): ResultRow {
  return { model: row.model, ...Object.fromEntries(METRIC_NAMES.map((name) => [name, row[name]])) } as ResultRow;
}
