/**
 * Cold start: milliseconds from navigation start to the first recommend() result of a page that
 * creates the engine as it loads (the /cold.html page of the benchmark site).
 *
 * - cached: a returning shopper. A first visit tracked a few views and left the models, the
 *   profile and the candidates in IndexedDB and the SDK files in the HTTP cache. Each measured
 *   visit is a new page of the same browser context.
 * - empty: a first visit in a new browser context, so the SDK, the ORT wasm and the models are
 *   downloaded from 127.0.0.1.
 */
import type { BrowserContext } from 'playwright-core';
import type { BrowserBenchEnv, Log } from './browser-environment.js';
import { newBenchContext, waitForOrt } from './browser-environment.js';
import { shuffledIds } from './browser-latency.js';
import { median } from './browser-stats.js';

/** One measured page load. */
export interface ColdStartVisit {
  /** SDK module imported. */
  importedMs: number;
  /** createAisle() resolved: worker started, storage opened, profile restored. */
  createdMs: number;
  /** First recommend() resolved. */
  answeredMs: number;
  /**
   * Model loading stages in the worker, in ms from the start of model loading, which begins
   * during createAisle(). createdMs + loadTimes.ort is a slight overestimate of when ORT was ready.
   */
  loadTimes: { files?: number; jsRanker?: number; ort?: number };
  degraded: string | null;
}

/** Visits and medians of both cold-start cases. */
export interface ColdStartResult {
  cached: ColdStartVisit[];
  empty: ColdStartVisit[];
  cachedMedianMs: number;
  emptyMedianMs: number;
}

/** Loads /cold.html `cachedVisits` times with a warm device and `emptyVisits` times with an empty one. */
export async function measureColdStart(env: BrowserBenchEnv, cachedVisits: number, emptyVisits: number, log: Log): Promise<ColdStartResult> {
  const cached: ColdStartVisit[] = [];
  const returning = await newBenchContext(env.browser);
  try {
    const first = await visit(returning, env, true);
    log(`browser: first visit ${first.answeredMs.toFixed(0)} ms to the first result`);
    for (let i = 0; i < cachedVisits; i++) cached.push(await visit(returning, env, false));
  } finally {
    await returning.close();
  }
  log(`browser: cold start with cached models, median ${median(cached.map((v) => v.answeredMs)).toFixed(0)} ms over ${cached.length} page loads`);

  const empty: ColdStartVisit[] = [];
  for (let i = 0; i < emptyVisits; i++) {
    const fresh = await newBenchContext(env.browser);
    try {
      empty.push(await visit(fresh, env, false));
    } finally {
      await fresh.close();
    }
  }
  log(`browser: cold start with an empty cache, median ${median(empty.map((v) => v.answeredMs)).toFixed(0)} ms over ${empty.length} page loads`);
  return { cached, empty, cachedMedianMs: median(cached.map((v) => v.answeredMs)), emptyMedianMs: median(empty.map((v) => v.answeredMs)) };
}

/** Loads the cold-start page once; with `prepare`, also tracks a history and waits for ORT. */
async function visit(context: BrowserContext, env: BrowserBenchEnv, prepare: boolean): Promise<ColdStartVisit> {
  const page = await context.newPage();
  try {
    await page.goto(`${env.site.url}/cold.html?endpoint=${encodeURIComponent(env.companion.url)}`);
    await page.waitForFunction(() => (window as { coldStart?: unknown }).coldStart !== undefined, null, { timeout: 30_000 });
    const measured = await page.evaluate(() => (window as unknown as { coldStart: { imported: number; created: number; answered: number; degraded: { reason: string } | null } }).coldStart);
    if (prepare) {
      await page.evaluate(async (ids) => {
        for (const itemId of ids) await window.aisle.track({ type: 'view', itemId });
        // Fills the candidate cache for the profile that later visits restore.
        await window.aisle.recommend({ k: 10 });
      }, shuffledIds(env).slice(0, 5));
    }
    // Each visit waits for ORT, so the next one starts from a settled device (models stored).
    const loadTimes = await waitForOrt(page);
    await page.evaluate(() => window.aisle.destroy());
    return {
      importedMs: measured.imported,
      createdMs: measured.created,
      answeredMs: measured.answered,
      loadTimes,
      degraded: measured.degraded?.reason ?? null,
    };
  } finally {
    await page.close();
  }
}
