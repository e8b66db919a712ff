/**
 * The built SDK (dist/sdk) in Chromium against the real companion over trained models: the
 * worker, ORT-web on wasm, IndexedDB, and every degraded path a store page can meet.
 */
import { expect, test, type Page } from '@playwright/test';
import type { Aisle, AisleInfo, AisleOptions, ProfileView, RankResult } from '../../src/client/index.js';
import { closedPortUrl, corruptedCopy, ensureSdkBuild, ensureTrainedModels, startCompanion, startSite, type Running } from './fixtures/sdk-environment.js';

declare global {
  interface Window {
    AisleSdk: typeof import('../../src/client/index.js');
    Aisle: typeof import('../../src/client/index.js');
    aisle: Aisle;
  }
}

let companion: Running;
let badModelsUrl: string;
let site: Running;
let otherSite: Running;
let deadEndpoint: string;
let trending: string[];

test.beforeAll(async () => {
  // The first run trains the models (about two minutes); later runs reuse them.
  test.setTimeout(900_000);
  ensureSdkBuild();
  const modelsDir = ensureTrainedModels();
  companion = await startCompanion(modelsDir);
  // The companion checks model files when it starts, so the corrupted copy is served statically.
  site = await startSite({ '/bad-models/': corruptedCopy(modelsDir) });
  badModelsUrl = `${site.url}/bad-models/manifest.json`;
  otherSite = await startSite();
  deadEndpoint = await closedPortUrl();
  const body = (await (await fetch(`${companion.url}/v1/trending?k=20`)).json()) as { items: Array<{ id: string }> };
  trending = body.items.map((item) => item.id);
});

test.afterAll(async () => {
  await companion?.close();
  await site?.close();
  await otherSite?.close();
});

/** Opens the ESM test page and creates an engine in it as window.aisle. */
async function openAisle(page: Page, options: AisleOptions): Promise<AisleInfo> {
  await page.goto(`${site.url}/esm.html`);
  await page.waitForFunction(() => window.AisleSdk !== undefined);
  return page.evaluate(async (opts) => {
    window.aisle = await window.AisleSdk.createAisle(opts);
    return window.aisle.info();
  }, options);
}

const recommend = (page: Page, k: number): Promise<RankResult> => page.evaluate((count) => window.aisle.recommend({ k: count }), k);
const profile = (page: Page): Promise<ProfileView> => page.evaluate(() => window.aisle.profile());
const info = (page: Page): Promise<AisleInfo> => page.evaluate(() => window.aisle.info());

async function track(page: Page, ids: string[]): Promise<void> {
  await page.evaluate(async (items) => {
    for (const itemId of items) await window.aisle.track({ type: 'view', itemId });
  }, ids);
}

test('track and recommend return k items', async ({ page }) => {
  await openAisle(page, { endpoint: companion.url, timeoutMs: 20_000 });
  const seen = trending.slice(0, 3);
  await track(page, seen);
  const result = await recommend(page, 8);
  expect(result.degraded).toBeUndefined();
  expect(result.items).toHaveLength(8);
  for (const item of result.items) expect(seen).not.toContain(item.id);
  const scores = result.items.map((item) => item.score);
  expect([...scores].sort((a, b) => b - a)).toEqual(scores);

  const state = await info(page);
  expect(state.backend).toBe('wasm');
  expect(state.backendTimings.wasm).toBeGreaterThan(0);
  expect(state.storage.mode).toBe('indexeddb');
  expect(state.degraded).toEqual([]);
  expect(state.models?.version).toMatch(/\S/);
});

// The lazy chunks of the SDK (names as vite.sdk.config.ts writes them) that a page without
// experiments, observeExposure() and storage 'memory' never requests.
const LAZY_CHUNKS = /\/sdk\/aisle\.(experiment-runtime|exposure-observer|worker\.memory-store)-[\w-]+\.js$/;

test('no experiments load no lazy chunk', async ({ page }) => {
  const requested: string[] = [];
  // Also reports the requests of the worker, which imports the memory-store chunk.
  page.on('request', (request) => requested.push(request.url()));
  await openAisle(page, { endpoint: companion.url, timeoutMs: 20_000 });
  expect((await page.evaluate(() => window.aisle.experiments())).error).toBeUndefined();
  expect((await recommend(page, 5)).rankingId).toBeUndefined();
  expect(requested).toContain(`${companion.url}/v1/experiments`);
  expect(requested.filter((url) => LAZY_CHUNKS.test(url))).toEqual([]);

  // storage 'memory' loads the worker's memory-store chunk, so a missing request above is no blind spot.
  requested.length = 0;
  expect((await openAisle(page, { endpoint: companion.url, timeoutMs: 20_000, storage: 'memory' })).storage.mode).toBe('memory');
  const lazy = requested.filter((url) => LAZY_CHUNKS.test(url));
  expect(lazy).toHaveLength(1);
  expect(lazy[0]).toMatch(/\/sdk\/aisle\.worker\.memory-store-/);
});

test('profile survives a page reload', async ({ page }) => {
  await openAisle(page, { endpoint: companion.url, timeoutMs: 20_000 });
  await track(page, trending.slice(5, 7));
  const before = await profile(page);
  expect(before.events).toHaveLength(2);
  expect(before.userVector?.length).toBeGreaterThan(0);

  await openAisle(page, { endpoint: companion.url, timeoutMs: 20_000 });
  const after = await profile(page);
  expect(after.storage).toBe('indexeddb');
  expect(after.events.map((event) => event.itemId)).toEqual(trending.slice(5, 7));
  expect(after.userVector).toEqual(before.userVector);
  expect(after.vectorVersion).toBe(before.vectorVersion);
});

test('forget empties the profile', async ({ page }) => {
  await openAisle(page, { endpoint: companion.url, timeoutMs: 20_000 });
  await track(page, trending.slice(0, 2));
  await page.evaluate(() => window.aisle.forget());
  const empty = await profile(page);
  expect(empty.events).toEqual([]);
  expect(empty.userVector).toBeNull();

  await openAisle(page, { endpoint: companion.url, timeoutMs: 20_000 });
  const reloaded = await profile(page);
  expect(reloaded.events).toEqual([]);
  expect(reloaded.userVector).toBeNull();
});

test('rank reorders the given items', async ({ page }) => {
  await openAisle(page, { endpoint: companion.url, timeoutMs: 20_000 });
  await track(page, trending.slice(0, 2));
  const given = trending.slice(2, 12);
  const result = await page.evaluate((items) => window.aisle.rank(items), given);
  expect(result.degraded).toBeUndefined();
  expect([...result.items.map((item) => item.id)].sort()).toEqual([...given].sort());
  const empty = await page.evaluate(() => window.aisle.rank([]));
  expect(empty.items).toEqual([]);
});

test('search returns reranked hits', async ({ page }) => {
  await openAisle(page, { endpoint: companion.url, timeoutMs: 20_000 });
  const items = (await (await fetch(`${companion.url}/v1/items?ids=${encodeURIComponent(trending[0])}`)).json()) as { items: Array<{ title?: string }> };
  const word = (items.items[0].title ?? '').split(/\s+/).find((part) => part.length > 3) ?? 'lipstick';
  const result = await page.evaluate((query) => window.aisle.search(query, { k: 5 }), word);
  expect(result.degraded).toBeUndefined();
  expect(result.items.length).toBeGreaterThan(0);
  expect(result.items.length).toBeLessThanOrEqual(5);
});

test('model with wrong sha256 degrades', async ({ page }) => {
  await openAisle(page, { endpoint: companion.url, models: badModelsUrl, timeoutMs: 20_000, storage: 'memory' });
  const result = await recommend(page, 5);
  expect(result.items).toHaveLength(5);
  expect(result.degraded?.code).toBe('AISLE_MODEL_CHECKSUM_MISMATCH');
  const state = await info(page);
  expect(state.backend).toBeNull();
  expect(state.degraded.map((issue) => issue.code)).toContain('AISLE_MODEL_CHECKSUM_MISMATCH');
});

test('no companion gives degraded answers', async ({ page }) => {
  await openAisle(page, { endpoint: deadEndpoint, timeoutMs: 5_000, storage: 'memory' });
  const result = await recommend(page, 5);
  expect(result.items).toEqual([]);
  expect(result.degraded?.code).toBe('AISLE_COMPANION_UNREACHABLE');
  const tracked = await page.evaluate(() => window.aisle.track({ type: 'view', itemId: 'sku-1' }));
  expect(tracked.stored).toBe(true);
  expect(tracked.degraded).toBeDefined();
  const ranked = await page.evaluate(() => window.aisle.rank(['b', 'a', 'c']));
  expect(ranked.items.map((item) => item.id)).toEqual(['b', 'a', 'c']);
  expect(ranked.degraded?.code).toBe('AISLE_COMPANION_UNREACHABLE');
});

test('worker errors reach the page coded', async ({ page }) => {
  await openAisle(page, { endpoint: companion.url, timeoutMs: 20_000, storage: 'memory' });
  const error = await page.evaluate(async () => {
    try {
      await window.aisle.track({ type: 'bogus' } as never);
      return null;
    } catch (caught) {
      const e = caught as InstanceType<typeof window.AisleSdk.AisleError>;
      return { isAisleError: caught instanceof window.AisleSdk.AisleError, code: e.code, message: e.message };
    }
  });
  expect(error).not.toBeNull();
  expect(error?.isAisleError).toBe(true);
  expect(error?.code).toBe('AISLE_INVALID_EVENT');
  expect(error?.message).toContain('event.type');
});

test('destroy rejects pending calls', async ({ page }) => {
  await openAisle(page, { endpoint: companion.url, timeoutMs: 20_000, storage: 'memory' });
  const codes = await page.evaluate(async () => {
    const pending = window.aisle.recommend({ k: 3 }).then(
      () => 'resolved',
      (error: { code?: string }) => error.code,
    );
    await window.aisle.destroy();
    const later = await window.aisle.info().then(
      () => 'resolved',
      (error: { code?: string }) => error.code,
    );
    return { pending: await pending, later };
  });
  expect(codes.pending).toBe('AISLE_DESTROYED');
  expect(codes.later).toBe('AISLE_DESTROYED');
});

test('script tag build from another origin', async ({ page }) => {
  await page.goto(`${site.url}/blank.html`);
  await page.addScriptTag({ url: `${otherSite.url}/sdk/aisle.iife.js` });
  const result = await page.evaluate(async (endpoint) => {
    const aisle = await window.Aisle.createAisle({ endpoint, timeoutMs: 20_000, storage: 'memory' });
    const recommended = await aisle.recommend({ k: 4 });
    const state = await aisle.info();
    await aisle.destroy();
    return { recommended, state };
  }, companion.url);
  expect(result.recommended.degraded).toBeUndefined();
  expect(result.recommended.items).toHaveLength(4);
  expect(result.state.backend).toBe('wasm');
});

test('tabs share one profile', async ({ context }) => {
  const tabA = await context.newPage();
  const tabB = await context.newPage();
  await openAisle(tabA, { endpoint: companion.url, timeoutMs: 20_000, dbName: 'aisle-tabs' });
  await openAisle(tabB, { endpoint: companion.url, timeoutMs: 20_000, dbName: 'aisle-tabs' });
  // Events an hour old: both tabs then compute nearly the same event ages, so the same vector.
  await tabA.evaluate(async (items) => {
    const hourAgo = Date.now() - 3_600_000;
    for (const [i, itemId] of items.entries()) await window.aisle.track({ type: 'view', itemId, timestamp: hourAgo + i });
  }, trending.slice(0, 2));

  // BroadcastChannel delivers the notice asynchronously, so tab B is polled until it arrives.
  await expect.poll(async () => (await profile(tabB)).events.map((event) => event.itemId)).toEqual(trending.slice(0, 2));
  const [vectorA, vectorB] = [(await profile(tabA)).userVector!, (await profile(tabB)).userVector!];
  expect(vectorB).toHaveLength(vectorA.length);
  vectorB.forEach((value, i) => expect(Math.abs(value - vectorA[i])).toBeLessThan(1e-3));
  const result = await recommend(tabB, 10);
  for (const item of result.items) expect(trending.slice(0, 2)).not.toContain(item.id);
});

test('missing worker script degrades every call', async ({ page }) => {
  await page.goto(`${site.url}/esm.html`);
  await page.waitForFunction(() => window.AisleSdk !== undefined);
  const outcome = await page.evaluate(async (endpoint) => {
    const aisle = await window.AisleSdk.createAisle({ endpoint, workerUrl: '/sdk/no-such-worker.js', timeoutMs: 5_000 });
    const recommended = await aisle.recommend({ k: 3 });
    const ranked = await aisle.rank(['c', 'a', 'b']);
    const tracked = await aisle.track({ type: 'view', itemId: 'sku-1', eventId: 'e-1' });
    const state = await aisle.info();
    const profileError = await aisle.profile().then(
      () => null,
      (error: { code?: string }) => error.code,
    );
    return { recommended, ranked, tracked, state, profileError };
  }, companion.url);

  expect(outcome.recommended.items).toEqual([]);
  expect(outcome.recommended.degraded?.code).toBe('AISLE_WORKER_FAILED');
  expect(outcome.ranked.items.map((item) => item.id)).toEqual(['c', 'a', 'b']);
  expect(outcome.tracked).toMatchObject({ eventId: 'e-1', stored: false });
  expect(outcome.state.backend).toBeNull();
  expect(outcome.state.degraded.map((issue) => issue.code)).toEqual(['AISLE_WORKER_FAILED']);
  expect(outcome.profileError).toBe('AISLE_WORKER_FAILED');
});

test('missing memory-store chunk degrades every call', async ({ page }) => {
  await page.route('**/sdk/aisle.worker.memory-store-*.js', (route) => route.abort('connectionrefused'));
  await openAisle(page, { endpoint: companion.url, timeoutMs: 20_000, storage: 'memory' });
  const outcome = await page.evaluate(async () => {
    const ranked = await window.aisle.rank(['c', 'a', 'b']);
    const state = await window.aisle.info();
    const profileError = await window.aisle.profile().then(
      () => null,
      (error: { code?: string }) => error.code,
    );
    return { ranked, state, profileError };
  });

  expect(outcome.ranked.items.map((item) => item.id)).toEqual(['c', 'a', 'b']);
  expect(outcome.ranked.degraded?.code).toBe('AISLE_WORKER_FAILED');
  expect(outcome.state.degraded).toHaveLength(1);
  expect(outcome.state.degraded[0].code).toBe('AISLE_WORKER_FAILED');
  expect(outcome.state.degraded[0].reason).toMatch(/^Starting the Aisle engine failed: Loading the code of the in-memory store failed: .+; deploy every file of dist\/sdk next to aisle\.js\.$/);
  expect(outcome.profileError).toBe('AISLE_WORKER_FAILED');
});
