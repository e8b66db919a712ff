/**
 * Experiment assignment and report statistics against hand-computed values. The hashes were
 * computed independently (FNV-1a then the MurmurHash3 finalizer, in Python), and the interval and
 * test values with Python's statistics.NormalDist.
 */
import { describe, expect, it } from 'vitest';
import { normalCdf, relativeLift, twoProportionZTest, wilsonInterval, Z_95 } from '../../src/core/experiment-stats.js';
import { assignVariant, hash32, parseExperiments, type Experiment } from '../../src/core/experiments.js';

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
