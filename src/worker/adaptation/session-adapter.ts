/**
 * The worker's side of the on-device adaptation: it remembers the feature rows of scored items,
 * turns impressions and the clicks that follow into training examples, runs the TensorFlow.js
 * step and adds the learned correction to ranker scores.
 *
 * An impression is pending until it resolves:
 * - a click, add_to_cart or purchase on its item makes it a positive example, and every other
 *   pending impression of the same list shown at or before that time becomes a skip;
 * - an impression still pending `skipAfterMs` after it was shown becomes a skip.
 * Pending impressions live in memory only, so a reload drops the unresolved ones.
 */
import { adaptationCorrection, copyAdaptation, emptyAdaptation, type AdaptationExample, type AdaptationOptions, type AdaptationState } from '../../core/adaptation.js';
import { FEATURE_COUNT } from '../../core/features.js';
import type { AisleEvent, Candidate } from '../../core/types.js';

/** The gradient step; the engine passes the lazily imported TensorFlow.js one, tests their own. */
export type AdaptationStep = (state: AdaptationState, examples: readonly AdaptationExample[], options: AdaptationOptions, now: number) => Promise<AdaptationState>;

/** Ranker input and score of an item from its latest ranking, centered as AdaptationExample describes. */
export interface ScoredRow {
  features: Float32Array;
  vector: Float32Array;
  /** Ranker score without the correction, minus the best score of the same ranking. */
  offset: number;
}

interface PendingImpression extends ScoredRow {
  itemId: string;
  listId: string;
  timestamp: number;
}

/** Rows kept for impressions that arrive after a ranking; the oldest are dropped first. */
const MAX_REMEMBERED_ROWS = 2000;
/** Impressions waiting for a click; a page that shows more at once loses the oldest. */
const MAX_PENDING = 500;
const POSITIVE_TYPES = new Set(['click', 'add_to_cart', 'purchase']);

/** Per-engine adaptation state that is not stored: the remembered rows and pending impressions. */
export class SessionAdapter {
  private readonly rows = new Map<string, ScoredRow>();
  private pending: PendingImpression[] = [];

  constructor(
    readonly options: AdaptationOptions,
    private readonly step: AdaptationStep,
  ) {}

  /** Remembers the rows of one ranking, so a later impression of these items can be learned from. */
  remember(candidates: readonly Candidate[], features: Float32Array, scores: ArrayLike<number>): void {
    const n = candidates.length;
    if (n === 0) return;
    // The ranker was trained with a listwise softmax, so its scores are logits up to a constant
    // per list: only differences within one ranking mean something. The offset is the score
    // minus the ranking's best, and the bias learns the click rate of a list's top item.
    let best = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) best = Math.max(best, scores[i]);
    const dim = candidates[0].item.vector.length;
    const meanFeatures = new Float32Array(FEATURE_COUNT);
    const meanVector = new Float32Array(dim);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < FEATURE_COUNT; j++) meanFeatures[j] += features[i * FEATURE_COUNT + j] / n;
      const vector = candidates[i].item.vector;
      for (let j = 0; j < dim && j < vector.length; j++) meanVector[j] += vector[j] / n;
    }
    candidates.forEach((candidate, i) => {
      const id = candidate.item.id;
      const row = features.slice(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT).map((value, j) => value - meanFeatures[j]);
      const vector = candidate.item.vector.map((value, j) => value - (meanVector[j] ?? 0));
      this.rows.delete(id);
      this.rows.set(id, { features: row, vector, offset: scores[i] - best });
    });
    for (const id of this.rows.keys()) {
      if (this.rows.size <= MAX_REMEMBERED_ROWS) break;
      this.rows.delete(id);
    }
  }

  /** Returns the remembered row of an item, or undefined when no ranking included it. */
  rowOf(itemId: string): ScoredRow | undefined {
    return this.rows.get(itemId);
  }

  /** Returns `scores` plus the correction of `state` for each candidate. */
  correct(state: AdaptationState | undefined, candidates: readonly Candidate[], features: Float32Array, scores: Float64Array): Float64Array {
    if (!state) return scores;
    const corrected = Float64Array.from(scores);
    candidates.forEach((candidate, i) => {
      corrected[i] += adaptationCorrection(state, features.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT), candidate.item.vector, this.options.maxCorrection);
    });
    return corrected;
  }

  /** Records a pending impression; a second impression of the same item replaces the first. */
  addImpression(event: AisleEvent, row: ScoredRow): void {
    const itemId = event.itemId!;
    this.pending = this.pending.filter((entry) => entry.itemId !== itemId);
    this.pending.push({ ...row, itemId, listId: event.listId ?? '', timestamp: event.timestamp });
    if (this.pending.length > MAX_PENDING) this.pending.splice(0, this.pending.length - MAX_PENDING);
  }

  /** Number of impressions waiting for a click or their skip time. */
  get pendingCount(): number {
    return this.pending.length;
  }

  /** Returns the examples that `event` and the clock resolve, and drops them from the pending list. */
  resolve(event: AisleEvent | undefined, now: number): AdaptationExample[] {
    const examples: AdaptationExample[] = [];
    const clicked = event && event.itemId !== undefined && POSITIVE_TYPES.has(event.type) ? this.pending.find((entry) => entry.itemId === event.itemId) : undefined;
    const keep: PendingImpression[] = [];
    for (const entry of this.pending) {
      if (entry === clicked) examples.push(toExample(entry, 1));
      else if (clicked && entry.listId === clicked.listId && entry.timestamp <= event!.timestamp) examples.push(toExample(entry, 0));
      else if (now - entry.timestamp >= this.options.skipAfterMs) examples.push(toExample(entry, 0));
      else keep.push(entry);
    }
    this.pending = keep;
    return examples;
  }

  /** Returns the state after learning from `examples`; the first update starts from zero weights. */
  async learn(state: AdaptationState | undefined, examples: readonly AdaptationExample[], now: number): Promise<AdaptationState | undefined> {
    if (examples.length === 0) return state;
    return this.step(state ? copyAdaptation(state) : emptyAdaptation(now), examples, this.options, now);
  }

  /** Drops the remembered rows and the pending impressions (forget()). */
  clear(): void {
    this.rows.clear();
    this.pending = [];
  }
}

function toExample(entry: PendingImpression, label: 0 | 1): AdaptationExample {
  return { features: entry.features, vector: entry.vector, offset: entry.offset, label };
}
