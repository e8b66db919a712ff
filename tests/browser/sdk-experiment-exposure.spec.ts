/**
 * Experiment exposures counted when the shopper sees a list (experimentExposure 'seen', the
 * default) or when recommend() returns it ('returned'), through the built SDK in Chromium and a
 * real companion: the counts at GET /v1/experiments/outcomes before and after a list below the
 * fold is scrolled into view.
 */
import { expect, test, type Page } from '@playwright/test';
import type { FastifyInstance } from 'fastify';
import type { Aisle, AisleOptions, ExposureTracker } from '../../src/client/index.js';
import { createServer } from '../../src/server/app.js';
import { parseConfig } from '../../src/server/config.js';
import type { OutcomesResponse, VariantOutcomes } from '../../src/server/experiments/outcomes.js';
import { ensureSdkBuild, ensureTrainedModels, startSite, type Running } from './fixtures/sdk-environment.js';

declare global {
  interface Window {
    AisleSdk: typeof import('../../src/client/index.js');
    aisle: Aisle;
    tracker: ExposureTracker;
    /** Whether a test-owned IntersectionObserver last saw the list's first item at least half visible. */
    firstVisible: boolean | undefined;
  }
}

// The weight of 'popular' puts every device in it (bucket < 9999.99).
const CONFIG = parseConfig(
  { experiments: [{ name: 'home-row', salt: 'exposure-test', variants: [{ name: 'popular', weight: 1_000_000, changes: { ranker: false } }, { name: 'personal', weight: 1 }] }] },
  'sdk-experiment-exposure.spec.ts',
);

let companion: FastifyInstance;
let endpoint: string;
let site: Running;

test.beforeAll(async () => {
  test.setTimeout(900_000);
  ensureSdkBuild();
  companion = await createServer({ modelsDir: ensureTrainedModels(), live: CONFIG.live });
  await companion.listen({ host: '127.0.0.1', port: 0 });
  const address = companion.server.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  site = await startSite();
});

test.afterAll(async () => {
  await companion?.close();
  await site?.close();
});

// Every live event goes out on its own at once (maxBatch 1), so a settled send queue means the
// companion has counted everything the page queued.
async function openAisle(page: Page, options: Partial<AisleOptions> = {}): Promise<void> {
  await page.setViewportSize({ width: 800, height: 600 });
  await page.goto(`${site.url}/esm.html`);
  await page.waitForFunction(() => window.AisleSdk !== undefined);
  await page.evaluate(async (opts) => {
    window.aisle = await window.AisleSdk.createAisle(opts);
  }, { endpoint, timeoutMs: 20_000, storage: 'memory' as const, liveEvents: { maxBatch: 1, flushMs: 600_000 }, ...options });
}

/** Counts of the 'popular' arm; every device of these tests is in it. */
async function popular(): Promise<VariantOutcomes> {
  const body = (await (await fetch(`${endpoint}/v1/experiments/outcomes`)).json()) as OutcomesResponse;
  const { name: _name, ...counts } = body.experiments[0].variants[0];
  return counts;
}

/**
 * Waits until the page handed every queued live event to fetch and the companion responded.
 * stats() waits for the worker's info(), which can take seconds while it still loads the models
 * on a busy machine, hence the long bound.
 */
async function settleLiveEvents(page: Page): Promise<void> {
  await expect.poll(async () => {
    const { liveEvents } = await page.evaluate(() => window.aisle.stats());
    return liveEvents !== null && liveEvents.queued === 0 && liveEvents.fetchBatches + liveEvents.failedBatches === liveEvents.sentEvents;
  }, { timeout: 30_000 }).toBe(true);
}

/**
 * Renders the recommended items as a list 3000 px below the top of the page, named by the
 * ranking id, and returns the ranking id. `observe` starts observeExposure on it with
 * minVisibleMs 0, after the browser reported the list's first (invisible) intersection.
 */
async function renderBelowFold(page: Page, observe: boolean): Promise<string> {
  const result = await page.evaluate(() => window.aisle.recommend({ k: 5 }));
  expect(result.degraded).toBeUndefined();
  expect(result.rankingId).toMatch(/^[0-9a-f-]{36}$/);
  await page.evaluate(({ rankingId, ids }) => {
    document.body.style.margin = '0';
    const spacer = document.createElement('div');
    spacer.style.height = '3000px';
    const list = document.createElement('ul');
    list.id = 'recs';
    list.dataset.aisleList = rankingId;
    list.style.cssText = 'margin:0;padding:0;list-style:none';
    for (const id of ids) {
      const row = document.createElement('li');
      row.dataset.aisleItem = id;
      row.style.height = '100px';
      row.textContent = id;
      list.append(row);
    }
    document.body.append(spacer, list);
    window.firstVisible = undefined;
    new IntersectionObserver((entries) => {
      for (const entry of entries) window.firstVisible = entry.intersectionRatio >= 0.5;
    }, { threshold: [0, 0.5] }).observe(list.firstElementChild!);
  }, { rankingId: result.rankingId!, ids: result.items.map((item) => item.id) });
  await expect.poll(() => page.evaluate(() => window.firstVisible)).toBe(false);
  if (observe) await page.evaluate(() => (window.tracker = window.aisle.observeExposure(document.getElementById('recs')!, { minVisibleMs: 0 })));
  return result.rankingId!;
}

async function trackFromList(page: Page, type: 'click' | 'add_to_cart', rankingId: string): Promise<void> {
  await page.evaluate(({ type, listId }) => {
    const itemId = document.querySelector<HTMLElement>('#recs [data-aisle-item]')!.dataset.aisleItem!;
    return window.aisle.track({ type, itemId, listId });
  }, { type, listId: rankingId });
}

test('unseen list counts no exposure', async ({ page }) => {
  await openAisle(page);
  const before = await popular();
  const rankingId = await renderBelowFold(page, true);
  // A view event goes through the same queue, so once it is counted nothing else is pending.
  await page.evaluate(() => window.aisle.track({ type: 'view', itemId: document.querySelector<HTMLElement>('#recs [data-aisle-item]')!.dataset.aisleItem! }));
  await settleLiveEvents(page);
  expect(await page.evaluate(() => window.tracker.records().length)).toBe(0);
  expect((await popular()).exposures).toBe(before.exposures);

  await page.evaluate(() => document.getElementById('recs')!.scrollIntoView());
  await expect.poll(() => page.evaluate(() => window.tracker.records().length)).toBe(5);
  await settleLiveEvents(page);
  expect(await popular()).toEqual({ ...before, exposures: before.exposures + 1 });

  // Scrolling away and back, and outcomes, add no second exposure of the same list.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.evaluate(() => document.getElementById('recs')!.scrollIntoView());
  await trackFromList(page, 'click', rankingId);
  await trackFromList(page, 'add_to_cart', rankingId);
  await settleLiveEvents(page);
  expect(await popular()).toEqual({ ...before, exposures: before.exposures + 1, click: before.click + 1, add_to_cart: before.add_to_cart + 1 });
});

test('click on observed list counts exposure', async ({ page }) => {
  await openAisle(page);
  const before = await popular();
  const rankingId = await renderBelowFold(page, true);
  // The shopper clicked before any item passed the visibility rule: the click proves the list was seen.
  await trackFromList(page, 'click', rankingId);
  await settleLiveEvents(page);
  expect(await page.evaluate(() => window.tracker.records().length)).toBe(0);
  expect(await popular()).toEqual({ ...before, exposures: before.exposures + 1, click: before.click + 1 });
});

test('unobserved list counts nothing when seen', async ({ page }) => {
  await openAisle(page);
  const before = await popular();
  const rankingId = await renderBelowFold(page, false);
  await page.evaluate(() => document.getElementById('recs')!.scrollIntoView());
  await expect.poll(() => page.evaluate(() => window.firstVisible)).toBe(true);
  await trackFromList(page, 'click', rankingId);
  await settleLiveEvents(page);
  expect(await popular()).toEqual(before);
});

test('returned mode counts at recommend', async ({ page }) => {
  await openAisle(page, { experimentExposure: 'returned' });
  const before = await popular();
  await renderBelowFold(page, true);
  await settleLiveEvents(page);
  expect(await page.evaluate(() => window.tracker.records().length)).toBe(0);
  expect(await popular()).toEqual({ ...before, exposures: before.exposures + 1 });

  // The list's own impressions add nothing in this mode.
  await page.evaluate(() => document.getElementById('recs')!.scrollIntoView());
  await expect.poll(() => page.evaluate(() => window.tracker.records().length)).toBe(5);
  await settleLiveEvents(page);
  expect(await popular()).toEqual({ ...before, exposures: before.exposures + 1 });
});

test('invalid experimentExposure rejects', async ({ page }) => {
  await page.goto(`${site.url}/esm.html`);
  await page.waitForFunction(() => window.AisleSdk !== undefined);
  const error = await page.evaluate(async (url) => {
    try {
      await window.AisleSdk.createAisle({ endpoint: url, experimentExposure: 'viewed' as never });
      return null;
    } catch (caught) {
      return { code: (caught as { code?: string }).code, message: (caught as Error).message };
    }
  }, endpoint);
  expect(error).toEqual({ code: 'AISLE_INVALID_ARGUMENT', message: 'createAisle(): option experimentExposure must be \'seen\' or \'returned\'; got "viewed".' });
});
