/**
 * The experiment driver end to end: simulated shoppers in new Chromium contexts on the built demo,
 * the real companion with an experiment in its config, and GET /v1/experiments/outcomes compared
 * with what the driver recorded, shopper by shopper.
 */
import { expect, test } from '@playwright/test';
import { ensureNativeAddon } from '../../demo/node/models.js';
import { demoCatalog } from '../../scripts/bench/adaptation-shoppers.js';
import { runBrowserExperiment, type BrowserExperimentResult } from '../../scripts/bench/experiment-browser-run.js';
import { EXPERIMENTS } from '../../scripts/bench/experiment-companion.js';

const log = (line: string) => console.log(`[experiment driver] ${line}`);
const options = { views: 3, past: 2, seed: 7100, model: { gamma: 0.03, fatigue: 0.5, revisit: 0 }, alpha: 0.05, concurrency: 2, log };

/** Sums the driver's sessions per variant. */
function recordedCounts(result: BrowserExperimentResult): Map<string, { exposures: number; clicks: number; shoppers: number }> {
  const counts = new Map<string, { exposures: number; clicks: number; shoppers: number }>();
  for (const session of result.sessions) {
    const entry = counts.get(session.variant) ?? { exposures: 0, clicks: 0, shoppers: 0 };
    entry.exposures += session.rankings.length;
    entry.clicks += session.clicks;
    entry.shoppers += 1;
    counts.set(session.variant, entry);
  }
  return counts;
}

test.beforeAll(() => {
  ensureNativeAddon(log);
});

test('A/A run counts exactly what shoppers did', async () => {
  // Builds the demo first when its sources changed.
  test.setTimeout(600_000);
  const experiment = EXPERIMENTS.find((entry) => entry.key === 'aa')!;
  const result = await runBrowserExperiment(experiment, demoCatalog(), { ...options, shoppers: 6 });

  expect(result.sessions.map((session) => session.seed)).toEqual([7100, 7101, 7102, 7103, 7104, 7105]);
  for (const session of result.sessions) {
    expect(['A', 'B']).toContain(session.variant);
    // The load row, one row per past product, then `views` rows: every one has a ranking id.
    expect(session.unrankedRows).toBe(0);
    expect(session.rankings).toHaveLength(1 + options.past + options.views);
    expect(new Set(session.rankings).size).toBe(session.rankings.length);
  }

  expect(result.mismatches).toEqual([]);
  const recorded = recordedCounts(result);
  const counted = result.outcomes.experiments.find((entry) => entry.name === experiment.name)!.variants;
  expect(counted.map((variant) => variant.name)).toEqual(['A', 'B']);
  for (const variant of counted) {
    const mine = recorded.get(variant.name) ?? { exposures: 0, clicks: 0, shoppers: 0 };
    expect(variant.exposures, `exposures of ${variant.name}`).toBe(mine.exposures);
    expect(variant.click, `clicks of ${variant.name}`).toBe(mine.clicks);
  }
  expect(counted.reduce((sum, variant) => sum + variant.exposures, 0)).toBe(6 * (1 + options.past + options.views));

  expect(result.rows.map((row) => row.variant)).toEqual(['A', 'B']);
  expect(result.rows[0].exposures).toBe(counted[0].exposures);
  expect(result.verdict).toMatch(/^B vs A: CTR /);
});
