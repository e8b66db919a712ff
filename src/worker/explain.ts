/**
 * explain(itemId) in the worker: one ranker run over the item's feature row and its factor
 * coalitions (src/core/explanation.ts), plus the adaptation's correction, the similar recent
 * events and the matching recent searches.
 */
import { adaptationCorrection, type AdaptationOptions, type AdaptationState } from '../core/adaptation.js';
import { baselineRow, COALITION_ROWS, coalitionRows, explanationReasons, factorContributions, similarEvents, type Explanation, type FactorContribution } from '../core/explanation.js';
import { buildFeatureMatrix, FEATURE_COUNT } from '../core/features.js';
import { facetTags } from '../core/tags.js';
import type { Candidate, HistoryEntry } from '../core/types.js';
import type { ModelRunner } from '../runtime/model-runner.js';
import { degradedFrom, toItemMeta } from './scoring.js';

/** Inputs of `explainItem`. */
export interface ExplainInput {
  /** The item, with the retrieval sources of its last ranking when it had one. */
  candidate: Candidate;
  runner: Pick<ModelRunner, 'runRanker'> | undefined;
  /** Reason no runner exists, reported when `runner` is undefined. */
  runnerIssue: { code: string; reason: string };
  userVector: Float32Array | null;
  history: readonly HistoryEntry[];
  /** Recent search queries, oldest first. */
  queries: readonly string[];
  adaptation?: { state: AdaptationState | undefined; options: AdaptationOptions };
}

/** Explains the ranker score of one item for the shopper; without a ranker only events and searches remain. */
export async function explainItem(input: ExplainInput): Promise<Explanation> {
  const { candidate, history } = input;
  const item = candidate.item;
  const events = similarEvents(item, history);
  const covisitedAfter = [...history].reverse().find((entry) => entry.item.neighbors?.some(([id]) => id === item.id));
  const base = { itemId: item.id, item: toItemMeta(item), events };

  let contributions: FactorContribution[] = [];
  let rankerScore = 0;
  let baselineScore = 0;
  let degraded: Explanation['degraded'];
  if (input.runner) {
    try {
      const row = buildFeatureMatrix({ userVector: input.userVector, history, candidates: [candidate] });
      const scores = await input.runner.runRanker(coalitionRows(row, baselineRow(row)), COALITION_ROWS, FEATURE_COUNT);
      contributions = factorContributions(row, scores);
      rankerScore = scores[COALITION_ROWS - 1];
      baselineScore = scores[0];
      const { state, options } = input.adaptation ?? {};
      if (state && options) contributions.push({ factor: 'adaptation', contribution: adaptationCorrection(state, row, item.vector, options.maxCorrection), features: {} });
    } catch (error) {
      degraded = degradedFrom(error, 'AISLE_MODEL_RUN_FAILED');
    }
  } else {
    degraded = input.runnerIssue;
  }

  contributions.sort((a, b) => b.contribution - a.contribution);
  const correction = contributions.find((entry) => entry.factor === 'adaptation')?.contribution ?? 0;
  const recentTags = [...new Set(history.slice(-20).reverse().flatMap((entry) => [...facetTags(entry.item)]))];
  const reasons = explanationReasons({ item, contributions, events, queries: input.queries, covisitedAfter, recentTags });
  const explanation: Explanation = { ...base, score: rankerScore + correction, rankerScore, baselineScore, contributions, reasons };
  if (degraded) explanation.degraded = degraded;
  return explanation;
}
