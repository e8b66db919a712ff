import { describe, expect, it } from 'vitest';
import { answerList, clickProbability, demoCatalog, drawShopper, expectedClick } from '../../scripts/bench/adaptation-shoppers.js';
import { answerClick, tasteMatch } from '../../scripts/bench/conversion-model.js';
import { describeRows, type RowRecord, type ShopperSession } from '../../scripts/bench/experiment-browser-rows.js';
import { describeRateVerdict, describeVerdict, liftInterval, shopperLevelTest } from '../../scripts/bench/experiment-summary.js';

import { buildReport } from '../../src/cli/report.js';
import type { OutcomesResponse } from '../../src/server/experiments/outcomes.js';

function outcomes(control: [number, number], treatment: [number, number]): OutcomesResponse {
  return {
    windowMs: 1_800_000,
    experiments: [
      {
        name: 'personalized-vs-popular',
        variants: [
          { name: 'popular', exposures: control[0], click: control[1], add_to_cart: 0, purchase: 0 },
          { name: 'personalized', exposures: treatment[0], click: treatment[1], add_to_cart: 0, purchase: 0 },
        ],
      },
    ],
  };
}

describe('liftInterval', () => {
  it('returns the Katz log interval of the rate ratio', () => {
    // p1 = 0.3, p0 = 0.2: log(1.5) ± 1.96 · sqrt(0.7 / 60 + 0.8 / 40) = 0.405465 ± 0.348778.
    const interval = liftInterval(60, 200, 40, 200)!;
    expect(interval.lift).toBeCloseTo(0.5, 12);
    expect(interval.low).toBeCloseTo(0.0583245, 6);
    expect(interval.high).toBeCloseTo(1.1260021, 6);
  });

  it('is symmetric on the log scale for equal rates', () => {
    const interval = liftInterval(50, 200, 50, 200)!;
    expect(interval.lift).toBe(0);
    expect(interval.low).toBeCloseTo(-0.2878564, 6);
    expect(Math.log(1 + interval.high)).toBeCloseTo(-Math.log(1 + interval.low), 12);
  });

  it('returns null without successes', () => {
    expect(liftInterval(0, 10, 3, 10)).toBeNull();
    expect(liftInterval(3, 10, 0, 10)).toBeNull();
    expect(liftInterval(3, 0, 3, 10)).toBeNull();
  });
});

describe('describeVerdict', () => {
  it('states a significant lift', () => {
    const rows = buildReport(outcomes([200, 40], [200, 60]));
    expect(describeVerdict(rows[0], 40, rows[1], 60, 0.05)).toBe('personalized vs popular: CTR 30.0% vs 20.0%, lift +50.0% [95% CI +5.8%, +112.6%], p = 0.0209, significant at alpha = 0.05.');
  });

  it('bounds a p-value below 0.0001', () => {
    const rows = buildReport(outcomes([3980, 859], [4020, 1140]));
    expect(describeVerdict(rows[0], 859, rows[1], 1140, 0.05)).toBe('personalized vs popular: CTR 28.4% vs 21.6%, lift +31.4% [95% CI +21.7%, +41.9%], p < 0.0001, significant at alpha = 0.05.');
  });

  it('states a difference that is not significant', () => {
    const rows = buildReport(outcomes([1000, 300], [1000, 310]));
    expect(describeVerdict(rows[0], 300, rows[1], 310, 0.05)).toBe('personalized vs popular: CTR 31.0% vs 30.0%, lift +3.3% [95% CI -9.5%, +18.0%], p = 0.6272, not significant at alpha = 0.05.');
  });

  it('states that no test ran without control exposures', () => {
    const rows = buildReport(outcomes([0, 0], [100, 10]));
    expect(describeVerdict(rows[0], 0, rows[1], 10, 0.05)).toBe('personalized vs popular: CTR 10.0% vs 0.0%, lift n/a, no test (a variant has no exposures or no variance).');
  });
});

describe('shopperLevelTest', () => {
  it('returns the Welch statistic of the means', () => {
    // Means 0.45 and 0.2, variances 0.05 / 3 and 0.02 / 3: standard error sqrt(0.035 / 6) = 0.0763763.
    const test = shopperLevelTest([0.3, 0.5, 0.4, 0.6], [0.2, 0.3, 0.1, 0.2])!;
    expect(test.difference).toBeCloseTo(0.25, 12);
    expect(test.halfWidth).toBeCloseTo(0.1496947, 6);
    expect(test.z).toBeCloseTo(3.2732684, 6);
    expect(test.pValue).toBeCloseTo(0.0010632, 6);
  });

  it('returns null for fewer than 2 shoppers', () => {
    expect(shopperLevelTest([0.1], [0.2, 0.3])).toBeNull();
    expect(shopperLevelTest([0.2, 0.3], [0.1])).toBeNull();
  });

  it('returns null without variance', () => {
    expect(shopperLevelTest([0.2, 0.2], [0.1, 0.1])).toBeNull();
  });
});

describe('describeRateVerdict', () => {
  it('states a conversion lift', () => {
    const rows = buildReport({
      windowMs: 1_800_000,
      experiments: [
        {
          name: 'personalized-vs-popular',
          variants: [
            { name: 'popular', exposures: 2000, click: 400, add_to_cart: 150, purchase: 60 },
            { name: 'personalized', exposures: 2000, click: 500, add_to_cart: 220, purchase: 90 },
          ],
        },
      ],
    });
    // Katz interval: log(1.5) ± 1.96 · sqrt(0.955 / 90 + 0.97 / 60); pooled z = 0.015 / sqrt(0.0375 · 0.9625 / 1000) = 2.4968.
    expect(describeRateVerdict('conversion', rows[0], 60, rows[1], 90, 0.05)).toBe('personalized vs popular: conversion 4.5% vs 3.0%, lift +50.0% [95% CI +8.8%, +106.7%], p = 0.0125, significant at alpha = 0.05.');
  });
});

describe('answerClick', () => {
  const catalog = demoCatalog();
  const shopper = drawShopper(catalog, 5000, 5);
  const items = Array.from({ length: 300 }, (_, i) => i * 10);

  it('converts only with positive probabilities', () => {
    for (const item of items) {
      expect(answerClick(catalog, shopper, 0, item, { pCart: 0, pBuy: 1 })).toEqual({ addToCart: false, purchase: false });
      expect(answerClick(catalog, shopper, 0, item, { pCart: 1, pBuy: 0 }).purchase).toBe(false);
    }
  });

  it('uses common random numbers', () => {
    let carts = 0;
    for (const item of items) {
      const half = answerClick(catalog, shopper, 3, item, { pCart: 0.5, pBuy: 0.4 });
      const full = answerClick(catalog, shopper, 3, item, { pCart: 1, pBuy: 0.4 });
      // The same draws: a cart at half the probability is a cart at the full one too.
      if (half.addToCart) expect(full.addToCart).toBe(true);
      if (half.purchase) expect(half.addToCart).toBe(true);
      if (full.addToCart) carts += 1;
    }
    const meanMatch = items.reduce((sum, item) => sum + tasteMatch(catalog, shopper, item), 0) / items.length;
    // 300 Bernoulli draws around the mean match: within 4 standard deviations.
    expect(Math.abs(carts / items.length - meanMatch)).toBeLessThan(4 * Math.sqrt(0.25 / items.length));
  });
});

describe('answerList', () => {
  const catalog = demoCatalog();
  const shopper = drawShopper(catalog, 5001, 5);
  // The 12 items the shopper likes best of the first 600: a list it clicks often.
  const liked = Array.from({ length: 600 }, (_, i) => i)
    .sort((a, b) => clickProbability(catalog, shopper.taste, b, 0.03) - clickProbability(catalog, shopper.taste, a, 0.03))
    .slice(0, 12);
  const model = { gamma: 0.03, fatigue: 1 };

  it('skips opened items with revisit 0', () => {
    const clicked = new Set<number>();
    let clicks = 0;
    for (let step = 0; step < 200; step++) {
      const baseline = answerList(catalog, shopper, step, liked, model, new Map());
      if (baseline.clicked === undefined) continue;
      clicks += 1;
      const item = liked[baseline.clicked];
      clicked.add(item);
      const again = answerList(catalog, shopper, step, liked, { ...model, revisit: 0 }, new Map(), new Set([item]));
      // The same draws: the walk passes the opened item and goes on down the list.
      expect(again.examined).toContain(baseline.clicked);
      expect(again.clicked).not.toBe(baseline.clicked);
      if (again.clicked !== undefined) expect(again.clicked).toBeGreaterThan(baseline.clicked);
      // Without a revisit factor the opened set changes nothing.
      expect(answerList(catalog, shopper, step, liked, model, new Map(), new Set([item]))).toEqual(baseline);
    }
    expect(clicks).toBeGreaterThan(50);
    expect(clicked.size).toBeGreaterThan(1);
  });

  it('never clicks a fully opened list', () => {
    for (let step = 0; step < 50; step++) {
      expect(answerList(catalog, shopper, step, liked, { ...model, revisit: 0 }, new Map(), new Set(liked)).clicked).toBeUndefined();
    }
  });
});

describe('expectedClick', () => {
  const catalog = demoCatalog();
  const shopper = drawShopper(catalog, 5002, 5);

  it('equals one item\'s click probability', () => {
    expect(expectedClick(catalog, shopper, [17], 0.03)).toBeCloseTo(clickProbability(catalog, shopper.taste, 17, 0.03), 12);
  });

  it('matches the simulated click rate', () => {
    // Ten items of the shopper's main category, so that clicks are frequent enough to count.
    const items = catalog.byCategory[shopper.taste.categories[0]].slice(0, 10);
    let clicks = 0;
    const steps = 4000;
    for (let step = 0; step < steps; step++) if (answerList(catalog, shopper, step, items, { gamma: 0.03, fatigue: 1 }, new Map()).clicked !== undefined) clicks += 1;
    const expected = expectedClick(catalog, shopper, items, 0.03);
    expect(expected).toBeGreaterThan(0.05);
    expect(Math.abs(clicks / steps - expected)).toBeLessThan(4 * Math.sqrt((expected * (1 - expected)) / steps));
  });
});

describe('describeRows', () => {
  const row = (state: string, expected: number, overlap: number, code?: string): RowRecord => ({ state, ...(code ? { code } : {}), events: 1, popularOverlap: overlap, expectedClick: expected, opened: 0, ids: [] });
  const session = (variant: string, rows: RowRecord[]): ShopperSession => ({ seed: 1, variant, rankings: [], clicks: 0, unrankedRows: 0, rows, engine: { backend: 'wasm', degraded: 'no' } });

  it('sums the rows per variant', () => {
    const lines = describeRows([
      session('popular', [row('personalized', 0.4, 12), row('personalized', 0.2, 12)]),
      session('personalized', [row('personalized', 0.6, 1), row('fallback', 0.3, 12, 'AISLE_TIMEOUT')]),
      session('popular', [row('personalized', 0.3, 12)]),
    ]);
    expect(lines).toEqual([
      'popular: 3 rows, 0 fallback rows, expected click 0.300, 12.0 trending items per row',
      'personalized: 2 rows, 1 fallback rows (AISLE_TIMEOUT), expected click 0.450, 6.5 trending items per row',
    ]);
  });
});
