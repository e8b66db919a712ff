/**
 * Simulated A/A experiments for the calibration of the report's tests. Devices of two kinds
 * click with their own probability on every list they see, so one device's exposures are alike,
 * as one shopper's are. Each run assigns fresh device ids with the experiment code of the SDK,
 * counts exposures and clicks per variant and device bucket as the companion does, and applies
 * the per-exposure z test and the device-bucket t test of `aisle report`.
 */
import { bucketRate, bucketTest, twoProportionZTest } from '../../src/core/experiment-stats.js';
import { assignVariant, DEVICE_BUCKETS, deviceBucket, type Experiment } from '../../src/core/experiments.js';
import { createRandom } from '../../src/core/random.js';

/** Settings of a series of simulated A/A experiments. */
export interface AaSimulation {
  runs: number;
  /** Devices per experiment, split evenly between the two variants by assignVariant. */
  devices: number;
  /** Lists (exposures) shown to each device. */
  lists: number;
  /** Click probability of the two kinds of device, drawn with equal chance. */
  ctrs: readonly [number, number];
  alpha: number;
  seed: number;
}

/** Share of the A/A runs that each test called significant at alpha. */
export interface AaFalsePositives {
  runs: number;
  /** Two-proportion z test with the exposure as the unit. */
  exposureTest: number;
  /** Welch t test with the device bucket as the unit. */
  bucketTest: number;
}

interface Side {
  exposures: number;
  clicks: number;
  bucketExposures: number[];
  bucketClicks: number[];
}

/** Runs the A/A experiments; calls `progress` after each run with the runs done so far. */
export function simulateAaRuns(settings: AaSimulation, progress?: (done: number, counts: AaFalsePositives) => void): AaFalsePositives {
  const random = createRandom(settings.seed);
  const counts: AaFalsePositives = { runs: 0, exposureTest: 0, bucketTest: 0 };
  for (let run = 0; run < settings.runs; run++) {
    const experiment: Experiment = { name: 'aa', salt: `run-${settings.seed}-${run}`, variants: [{ name: 'a', weight: 1, changes: {} }, { name: 'b', weight: 1, changes: {} }] };
    const sides: Side[] = [0, 1].map(() => ({ exposures: 0, clicks: 0, bucketExposures: new Array<number>(DEVICE_BUCKETS).fill(0), bucketClicks: new Array<number>(DEVICE_BUCKETS).fill(0) }));
    for (let device = 0; device < settings.devices; device++) {
      const id = `run-${run}-device-${device}`;
      const side = sides[assignVariant(experiment, id).name === 'a' ? 0 : 1];
      const bucket = deviceBucket(id);
      const ctr = random.next() < 0.5 ? settings.ctrs[0] : settings.ctrs[1];
      for (let list = 0; list < settings.lists; list++) {
        const click = random.next() < ctr ? 1 : 0;
        side.exposures += 1;
        side.clicks += click;
        side.bucketExposures[bucket] += 1;
        side.bucketClicks[bucket] += click;
      }
    }

    const [a, b] = sides;
    counts.runs += 1;
    if ((twoProportionZTest(b.clicks, b.exposures, a.clicks, a.exposures)?.pValue ?? 1) < settings.alpha) counts.exposureTest += 1;
    const rateA = bucketRate(a.clicks, a.exposures, a.bucketClicks, a.bucketExposures);
    const rateB = bucketRate(b.clicks, b.exposures, b.bucketClicks, b.bucketExposures);
    const test = rateA && rateB ? bucketTest(rateB, rateA) : null;
    if ((test?.pValue ?? 1) < settings.alpha) counts.bucketTest += 1;
    progress?.(run + 1, counts);
  }
  return { runs: counts.runs, exposureTest: counts.exposureTest / counts.runs, bucketTest: counts.bucketTest / counts.runs };
}
