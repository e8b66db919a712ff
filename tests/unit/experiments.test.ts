/**
 * Experiment assignment and report statistics against hand-computed values. The hashes were
 * computed independently (FNV-1a then the MurmurHash3 finalizer, in Python), the interval and z
 * test values with Python's statistics.NormalDist, and the t distribution values with SciPy's
 * scipy.stats.t. A simulated A/A experiment checks the false positive rate of both tests.
 */
import { describe, expect, it } from 'vitest';
import { bucketRate, bucketTest, bucketWilsonInterval, incompleteBeta, logGamma, normalCdf, relativeLift, studentTwoSidedP, twoProportionZTest, wilsonInterval, Z_95 } from '../../src/core/experiment-stats.js';
import { assignVariant, DEVICE_BUCKETS, deviceBucket, hash32, parseExperiments, type Experiment } from '../../src/core/experiments.js';
import { simulateAaRuns } from '../../scripts/bench/aa-simulation.js';

describe('hash32', () => {
  it.each([
    ['', 2872998923],
    ['a', 444641715],
    ['home-row:device-1', 3794038804],
    ['é', 2387039943],
  ])('hashes %j', (text, expected) => {
    expect(hash32(text)).toBe(expected);
  });
});

describe('assignVariant', () => {
  const experiment: Experiment = {
    name: 'home-row',
    salt: 'home-row',
    variants: [
      { name: 'control', weight: 1, changes: { ranker: false } },
      { name: 'personal', weight: 1, changes: {} },
    ],
  };

  it('maps the bucket to cumulative weights', () => {
    // hash32('home-row:device-1') % 10000 = 8804, past the 5000 of control.
    expect(assignVariant(experiment, 'device-1').name).toBe('personal');
    const skewed = { ...experiment, variants: [{ ...experiment.variants[0], weight: 9 }, experiment.variants[1]] };
    // 8804 < 9000
    expect(assignVariant(skewed, 'device-1').name).toBe('control');
  });

  it('is stable per device and splits by weight', () => {
    const counts = { control: 0, personal: 0 };
    for (let i = 0; i < 20_000; i++) {
      const id = `device-${i}`;
      const variant = assignVariant(experiment, id);
      expect(assignVariant(experiment, id)).toBe(variant);
      counts[variant.name as 'control' | 'personal'] += 1;
    }
    // Binomial(20000, 0.5) has a standard deviation of 71; 5 of them is 354.
    expect(Math.abs(counts.control - 10_000)).toBeLessThan(354);
  });

  it('reshuffles devices under another salt', () => {
    const other = { ...experiment, salt: 'home-row-2' };
    let moved = 0;
    for (let i = 0; i < 2000; i++) if (assignVariant(experiment, `device-${i}`).name !== assignVariant(other, `device-${i}`).name) moved += 1;
    // Independent halves disagree for about half of the devices.
    expect(moved).toBeGreaterThan(850);
    expect(moved).toBeLessThan(1150);
  });
});

describe('parseExperiments', () => {
  it('fills the salt and default weights', () => {
    expect(parseExperiments([{ name: 'row', variants: [{ name: 'a' }, { name: 'b', weight: 3, changes: { liveWeight: 2, fusion: { method: 'weighted', bm25: 0.3, vector: 0.7 } } }] }], 'config')).toEqual([
      { name: 'row', salt: 'row', variants: [{ name: 'a', weight: 1, changes: {} }, { name: 'b', weight: 3, changes: { liveWeight: 2, fusion: { method: 'weighted', bm25: 0.3, vector: 0.7 } } }] },
    ]);
  });

  it.each([
    [{}, 'config: `experiments` must be an array, got {}.'],
    [[{ name: 'row', variants: [{ name: 'a' }] }], 'config experiment row: `variants` must be an array of 2 to 16 variants, got [{"name":"a"}].'],
    [[{ name: 'row', variants: [{ name: 'a' }, { name: 'a' }] }], 'config experiment row: variant name "a" appears twice.'],
    [[{ name: 'row', variants: [{ name: 'a', weight: 0 }, { name: 'b' }] }], 'config experiment row variant a: `weight` must be a number > 0, got 0.'],
    [[{ name: 'row', variants: [{ name: 'a', changes: { diversity: 1 } }, { name: 'b' }] }], 'config experiment row variant a: unknown change `diversity`; allowed are ranker, liveWeight, fusion, modelVersion.'],
    [[{ name: 'bad name', variants: [] }], 'config experiment 0: `name` must be 1 to 64 letters, digits or _.-, got "bad name".'],
    [[{ name: 'row', variants: [{ name: 'a', changes: { fusion: { method: 'weighted', bm25: 0.3 } } }, { name: 'b' }] }], 'config experiment row variant a: `fusion` must give both `bm25` and `vector` weights or neither, got {"method":"weighted","bm25":0.3}.'],
    [[{ name: 'row', variants: [{ name: 'a', changes: { fusion: { method: 'rrf', bm25: 0.3, vector: 0.7 } } }, { name: 'b' }] }], 'config experiment row variant a: `fusion` weights apply only to method \'weighted\'; remove them or set method \'weighted\', got {"method":"rrf","bm25":0.3,"vector":0.7}.'],
  ])('rejects %j', (raw, message) => {
    expect(() => parseExperiments(raw, 'config')).toThrowError(expect.objectContaining({ code: 'AISLE_INVALID_ARGUMENT', message }));
  });
});

describe('wilsonInterval', () => {
  it('matches hand-computed intervals', () => {
    // z = 1.96, the textbook rounding of the 0.975 quantile.
    const interval = wilsonInterval(10, 100, 1.96);
    expect(interval.rate).toBe(0.1);
    expect(interval.low).toBeCloseTo(0.05522854161313613, 12);
    expect(interval.high).toBeCloseTo(0.1743673043676654, 12);

    const none = wilsonInterval(0, 20, 1.96);
    expect(none.low).toBe(0);
    expect(none.high).toBeCloseTo(0.16113012549493322, 12);
    expect(wilsonInterval(0, 0)).toEqual({ rate: 0, low: 0, high: 1 });
  });

  it('uses the 0.975 normal quantile', () => {
    expect(Z_95).toBeCloseTo(1.9599639845400536, 14);
  });
});

describe('twoProportionZTest', () => {
  it('matches a hand-computed test', () => {
    // pooled 0.05, standard error √(0.05 · 0.95 · 2/1000)
    const test = twoProportionZTest(60, 1000, 40, 1000);
    expect(test?.z).toBeCloseTo(2.051956704170308, 12);
    expect(test?.pValue).toBeCloseTo(0.04017387028851216, 6);
  });

  it('is symmetric and null without variance', () => {
    expect(twoProportionZTest(40, 1000, 60, 1000)?.z).toBeCloseTo(-2.051956704170308, 12);
    const equal = twoProportionZTest(50, 1000, 50, 1000);
    expect(equal?.z).toBe(0);
    expect(equal?.pValue).toBeCloseTo(1, 7);
    expect(twoProportionZTest(0, 100, 0, 100)).toBeNull();
    expect(twoProportionZTest(1, 0, 1, 10)).toBeNull();
  });
});

describe('normalCdf and relativeLift', () => {
  it('matches the normal distribution', () => {
    // The approximation's error bound is 1.5e-7 on erfc, so 7.5e-8 on the distribution function.
    expect(Math.abs(normalCdf(0) - 0.5)).toBeLessThan(7.5e-8);
    expect(Math.abs(normalCdf(1.959963984540054) - 0.975)).toBeLessThan(7.5e-8);
    expect(Math.abs(normalCdf(-1) - 0.15865525393145707)).toBeLessThan(7.5e-8);
  });

  it('returns the lift as a fraction', () => {
    expect(relativeLift(0.06, 0.04)).toBeCloseTo(0.5, 12);
    expect(relativeLift(0.05, 0)).toBeNull();
  });
});

describe('deviceBucket', () => {
  // 32,000 ids give 1000 per bucket, with a binomial standard deviation of about 31.
  const ids = Array.from({ length: 32_000 }, (_, i) => `device-${i}`);

  it('spreads devices evenly over the buckets', () => {
    const counts = new Array<number>(DEVICE_BUCKETS).fill(0);
    for (const id of ids) counts[deviceBucket(id)] += 1;
    expect(counts.every((n) => n > 850 && n < 1150)).toBe(true);
    expect(deviceBucket('device-7')).toBe(deviceBucket('device-7'));
  });

  it('spreads each variant evenly over the buckets', () => {
    const experiment: Experiment = { name: 'row', salt: 'device-bucket', variants: [{ name: 'a', weight: 1, changes: {} }, { name: 'b', weight: 1, changes: {} }] };
    const counts = { a: new Array<number>(DEVICE_BUCKETS).fill(0), b: new Array<number>(DEVICE_BUCKETS).fill(0) };
    for (const id of ids) counts[assignVariant(experiment, id).name as 'a' | 'b'][deviceBucket(id)] += 1;
    // About 500 each, standard deviation about 22.
    expect([...counts.a, ...counts.b].every((n) => n > 390 && n < 610)).toBe(true);
  });
});

describe('Student t distribution', () => {
  it('matches SciPy', () => {
    expect(studentTwoSidedP(2.042272456, 30)).toBeCloseTo(0.05, 8);
    expect(studentTwoSidedP(3.5, 7.3)).toBeCloseTo(0.009343138528485555, 12);
    expect(studentTwoSidedP(1, 1)).toBeCloseTo(0.5, 12);
    expect(studentTwoSidedP(-2.5, 200)).toBeCloseTo(0.013223172641700783, 10);
    expect(studentTwoSidedP(0, 5)).toBe(1);
  });

  it('approaches the normal distribution', () => {
    expect(studentTwoSidedP(Z_95, 1e7)).toBeCloseTo(0.05, 6);
  });

  it('computes its special functions', () => {
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(logGamma(10)).toBeCloseTo(Math.log(362_880), 11);
    // I_x(2, 3) = 6x² − 8x³ + 3x⁴
    expect(incompleteBeta(0.3, 2, 3)).toBeCloseTo(0.3483, 12);
    expect(incompleteBeta(0.9, 2, 3)).toBeCloseTo(0.9963, 12);
  });
});

describe('bucketRate', () => {
  it('matches a hand-computed variance', () => {
    // R = 10/40; residuals 2.5, −1.5, −1; 3/2 · 9.5 / 40² = 0.00890625, binomial 0.0046875.
    const rate = bucketRate(10, 40, [5, 1, 4, 0], [10, 10, 20, 0])!;
    expect(rate.rate).toBe(0.25);
    expect(rate.buckets).toBe(3);
    expect(rate.designEffect).toBeCloseTo(1.9, 12);
    expect(rate.variance).toBeCloseTo(0.00890625, 14);
  });

  it('scales the binomial variance of unbucketed trials too', () => {
    const rate = bucketRate(20, 80, [5, 1, 4], [10, 10, 20])!;
    expect(rate.rate).toBe(0.25);
    expect(rate.variance).toBeCloseTo((1.9 * 0.25 * 0.75) / 80, 14);
  });

  it('keeps at least the binomial variance', () => {
    const rate = bucketRate(10, 40, [5, 5], [20, 20])!;
    expect(rate.designEffect).toBe(1);
    expect(rate.variance).toBeCloseTo((0.25 * 0.75) / 40, 14);
    expect(bucketWilsonInterval(rate)).toEqual(wilsonInterval(10, 40));
  });

  it('widens the Wilson interval by the design effect', () => {
    const rate = bucketRate(10, 40, [5, 1, 4], [10, 10, 20])!;
    const interval = bucketWilsonInterval(rate);
    const effective = wilsonInterval(10 / 1.9, 40 / 1.9);
    expect(interval.rate).toBe(0.25);
    expect(interval.low).toBeCloseTo(effective.low, 12);
    expect(interval.high).toBeCloseTo(effective.high, 12);
    expect(interval.high - interval.low).toBeGreaterThan(wilsonInterval(10, 40).high - wilsonInterval(10, 40).low);
  });

  it('needs two buckets', () => {
    expect(bucketRate(5, 10, [5, 0], [10, 0])).toBeNull();
    expect(bucketRate(0, 0, [], [])).toBeNull();
  });
});

describe('bucketTest', () => {
  it('matches SciPy', () => {
    const treatment = { rate: 0.25, trials: 40, variance: 0.00890625, designEffect: 1.9, buckets: 3 };
    const control = { rate: 0.15, trials: 100, variance: 0.002, designEffect: 1, buckets: 5 };
    const test = bucketTest(treatment, control)!;
    expect(test.t).toBeCloseTo(0.9575517970982429, 12);
    expect(test.df).toBeCloseTo(2.9253419475700406, 12);
    expect(test.pValue).toBeCloseTo(0.41055891425365754, 10);
    expect(bucketTest({ ...treatment, variance: 0 }, { ...control, variance: 0 })).toBeNull();
  });

  it('keeps the A/A false positive rate', () => {
    // 400 simulated A/A experiments of 300 devices that see 20 lists and click with their own
    // probability (0.05 or 0.4), so one device's exposures are alike.
    const rates = simulateAaRuns({ runs: 400, devices: 300, lists: 20, ctrs: [0.05, 0.4], alpha: 0.05, seed: 20261205 });
    // At the nominal 5 %, 400 runs give a standard error of about 1.1 points.
    expect(rates.bucketTest).toBeGreaterThan(0.02);
    expect(rates.bucketTest).toBeLessThan(0.09);
    expect(rates.exposureTest).toBeGreaterThan(0.2);
  });
});
