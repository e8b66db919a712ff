/**
 * Per-variant outcomes of experiments. An exposure is one list of items that a device showed,
 * named by a random ranking id and tagged with an experiment and variant. A device in several
 * experiments sends one exposure per experiment with the same ranking id. A click, add_to_cart or
 * purchase that carries the same ranking id within the outcome window counts for that exposure.
 * Each exposure counts at most once per outcome type, so CTR and conversion are proportions of
 * exposures, which is what the Wilson interval and the two-proportion test assume.
 */
import { DEVICE_BUCKETS, type Experiment } from '../../core/experiments.js';

/** Outcome types counted per exposure. */
export const OUTCOME_TYPES = ['click', 'add_to_cart', 'purchase'] as const;
export type OutcomeType = (typeof OUTCOME_TYPES)[number];

/** Counts of one variant. */
export interface VariantOutcomes {
  exposures: number;
  /** Exposures with at least one click. */
  click: number;
  /** Exposures with at least one add_to_cart. */
  add_to_cart: number;
  /** Exposures with at least one purchase. */
  purchase: number;
}

/**
 * Counts of one variant per device bucket: element b of each array counts the exposures that
 * carried bucket b. Exposures without a bucket are in the variant's totals only.
 */
export interface BucketOutcomes {
  exposures: number[];
  click: number[];
  add_to_cart: number[];
  purchase: number[];
}

/** Counts of one variant in GET /v1/experiments/outcomes. */
export interface VariantReport extends VariantOutcomes {
  name: string;
  /** Counts per device bucket, DEVICE_BUCKETS long. Absent from companions before buckets. */
  buckets?: BucketOutcomes;
}

/** Body of GET /v1/experiments/outcomes: counts per experiment and variant, in definition order. */
export interface OutcomesResponse {
  windowMs: number;
  experiments: Array<{ name: string; variants: VariantReport[] }>;
}

interface Exposure {
  experiment: string;
  variant: string;
  time: number;
  bucket: number | undefined;
  seen: Set<OutcomeType>;
}

interface VariantCounts {
  totals: VariantOutcomes;
  buckets: BucketOutcomes;
}

const emptyBuckets = (): BucketOutcomes => ({
  exposures: new Array<number>(DEVICE_BUCKETS).fill(0),
  click: new Array<number>(DEVICE_BUCKETS).fill(0),
  add_to_cart: new Array<number>(DEVICE_BUCKETS).fill(0),
  purchase: new Array<number>(DEVICE_BUCKETS).fill(0),
});

/** Reason an experiment event was not counted. */
export type OutcomeRejection = 'unknown_experiment' | 'unknown_variant' | 'unknown_ranking' | 'early_outcome' | 'late_outcome' | 'repeated_exposure';

/**
 * How far before its exposure an outcome may be dated and still count, in milliseconds. The SDK
 * rounds both times down to the minute, so an outcome in the exposure's minute can look earlier.
 */
export const OUTCOME_CLOCK_SLACK_MS = 60_000;

/** Exposures and outcomes of the configured experiments, kept in memory. */
export class OutcomeStore {
  readonly windowMs: number;
  private readonly counts = new Map<string, Map<string, VariantCounts>>();
  // Open exposures by ranking id, in insertion order (time order for a live stream), so the sweep
  // stops at the first one inside the window.
  private readonly open = new Map<string, Exposure[]>();

  constructor(
    private readonly experiments: readonly Experiment[],
    /** Milliseconds after an exposure in which its outcomes count. Default 30 minutes. */
    windowMs = 30 * 60_000,
  ) {
    this.windowMs = windowMs;
    for (const experiment of experiments) {
      this.counts.set(experiment.name, new Map(experiment.variants.map((variant) => [variant.name, { totals: { exposures: 0, click: 0, add_to_cart: 0, purchase: 0 }, buckets: emptyBuckets() }])));
    }
  }

  /**
   * Records an exposure, with the device bucket when the SDK sent one (checked by ingest.ts);
   * returns the reason when it is not counted.
   */
  expose(experiment: string, variant: string, ranking: string, time: number, bucket?: number): OutcomeRejection | undefined {
    const variants = this.counts.get(experiment);
    if (!variants) return 'unknown_experiment';
    const counts = variants.get(variant);
    if (!counts) return 'unknown_variant';
    const exposures = this.open.get(ranking) ?? [];
    if (exposures.some((exposure) => exposure.experiment === experiment)) return 'repeated_exposure';
    counts.totals.exposures += 1;
    if (bucket !== undefined) counts.buckets.exposures[bucket] += 1;
    exposures.push({ experiment, variant, time, bucket, seen: new Set() });
    this.open.set(ranking, exposures);
    return undefined;
  }

  /** Records an outcome of the exposure `ranking`; returns the reason when it is not counted. */
  outcome(ranking: string, type: OutcomeType, time: number): OutcomeRejection | undefined {
    const exposures = this.open.get(ranking);
    if (!exposures) return 'unknown_ranking';
    if (time < exposures[0].time - OUTCOME_CLOCK_SLACK_MS) return 'early_outcome';
    if (time - exposures[0].time > this.windowMs) return 'late_outcome';
    for (const exposure of exposures) {
      if (exposure.seen.has(type)) continue;
      exposure.seen.add(type);
      const counts = this.counts.get(exposure.experiment)?.get(exposure.variant);
      if (!counts) continue;
      counts.totals[type] += 1;
      if (exposure.bucket !== undefined) counts.buckets[type][exposure.bucket] += 1;
    }
    return undefined;
  }

  /** Forgets exposures older than the window at `now`, which bounds memory by the exposure rate. */
  sweep(now: number): void {
    for (const [ranking, exposures] of this.open) {
      if (now - exposures[0].time <= this.windowMs) break;
      this.open.delete(ranking);
    }
  }

  /** Exposures whose outcome window is still open. */
  get openExposures(): number {
    return this.open.size;
  }

  /** Returns a copy of the counts per experiment and variant. */
  report(): OutcomesResponse {
    return {
      windowMs: this.windowMs,
      experiments: this.experiments.map((experiment) => ({
        name: experiment.name,
        variants: experiment.variants.map((variant) => {
          const counts = this.counts.get(experiment.name)!.get(variant.name)!;
          return { name: variant.name, ...counts.totals, buckets: structuredClone(counts.buckets) };
        }),
      })),
    };
  }
}
