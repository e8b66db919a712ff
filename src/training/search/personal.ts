/**
 * The worker's personal search rerank, run offline: the int8 ranker scores a query's top fused hits
 * for the query's user (with the history before the target), and rankSearchHits orders them as
 * the worker does. `aisle eval --task search` reports it, and `aisle train` chooses the learned
 * fusion's personal weight with it (choosePersonalWeight).
 */
import * as ort from 'onnxruntime-node';
import { FEATURE_COUNT, buildFeatureMatrix } from '../../core/features.js';
import { ndcg } from '../../core/metrics.js';
import { RANKER_IO } from '../../core/model-dir.js';
import type { Candidate, ItemRecord } from '../../core/types.js';
import type { FusedHit } from '../../server/fusion.js';
import { rankSearchHits, type SearchScoreScale } from '../../worker/reranking.js';
import type { LeaveOneOutUser } from '../data/dataset.js';
import { historyFor } from '../data/split.js';
import { historyEntries } from '../pipeline/candidate-lists.js';
import type { UserEncoder } from '../pipeline/user-encoder.js';

/** Hits the worker requests from the companion and reranks, for k = 10: max(3k, 50). */
export const SEARCH_RERANK_DEPTH = 50;

/** Models that score a user: the catalog, the user tower and an open session of the int8 ranker. */
export interface PersonalModels {
  records: readonly ItemRecord[];
  indexById: ReadonlyMap<string, number>;
  encoder: UserEncoder;
  ranker: ort.InferenceSession;
  usesAges: boolean;
}

/** The top SEARCH_RERANK_DEPTH fused hits of one query and the int8 ranker's scores of them for its user. */
export interface PersonalScores {
  fused: readonly FusedHit[];
  candidates: Candidate[];
  scores: Float64Array;
}

/** Runs the ranker over the top fused hits for `user`, with the history before the `split` target. */
export async function personalScores(user: LeaveOneOutUser, fused: readonly FusedHit[], split: 'valid' | 'test', models: PersonalModels): Promise<PersonalScores> {
  const top = fused.slice(0, SEARCH_RERANK_DEPTH);
  const candidates: Candidate[] = top.map((hit) => ({ item: models.records[hit.index], sources: ['search'] }));
  if (top.length === 0) return { fused, candidates, scores: new Float64Array(0) };
  const history = historyFor(user, split);
  const entries = historyEntries(history, models.records);
  const now = models.usesAges ? (user.sequence.timestamps?.[history.items.length] ?? 0) : 0;
  const userVector = await models.encoder.encode([{ history: entries, now }]);
  const features = buildFeatureMatrix({ userVector, history: entries, candidates });
  const output = await models.ranker.run({ [RANKER_IO.input]: new ort.Tensor('float32', features, [candidates.length, FEATURE_COUNT]) });
  return { fused, candidates, scores: Float64Array.from(output[RANKER_IO.output].data as Float32Array) };
}

/** Orders the fused hits as the worker does with personal weight `weight`; returns catalog indices. */
export function personalOrder({ fused, candidates, scores }: PersonalScores, weight: number, indexById: ReadonlyMap<string, number>, scale: SearchScoreScale = 'ratio'): number[] {
  const searchScores = fused.slice(0, candidates.length).map((hit) => hit.score);
  const ranked = rankSearchHits(candidates, searchScores, { scores, degraded: undefined }, candidates.length, weight, scale);
  const rest = fused.slice(candidates.length).map((hit) => hit.index);
  return [...ranked.map((item) => indexById.get(item.id) as number), ...rest];
}

/** Mean NDCG@10 of ranked lists, each against its single target. */
export function meanNdcg(ranked: readonly number[][], targets: readonly number[]): number {
  let gain = 0;
  ranked.forEach((list, i) => (gain += ndcg(list.indexOf(targets[i]), 10)));
  return gain / Math.max(1, ranked.length);
}

/**
 * Returns the weight of `grid` whose rerank of `scored` has the best mean NDCG@10, and every
 * weight's NDCG. A tie goes to the smaller weight, so personalization moves results only when it pays.
 */
export function choosePersonalWeight(scored: readonly PersonalScores[], targets: readonly number[], grid: readonly number[], indexById: ReadonlyMap<string, number>, scale: SearchScoreScale): { weight: number; ndcg: number[] } {
  const ndcgs = grid.map((weight) => meanNdcg(scored.map((entry) => personalOrder(entry, weight, indexById, scale)), targets));
  let best = 0;
  for (let i = 1; i < grid.length; i++) if (ndcgs[i] > ndcgs[best]) best = i;
  return { weight: grid[best], ndcg: ndcgs };
}
