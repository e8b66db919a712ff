/**
 * On-device adaptation: a per-shopper linear correction added to the ranker's score.
 *
 * The correction is `c(x, v) = wf · x + wv · v`, where x is the candidate's ranker feature row
 * (FEATURE_NAMES order) and v its item vector (dim D). It is learned as a logistic regression
 * that takes the ranker score s as a fixed offset: P(click) = sigmoid(s + c(x, v) + b). A clicked
 * impression is a positive example and a skipped one (seen but not clicked) a negative, so the
 * weights learn only what the shared ranker gets wrong for this shopper. The bias b absorbs the
 * shopper's base click rate. It is the same for every item, so it never changes an order, and
 * `adaptationCorrection` leaves it out.
 *
 * This file contains the state and the scoring. The options and their defaults, which the page
 * checks, are in adaptation-options.ts. The gradient step runs on TensorFlow.js in the worker
 * (src/worker/adaptation/tf-trainer.ts).
 */
import { FEATURE_COUNT } from './features.js';

export { DEFAULT_ADAPTATION, type AdaptationOptions } from './adaptation-options.js';

/** The learned correction, stored with the profile. */
export interface AdaptationState {
  format: 1;
  /** Weights of the ranker features, FEATURE_COUNT values in FEATURE_NAMES order. */
  featureWeights: number[];
  /** Weights of the item vector, dim D values; empty before the first update. */
  vectorWeights: number[];
  bias: number;
  /** Clicked impressions learned from. */
  clicks: number;
  /** Skipped impressions learned from. */
  skips: number;
  /** Milliseconds since the Unix epoch of the last update. */
  updatedAt: number;
}

/** One impression with its outcome, as the update learns from it. */
export interface AdaptationExample {
  /**
   * Ranker feature row of the item when it was shown, FEATURE_COUNT values, minus the mean row
   * of the candidates of that ranking. Every item shown was ranked high, so the traits the shown
   * items share carry little information. Centering makes an update learn how the clicked or
   * skipped item differs from the other candidates. Ranking is unchanged by it, because subtracting the same
   * row from every candidate moves all their corrections alike.
   */
  features: Float32Array;
  /** Item vector, dim D, minus the mean item vector of the ranking's candidates. */
  vector: Float32Array;
  /** Ranker score when it was shown (before any correction). */
  offset: number;
  /** 1 for a click, 0 for a skip. */
  label: 0 | 1;
}

/** Returns an adaptation with every weight 0, so the correction is 0. */
export function emptyAdaptation(now: number): AdaptationState {
  return { format: 1, featureWeights: new Array<number>(FEATURE_COUNT).fill(0), vectorWeights: [], bias: 0, clicks: 0, skips: 0, updatedAt: now };
}

/** Returns a deep copy, so callers never hold the stored arrays. */
export function copyAdaptation(state: AdaptationState): AdaptationState {
  return { ...state, featureWeights: [...state.featureWeights], vectorWeights: [...state.vectorWeights] };
}

/**
 * Returns the correction of one candidate: features · featureWeights + vector · vectorWeights,
 * clipped to ±maxCorrection. A vector of another dim than the weights (new models) gets no
 * vector term.
 */
export function adaptationCorrection(state: AdaptationState, features: ArrayLike<number>, vector: ArrayLike<number>, maxCorrection: number): number {
  let sum = 0;
  for (let j = 0; j < FEATURE_COUNT; j++) sum += state.featureWeights[j] * features[j];
  if (state.vectorWeights.length === vector.length) {
    for (let j = 0; j < vector.length; j++) sum += state.vectorWeights[j] * vector[j];
  }
  if (sum > maxCorrection) return maxCorrection;
  return sum < -maxCorrection ? -maxCorrection : sum;
}

/** Checks a stored adaptation read back from IndexedDB; a malformed one is dropped. */
export function isAdaptationState(value: unknown): value is AdaptationState {
  if (typeof value !== 'object' || value === null) return false;
  const state = value as Partial<AdaptationState>;
  const finite = (values: unknown) => Array.isArray(values) && values.every((x) => typeof x === 'number' && Number.isFinite(x));
  return state.format === 1 && finite(state.featureWeights) && state.featureWeights!.length === FEATURE_COUNT && finite(state.vectorWeights) && typeof state.bias === 'number' && Number.isFinite(state.bias);
}
