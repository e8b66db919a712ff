/**
 * True exposure and on-device adaptation in Chromium: observeExposure() on a scrolled page with
 * Playwright's fake clock (so visible times are exact), and the adaptation's persistence in
 * IndexedDB across a reload and its erasure by forget().
 */
import { expect, test, type Page } from '@playwright/test';
import type { Aisle, ExposureRecord, ExposureTracker, ProfileView } from '../../src/client/index.js';
import { ensureSdkBuild, ensureTrainedModels, startCompanion, startSite, type Running } from './fixtures/sdk-environment.js';

declare global {
  interface Window {
    AisleSdk: typeof import('../../src/client/index.js');
    aisle: Aisle;
    tracker: ExposureTracker;
    /** Items that a test-owned IntersectionObserver last saw at least half visible. */
    visibleNow: Set<string>;
  }
}

let companion: Running;
let site: Running;
let trending: string[];

test.beforeAll(async () => {
  test.setTimeout(900_000);
  ensureSdkBuild();
  companion = await startCompanion(ensureTrainedModels());
  site = await startSite();
  const body = (await (await fetch(`${companion.url}/v1/trending?k=20`)).json()) as { items: Array<{ id: string }> };
  trending = body.items.map((item) => item.id);
});

test.afterAll(async () => {
  await companion?.close();
  await site?.close();
});

async function openAisle(page: Page, options: Record<string, unknown>): Promise<void> {
  await page.goto(`${site.url}/esm.html`);
  await page.waitForFunction(() => window.AisleSdk !== undefined);
  await page.evaluate(async (opts) => {
    window.aisle = await window.AisleSdk.createAisle(opts as never);
  }, { endpoint: companion.url, timeoutMs: 20_000, ...options });
}

/**
 * Starts the test's own IntersectionObserver on every `[data-aisle-item]` row. Called after the
 * tracker's `ready`, so the tracker's observer exists first and observes each row no later than this one.
 */
async function watchRows(page: Page): Promise<void> {
  await page.evaluate(() => {
    window.visibleNow = new Set();
    const probe = new IntersectionObserver((entries) => {
      for (const entry of entries) {
        const id = (entry.target as HTMLElement).dataset.aisleItem!;
        if (entry.intersectionRatio >= 0.5) window.visibleNow.add(id);
        else window.visibleNow.delete(id);
      }
    }, { threshold: [0, 0.499, 0.5] });
    for (const row of document.querySelectorAll('[data-aisle-item]')) probe.observe(row);
  });
}

/** Scrolls the window and waits until the browser delivered the intersections of the new position. */
async function scrollTo(page: Page, y: number, expectedVisible: string[]): Promise<void> {
  await page.evaluate((top) => window.scrollTo(0, top), y);
  await expect.poll(() => page.evaluate(() => [...window.visibleNow].sort())).toEqual([...expectedVisible].sort());
}

test('observeExposure records exactly the items seen long enough', async ({ page }) => {
  await page.setViewportSize({ width: 800, height: 600 });
  await page.clock.install({ time: new Date('2026-12-05T00:00:00Z') });
  await openAisle(page, { storage: 'memory' });
  // The page's clock is paused from here on and moves only by runFor().
  await page.clock.pauseAt(new Date('2026-12-05T01:00:00Z'));
  const ids = trending.slice(0, 10);
  await page.evaluate((items) => {
    document.body.style.margin = '0';
    const list = document.createElement('ul');
    list.dataset.aisleList = 'recs';
    list.style.cssText = 'margin:0;padding:0;list-style:none';
    for (const id of items) {
      const row = document.createElement('li');
      row.dataset.aisleItem = id;
      row.style.height = '200px';
      row.textContent = id;
      list.append(row);
    }
    document.body.append(list);
    window.tracker = window.aisle.observeExposure(list, { minVisibleMs: 1000 });
  }, ids);
  // The observers' code loads on the first call of a page, and the clock must not move before.
  await page.evaluate(() => window.tracker.ready);
  await watchRows(page);

  // Rows 0-2 fill the 600 px viewport.
  await expect.poll(() => page.evaluate(() => [...window.visibleNow].sort())).toEqual(ids.slice(0, 3).sort());
  await page.clock.runFor(999);
  expect(await page.evaluate(() => window.tracker.records())).toEqual([]);
  await page.clock.runFor(1);
  const first = await page.evaluate(() => window.tracker.records());
  expect(first.map((record) => [record.itemId, record.position, record.listId, record.visibleMs])).toEqual([
    [ids[0], 0, 'recs', 1000],
    [ids[1], 1, 'recs', 1000],
    [ids[2], 2, 'recs', 1000],
  ]);

  // At 750 px, row 3 shows 50 of its 200 px; rows 4-6 count. They leave after 500 ms.
  await scrollTo(page, 750, ids.slice(4, 7));
  await page.clock.runFor(500);
  await scrollTo(page, 1400, ids.slice(7, 10));
  await page.clock.runFor(1000);

  const records: ExposureRecord[] = await page.evaluate(() => window.tracker.records());
  expect(records.map((record) => record.position)).toEqual([0, 1, 2, 7, 8, 9]);
  expect(records.map((record) => record.visibleMs)).toEqual([1000, 1000, 1000, 1000, 1000, 1000]);
  await page.clock.runFor(250);
  expect((await page.evaluate(() => window.tracker.records())).map((record) => record.visibleMs)).toEqual([1000, 1000, 1000, 1250, 1250, 1250]);

  // The worker stored one impression per seen slot, with the list and the slot.
  await expect.poll(async () => (await page.evaluate(() => window.aisle.profile())).events.filter((event) => event.type === 'impression').length).toBe(6);
  const profile: ProfileView = await page.evaluate(() => window.aisle.profile());
  const impressions = profile.events.filter((event) => event.type === 'impression').map((event) => [event.itemId, event.listId, event.position]);
  expect(impressions.sort()).toEqual([0, 1, 2, 7, 8, 9].map((i) => [ids[i], 'recs', i]).sort());

  // After disconnect nothing more is recorded.
  await page.evaluate(() => window.tracker.disconnect());
  await scrollTo(page, 0, ids.slice(0, 3));
  await page.clock.runFor(2000);
  expect(await page.evaluate(() => window.tracker.records().length)).toBe(6);
});

test('observeExposure pauses while the page is hidden', async ({ page }) => {
  await page.setViewportSize({ width: 800, height: 600 });
  await page.clock.install({ time: new Date('2026-12-05T00:00:00Z') });
  await openAisle(page, { storage: 'memory' });
  await page.clock.pauseAt(new Date('2026-12-05T01:00:00Z'));
  const ids = trending.slice(0, 2);
  await page.evaluate((items) => {
    document.body.style.margin = '0';
    const list = document.createElement('div');
    for (const id of items) {
      const row = document.createElement('div');
      row.dataset.aisleItem = id;
      row.style.height = '200px';
      list.append(row);
    }
    document.body.append(list);
    window.tracker = window.aisle.observeExposure(list, { listId: 'hidden-test' });
  }, ids);
  await page.evaluate(() => window.tracker.ready);
  await watchRows(page);
  await expect.poll(() => page.evaluate(() => window.visibleNow.size)).toBe(2);

  const setHidden = (hidden: boolean) =>
    page.evaluate((value) => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (value ? 'hidden' : 'visible') });
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);
  await page.clock.runFor(600);
  await setHidden(true);
  await page.clock.runFor(1000);
  expect(await page.evaluate(() => window.tracker.records())).toEqual([]);

  // Visible again: the one-second stretch starts over.
  await setHidden(false);
  await page.clock.runFor(999);
  expect(await page.evaluate(() => window.tracker.records())).toEqual([]);
  await page.clock.runFor(1);
  const records = await page.evaluate(() => window.tracker.records());
  expect(records.map((record) => [record.itemId, record.listId, record.position, record.visibleMs])).toEqual([
    [ids[0], 'hidden-test', 0, 1600],
    [ids[1], 'hidden-test', 1, 1600],
  ]);
});

test('observeExposure rejects invalid options', async ({ page }) => {
  await openAisle(page, { storage: 'memory' });
  const errors = await page.evaluate(() => {
    const attempt = (run: () => unknown) => {
      try {
        run();
        return 'no error';
      } catch (error) {
        return `${(error as { code?: string }).code}: ${(error as Error).message}`;
      }
    };
    return [
      attempt(() => window.aisle.observeExposure(document.body, { threshold: 0 })),
      attempt(() => window.aisle.observeExposure(document.body, { minVisibleMs: -1 })),
      attempt(() => window.aisle.observeExposure('list' as never)),
    ];
  });
  expect(errors).toEqual([
    'AISLE_INVALID_ARGUMENT: observeExposure(): threshold must be a number in (0, 1]; got 0.',
    'AISLE_INVALID_ARGUMENT: observeExposure(): minVisibleMs must be milliseconds from 0 to 60000; got -1.',
    'AISLE_INVALID_ARGUMENT: observeExposure(): container must be a DOM element that contains the list items; got "list".',
  ]);
});

test('observeExposure ready rejects without its chunk', async ({ page }) => {
  await openAisle(page, { storage: 'memory' });
  await page.route('**/aisle.exposure-observer-*.js', (route) => route.abort('connectionrefused'));
  const outcome = await page.evaluate(async () => {
    const list = document.createElement('ul');
    document.body.append(list);
    const tracker = window.aisle.observeExposure(list, { listId: 'offline' });
    const error = await tracker.ready.then(() => null, (reason: { code?: string; message: string }) => reason);
    tracker.disconnect();
    return { listId: tracker.listId, records: tracker.records(), code: error?.code, message: error?.message };
  });
  expect(outcome).toMatchObject({ listId: 'offline', records: [], code: 'AISLE_NOT_FOUND' });
  expect(outcome.message).toMatch(/^observeExposure\(\): loading the code of the observers failed: .*aisle\.exposure-observer-.*\.js.*; deploy every file of dist\/sdk next to aisle\.js\.$/);
});

test('adaptation survives a reload and forget() erases it', async ({ page }) => {
  const options = { adaptation: { skipAfterMs: 60_000 }, dbName: `adaptation-${Date.now()}` };
  await openAisle(page, options);
  const learned = await page.evaluate(async (items) => {
    const ranked = await window.aisle.rank(items);
    const shown = ranked.items.slice(0, 4).map((item) => item.id);
    for (const [position, itemId] of shown.entries()) await window.aisle.track({ type: 'impression', itemId, listId: 'recs', position });
    await window.aisle.track({ type: 'click', itemId: shown[2], listId: 'recs', position: 2 });
    return (await window.aisle.profile()).adaptation;
  }, trending.slice(0, 8));
  expect(learned?.clicks).toBe(1);
  expect(learned?.skips).toBe(3);
  expect(learned?.featureWeights.some((weight) => weight !== 0)).toBe(true);
  const manifest = (await (await fetch(`${companion.url}/models/manifest.json`)).json()) as { dim: number };
  expect(learned?.vectorWeights).toHaveLength(manifest.dim);

  await openAisle(page, options);
  expect(await page.evaluate(async () => (await window.aisle.profile()).adaptation)).toEqual(learned);

  await page.evaluate(() => window.aisle.forget());
  expect(await page.evaluate(async () => (await window.aisle.profile()).adaptation)).toBeNull();
  await openAisle(page, options);
  expect(await page.evaluate(async () => (await window.aisle.profile()).adaptation)).toBeNull();
});
