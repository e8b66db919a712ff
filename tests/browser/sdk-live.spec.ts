/**
 * Live signals and stats() of the built SDK in Chromium against the real companion. Events leave
 * the page with sendBeacon when it is closed and with fetch when a batch is full, and they reach
 * the companion's counters. stats() reports the calls the page made.
 */
import { expect, test, type Page } from '@playwright/test';
import type { Aisle, AisleOptions, AisleStats } from '../../src/client/index.js';
import type { ItemsResponse as CompanionItems } from '../../src/core/types.js';
import { closedPortUrl, ensureSdkBuild, ensureTrainedModels, startCompanion, startSite, type Running } from './fixtures/sdk-environment.js';

declare global {
  interface Window {
    AisleSdk: typeof import('../../src/client/index.js');
    aisle: Aisle;
  }
}

let companion: Running;
let site: Running;
let deadEndpoint: string;
let popular: string[];

test.beforeAll(async () => {
  // The first run trains the models (about two minutes); later runs reuse them.
  test.setTimeout(900_000);
  ensureSdkBuild();
  companion = await startCompanion(ensureTrainedModels());
  site = await startSite();
  deadEndpoint = await closedPortUrl();
  const body = (await (await fetch(`${companion.url}/v1/trending?k=60`)).json()) as { items: Array<{ id: string }> };
  popular = body.items.map((item) => item.id);
});

test.afterAll(async () => {
  await companion?.close();
  await site?.close();
});

async function openAisle(page: Page, options: AisleOptions): Promise<void> {
  await page.goto(`${site.url}/esm.html`);
  await page.waitForFunction(() => window.AisleSdk !== undefined);
  await page.evaluate(async (opts) => {
    window.aisle = await window.AisleSdk.createAisle(opts);
  }, options);
}

async function track(page: Page, type: string, ids: string[]): Promise<void> {
  await page.evaluate(
    async ({ eventType, items }) => {
      for (const itemId of items) await window.aisle.track({ type: eventType as 'view', itemId });
    },
    { eventType: type, items: ids },
  );
}

async function liveOf(id: string): Promise<{ views: number; clicks: number }> {
  const body = (await (await fetch(`${companion.url}/v1/items?ids=${encodeURIComponent(id)}`)).json()) as CompanionItems;
  const live = body.items[0]?.live;
  return { views: live?.views ?? -1, clicks: live?.clicks ?? -1 };
}

const stats = (page: Page): Promise<AisleStats> => page.evaluate(() => window.aisle.stats());

test('closing the page sends queued events with sendBeacon', async ({ page }) => {
  const item = popular[40];
  await openAisle(page, { endpoint: companion.url, timeoutMs: 20_000, storage: 'memory', liveEvents: { maxBatch: 100, flushMs: 600_000 } });
  await track(page, 'view', [item, item, item]);
  expect((await stats(page)).liveEvents).toEqual({ queued: 3, sentEvents: 0, fetchBatches: 0, beaconBatches: 0, failedBatches: 0 });
  expect((await liveOf(item)).views).toBe(0);

  // Leaving the page fires pagehide, and the beacon outlives the page.
  await page.goto(`${site.url}/blank.html`);
  // Decayed from the minute the events were rounded to: a little under 3.
  await expect.poll(async () => (await liveOf(item)).views, { timeout: 10_000 }).toBeGreaterThan(2.9);
  expect((await liveOf(item)).views).toBeLessThanOrEqual(3);
});

test('a full batch goes out with fetch', async ({ page }) => {
  const item = popular[41];
  await openAisle(page, { endpoint: companion.url, timeoutMs: 20_000, storage: 'memory', liveEvents: { maxBatch: 2, flushMs: 600_000 } });
  await track(page, 'click', [item, item]);
  await expect.poll(async () => (await stats(page)).liveEvents?.fetchBatches, { timeout: 10_000 }).toBe(1);
  await expect.poll(async () => (await liveOf(item)).clicks, { timeout: 10_000 }).toBeGreaterThan(1.9);
  expect((await stats(page)).liveEvents).toEqual({ queued: 0, sentEvents: 2, fetchBatches: 1, beaconBatches: 0, failedBatches: 0 });
});

test('liveEvents false sends nothing', async ({ page }) => {
  const item = popular[42];
  await openAisle(page, { endpoint: companion.url, timeoutMs: 20_000, storage: 'memory', liveEvents: false });
  await track(page, 'view', [item]);
  expect((await stats(page)).liveEvents).toBeNull();
  await page.goto(`${site.url}/blank.html`);

  // A later page with live events on: once its beacon is counted, an earlier one would be too.
  const marker = popular[43];
  await openAisle(page, { endpoint: companion.url, timeoutMs: 20_000, storage: 'memory' });
  await track(page, 'view', [marker]);
  await page.goto(`${site.url}/blank.html`);
  await expect.poll(async () => (await liveOf(marker)).views, { timeout: 10_000 }).toBeGreaterThan(0.9);
  expect((await liveOf(item)).views).toBe(0);
});

test('stats reports latency, backend and cache', async ({ page }) => {
  await openAisle(page, { endpoint: companion.url, timeoutMs: 20_000, storage: 'memory', liveEvents: false });
  await track(page, 'view', popular.slice(0, 2));
  for (let i = 0; i < 3; i++) await page.evaluate(() => window.aisle.recommend({ k: 5 }));
  await page.evaluate((items) => window.aisle.rank(items), popular.slice(2, 8));

  const result = await stats(page);
  expect(result.backend).toBe('wasm');
  expect(['js', 'ort']).toContain(result.ranker);
  expect(result.calls.track.count).toBe(2);
  expect(result.calls.recommend.count).toBe(3);
  expect(result.calls.rank.count).toBe(1);
  expect(result.calls.search).toBeUndefined();
  const latency = result.calls.recommend;
  expect(latency.degraded).toBe(0);
  expect(latency.p50).toBeGreaterThan(0);
  expect(latency.p50).toBeLessThanOrEqual(latency.p95);
  expect(latency.p95).toBeLessThanOrEqual(latency.p99);
  expect(latency.p99).toBeLessThanOrEqual(latency.max);
  // The first recommend fetches candidates; the later ones reuse them for the same user vector.
  expect(result.cache.hits + result.cache.misses).toBe(3);
  expect(result.cache.hits).toBeGreaterThanOrEqual(1);
  expect(result.cache.hitRatio).toBe(result.cache.hits / 3);
  expect(result.degraded).toEqual({});
});

test('stats counts degraded results by code', async ({ page }) => {
  await openAisle(page, { endpoint: deadEndpoint, timeoutMs: 3000, storage: 'memory', liveEvents: false });
  const result = await page.evaluate(() => window.aisle.recommend({ k: 5 }));
  expect(result.degraded?.code).toMatch(/^AISLE_/);
  const counted = await stats(page);
  expect(counted.calls.recommend).toMatchObject({ count: 1, degraded: 1, errors: 0 });
  expect(counted.degraded).toEqual({ [result.degraded!.code]: 1 });
  expect(counted.backend).toBeNull();
});
