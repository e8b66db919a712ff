/**
 * Experiment exposures counted when a list is seen (experimentExposure 'seen'), when
 * recommend() returns it ('returned'), or when seen for lists the page watches and on return for
 * the others ('auto', the default), through the built SDK in Chromium and a real companion: the
 * counts at GET /v1/experiments/outcomes before and after a list below the fold is scrolled into
 * view, for pages that watch every list, none, or some.
 */
import { expect, test, type Page } from '@playwright/test';
import type { FastifyInstance } from 'fastify';
import type { Aisle, AisleOptions, ExposureTracker } from '../../src/client/index.js';
import { AUTO_EXPOSURE_GRACE_MS } from '../../src/client/experiments.js';
import { createServer } from '../../src/server/app.js';
import { parseConfig } from '../../src/server/config.js';
import type { OutcomesResponse, VariantOutcomes } from '../../src/server/experiments/outcomes.js';
import { ensureSdkBuild, ensureTrainedModels, startSite, type Running } from './fixtures/sdk-environment.js';

declare global {
  interface Window {
    AisleSdk: typeof import('../../src/client/index.js');
    aisle: Aisle;
    tracker: ExposureTracker;
    /** Trackers of the lists that showList() watches, by element id. */
    trackers: Record<string, ExposureTracker>;
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
  const { name: _name, buckets: _buckets, ...counts } = body.experiments[0].variants[0];
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
  await openAisle(page, { experimentExposure: 'seen' });
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
  await openAisle(page, { experimentExposure: 'seen' });
  const before = await popular();
  const rankingId = await renderBelowFold(page, true);
  // The shopper clicked before any item passed the visibility rule: the click proves the list was seen.
  await trackFromList(page, 'click', rankingId);
  await settleLiveEvents(page);
  expect(await page.evaluate(() => window.tracker.records().length)).toBe(0);
  expect(await popular()).toEqual({ ...before, exposures: before.exposures + 1, click: before.click + 1 });
});

test('unobserved list counts nothing when seen', async ({ page }) => {
  await openAisle(page, { experimentExposure: 'seen' });
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

/**
 * Calls recommend() and renders its items 3000 px below everything on the page, in a list with
 * element id `elementId` named by the ranking id, and watches it with observeExposure (minVisibleMs
 * 0) when `watch` is set. All in one step on the page, so the page starts watching well within
 * the grace period of 'auto' mode. Returns the ranking id.
 */
async function showList(page: Page, elementId: string, watch: boolean): Promise<string> {
  return page.evaluate(async ({ elementId, watch }) => {
    const result = await window.aisle.recommend({ k: 5 });
    if (result.degraded || result.rankingId === undefined) throw new Error(`recommend() returned no ranked list: ${JSON.stringify(result.degraded)}`);
    document.body.style.margin = '0';
    const spacer = document.createElement('div');
    spacer.style.height = '3000px';
    const list = document.createElement('ul');
    list.id = elementId;
    list.dataset.aisleList = result.rankingId;
    list.style.cssText = 'margin:0;padding:0;list-style:none';
    for (const item of result.items) {
      const row = document.createElement('li');
      row.dataset.aisleItem = item.id;
      row.style.height = '100px';
      row.textContent = item.id;
      list.append(row);
    }
    document.body.append(spacer, list);
    window.trackers ??= {};
    if (watch) window.trackers[elementId] = window.aisle.observeExposure(list, { minVisibleMs: 0 });
    return result.rankingId;
  }, { elementId, watch });
}

/** Scrolls a list of showList() into view and waits until its tracker recorded all five items. */
async function scrollToWatched(page: Page, elementId: string): Promise<void> {
  await page.evaluate((id) => document.getElementById(id)!.scrollIntoView(), elementId);
  await expect.poll(() => page.evaluate((id) => window.trackers[id].records().length, elementId)).toBe(5);
}

// Waits past the grace period of 'auto' mode, then until the page sent every queued live event.
async function afterGrace(page: Page): Promise<void> {
  await page.waitForTimeout(AUTO_EXPOSURE_GRACE_MS + 500);
  await settleLiveEvents(page);
}

test('auto mode counts watched lists when seen', async ({ page }) => {
  await openAisle(page);
  const before = await popular();
  await showList(page, 'recs', true);
  await afterGrace(page);
  expect(await popular()).toEqual(before);

  await scrollToWatched(page, 'recs');
  await settleLiveEvents(page);
  expect(await popular()).toEqual({ ...before, exposures: before.exposures + 1 });
});

test('auto mode counts unwatched lists on return', async ({ page }) => {
  await openAisle(page);
  const before = await popular();
  await showList(page, 'recs', false);
  await showList(page, 'recs-2', false);
  await expect.poll(async () => (await popular()).exposures, { timeout: 15_000 }).toBe(before.exposures + 2);

  // Seeing a list later adds nothing.
  await page.evaluate(() => document.getElementById('recs')!.scrollIntoView());
  await afterGrace(page);
  expect(await popular()).toEqual({ ...before, exposures: before.exposures + 2 });
});

test('auto mode counts mixed pages', async ({ page }) => {
  await openAisle(page);
  const before = await popular();
  const watched = await showList(page, 'recs', true);
  await showList(page, 'recs-2', false);
  await afterGrace(page);
  expect(await popular()).toEqual({ ...before, exposures: before.exposures + 1 });

  await scrollToWatched(page, 'recs');
  await page.evaluate((listId) => window.aisle.track({ type: 'click', itemId: document.querySelector<HTMLElement>('#recs [data-aisle-item]')!.dataset.aisleItem!, listId }), watched);
  await settleLiveEvents(page);
  expect(await popular()).toEqual({ ...before, exposures: before.exposures + 2, click: before.click + 1 });
});

test('auto mode counts a list when the page hides', async ({ page }) => {
  await openAisle(page);
  const before = await popular();
  // The page goes away right after recommend(), before anything could watch the list.
  await showList(page, 'recs', false);
  await page.goto(`${site.url}/blank.html`);
  await expect.poll(async () => (await popular()).exposures, { timeout: 15_000 }).toBe(before.exposures + 1);
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
  expect(error).toEqual({ code: 'AISLE_INVALID_ARGUMENT', message: 'createAisle(): option experimentExposure must be \'auto\', \'seen\' or \'returned\'; got "viewed".' });
});
