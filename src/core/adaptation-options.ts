/**
 * Options of the on-device adaptation (adaptation.ts) and their defaults. They are apart from the
 * adaptation's state and scoring because the page checks them in createAisle(), and a module the
 * page imports must not pull in the feature code that only the worker runs.
 */

/** Options of the adaptation, as `createAisle({ adaptation })` resolves them. */
export interface AdaptationOptions {
  /** SGD step size of one update; default 2. */
  learningRate: number;
  /** L2 penalty on the weights (not the bias), pulling them back to the shared ranker; default 0.05. */
  l2: number;
  /** Loss weight of a skipped impression relative to a click; default 0.5. */
  skipWeight: number;
  /** Milliseconds after an impression without a click on that item when it counts as skipped; default 30000. */
  skipAfterMs: number;
  /** Largest absolute correction added to a ranker score; default 3. */
  maxCorrection: number;
  /** Whether the correction has weights on the ranker features; default true. */
  rankerFeatures: boolean;
  /** Whether the correction has weights on the item vector; default true. */
  itemVector: boolean;
}

/** Defaults of AdaptationOptions, chosen with the simulated shoppers of the demo store (docs/benchmarks.md). */
export const DEFAULT_ADAPTATION: Readonly<AdaptationOptions> = {
  learningRate: 2,
  l2: 0.05,
  skipWeight: 0.5,
  skipAfterMs: 30_000,
  maxCorrection: 3,
  rankerFeatures: true,
  itemVector: true,
};
