/**
 * Ranking of a candidate list: one batched ranker run over the core feature matrix, with a
 * fallback order when no ranker is available or the run fails.
 */
import { isAisleError } from '../core/errors.js';
import { buildFeatureMatrix, FEATURE_COUNT } from '../core/features.js';
import type { Candidate, Degraded, HistoryEntry, ItemMeta, ItemRecord, ScoredItem } from '../core/types.js';
import type { ModelRunner } from '../runtime/model-runner.js';

/** Scores of one ranking, and why they are not the ranker's, if they are not. */
export interface Scores {
  scores: Float64Array;
  degraded?: Degraded;
}

/** Inputs of `scoreCandidates`. */
export interface ScoreInput {
  runner: Pick<ModelRunner, 'runRanker'> | undefined;
  /** Reason no runner exists, reported when `runner` is undefined. */
  runnerIssue?: Degraded;
  userVector: Float32Array | null;
  history: readonly HistoryEntry[];
  candidates: readonly Candidate[];
}

/**
 * Scores every candidate in one ranker run. Without a ranker, or when the run fails, candidate
 * i gets 1 - i/n, so the fallback keeps the retrieval order.
 */
export async function scoreCandidates(input: ScoreInput): Promise<Scores> {
  const n = input.candidates.length;
  if (n === 0) return { scores: new Float64Array(0) };
  if (!input.runner) return { scores: retrievalOrderScores(n), degraded: input.runnerIssue ?? { code: 'AISLE_MODEL_LOAD_FAILED', reason: 'The ranker is not loaded.' } };

  try {
    const features = buildFeatureMatrix({ userVector: input.userVector, history: input.history, candidates: input.candidates });
    const scores = await input.runner.runRanker(features, n, FEATURE_COUNT);
    return { scores: Float64Array.from(scores) };
  } catch (error) {
    return { scores: retrievalOrderScores(n), degraded: degradedFrom(error, 'AISLE_MODEL_RUN_FAILED') };
  }
}

/** Returns 1 - i/n for i in 0..n-1: a descending score that keeps the given order. */
export function retrievalOrderScores(n: number): Float64Array {
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) scores[i] = 1 - i / n;
  return scores;
}

/** Returns candidate indexes sorted by score, best first; ties keep the input order. */
export function orderByScore(scores: ArrayLike<number>): number[] {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  return order.sort((a, b) => scores[b] - scores[a] || a - b);
}

/** Returns the catalog metadata of a record, without the vector, stats and neighbors. */
export function toItemMeta(item: ItemRecord): ItemMeta {
  const meta: ItemMeta = { id: item.id };
  if (item.title !== undefined) meta.title = item.title;
  if (item.category !== undefined) meta.category = item.category;
  if (item.brand !== undefined) meta.brand = item.brand;
  if (item.price !== undefined) meta.price = item.price;
  if (item.tags !== undefined) meta.tags = [...item.tags];
  if (item.predictedTags !== undefined) meta.predictedTags = item.predictedTags.map(([tag, confidence]) => [tag, confidence]);
  if (item.image !== undefined) meta.image = item.image;
  if (item.url !== undefined) meta.url = item.url;
  return meta;
}

/** Returns the top `k` candidates as ScoredItems. */
export function topK(candidates: readonly Candidate[], scores: ArrayLike<number>, k: number): ScoredItem[] {
  return orderByScore(scores)
    .slice(0, k)
    .map((index) => ({ id: candidates[index].item.id, score: scores[index], item: toItemMeta(candidates[index].item) }));
}

/** Turns a caught error into a Degraded reason; unknown errors get `fallbackCode`. */
export function degradedFrom(error: unknown, fallbackCode: string): Degraded {
  if (isAisleError(error)) return { code: error.code, reason: error.message };
  return { code: fallbackCode, reason: error instanceof Error ? error.message : String(error) };
}
