/**
 * The SDK's fast paths in Chromium against the real companion over trained models. First results
 * come from the ranker compiled to JavaScript, ONNX Runtime runs in its own worker, and the two
 * rankers agree. Concurrent rank() calls are coalesced, and rank() takes up to 1000 ids.
 */
import { expect, test, type Page } from '@playwright/test';
import type { Aisle, AisleInfo, AisleOptions, RankResult } from '../../src/client/index.js';
import { ensureSdkBuild, ensureTrainedModels, startCompanion, startSite, type Running } from './fixtures/sdk-environment.js';

declare global {
  interface Window {
    AisleSdk: typeof import('../../src/client/index.js');
    aisle: Aisle;
  }
}

/** Largest accepted relative difference between JavaScript and ONNX Runtime scores (float32 rounding). */
const AGREEMENT = 1e-5;

let companion: Running;
let site: Running;
let itemIds: string[];

test.beforeAll(async () => {
  test.setTimeout(900_000);
  ensureSdkBuild();
  companion = await startCompanion(ensureTrainedModels());
  site = await startSite();
  const body = (await (await fetch(`${companion.url}/v1/trending?k=300`)).json()) as { items: Array<{ id: string }> };
  itemIds = body.items.map((item) => item.id);
});

test.afterAll(async () => {
  await companion?.close();
  await site?.close();
});

async function openPage(page: Page): Promise<void> {
  await page.goto(`${site.url}/esm.html`);
  await page.waitForFunction(() => window.AisleSdk !== undefined);
}

async function createEngine(page: Page, options: Partial<AisleOptions> = {}): Promise<void> {
  await page.evaluate(async (opts) => {
    window.aisle = await window.AisleSdk.createAisle(opts);
  }, { endpoint: companion.url, timeoutMs: 20_000, storage: 'memory' as const, ...options });
}

const info = (page: Page): Promise<AisleInfo> => page.evaluate(() => window.aisle.info());

test('first and later results agree', async ({ page }) => {
  await openPage(page);
  const first = await page.evaluate(async (endpoint) => {
    const aisle = await window.AisleSdk.createAisle({ endpoint, timeoutMs: 20_000, storage: 'memory' });
    window.aisle = aisle;
    return aisle.recommend({ k: 8 });
  }, companion.url);
  expect(first.degraded).toBeUndefined();
  expect(first.items).toHaveLength(8);

  const state = await info(page);
  expect(state.backend).toBe('wasm');
  expect(state.loadTimes.jsRanker).toBeLessThan(state.loadTimes.ort!);
  expect(state.ranker.timings.js).toBeGreaterThan(0);
  expect(state.ranker.timings.ort).toBeGreaterThan(0);
  expect(state.ranker.difference).toBeLessThanOrEqual(AGREEMENT);
  // The engine and the ONNX Runtime host are two workers of the same script.
  expect(page.workers()).toHaveLength(2);
  for (const worker of page.workers()) expect(worker.url()).toMatch(/aisle\.worker\.js$/);

  // With ONNX Runtime ready the same shopper gets the same items, whichever ranker is kept.
  const later = await page.evaluate(() => window.aisle.recommend({ k: 8 }));
  expect(later.items.map((item) => item.id)).toEqual(first.items.map((item) => item.id));
  later.items.forEach((item, i) => expect(Math.abs(item.score - first.items[i].score)).toBeLessThanOrEqual(AGREEMENT * Math.max(1, Math.abs(item.score))));
});

test('concurrent ORT rank calls share model runs', async ({ page }) => {
  await openPage(page);
  await createEngine(page, { ranker: 'ort' });
  const lists = Array.from({ length: 10 }, (_, i) => itemIds.slice(i * 20, i * 20 + 60));
  const outcome = await page.evaluate(async (given) => {
    await window.aisle.track({ type: 'view', itemId: given[0][0] });
    const sequential: RankResult[] = [];
    for (const list of given) sequential.push(await window.aisle.rank(list));
    const before = (await window.aisle.info()).ranker;
    const together = await Promise.all(given.map((list) => window.aisle.rank(list)));
    const after = (await window.aisle.info()).ranker;
    return { sequential, together, requests: after.requests - before.requests, runs: after.runs - before.runs };
  }, lists);

  expect(outcome.requests).toBe(10);
  // The page's messages reach the worker one by one, so a burst may take more than one run.
  expect(outcome.runs).toBeLessThan(10);
  outcome.together.forEach((result, i) => {
    expect(result.degraded).toBeUndefined();
    expect(result.items).toEqual(outcome.sequential[i].items);
  });
});

test('coalesce false runs each call alone', async ({ page }) => {
  await openPage(page);
  await createEngine(page, { coalesce: false, ranker: 'ort' });
  const outcome = await page.evaluate(async (given) => {
    const before = (await window.aisle.info()).ranker;
    await Promise.all(given.map((list) => window.aisle.rank(list)));
    const after = (await window.aisle.info()).ranker;
    return { requests: after.requests - before.requests, runs: after.runs - before.runs };
  }, [itemIds.slice(0, 30), itemIds.slice(30, 60), itemIds.slice(60, 90)]);
  expect(outcome).toEqual({ requests: 3, runs: 3 });
});

test('rank reorders 1000 ids', async ({ page }) => {
  await openPage(page);
  await createEngine(page);
  const given = [...itemIds, ...Array.from({ length: 1000 - itemIds.length }, (_, i) => `not-in-catalog-${i}`)];
  const result = await page.evaluate((ids) => window.aisle.rank(ids), given);
  expect(result.degraded).toBeUndefined();
  expect(result.items).toHaveLength(1000);
  expect(new Set(result.items.map((item) => item.id)).size).toBe(1000);
  expect(result.items[itemIds.length].score).toBe(Number.NEGATIVE_INFINITY);
});
