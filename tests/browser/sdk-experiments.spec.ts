/**
 * Experiments through the built SDK in Chromium and a real companion with experiments in its
 * config: on-device assignment from a persisted anonymous device id, the variant applied by
 * recommend(), and exposures and outcomes counted per variant on the companion.
 */
import { expect, test, type Page } from '@playwright/test';
import type { FastifyInstance } from 'fastify';
import type { Aisle, AisleOptions } from '../../src/client/index.js';
import { assignVariant, deviceBucket } from '../../src/core/experiments.js';
import { createServer } from '../../src/server/app.js';
import { parseConfig } from '../../src/server/config.js';
import type { OutcomesResponse } from '../../src/server/experiments/outcomes.js';
import { ensureSdkBuild, ensureTrainedModels, startSite, type Running } from './fixtures/sdk-environment.js';

declare global {
  interface Window {
    AisleSdk: typeof import('../../src/client/index.js');
    aisle: Aisle;
  }
}

// The control arm skips the ranker. Its weight makes every device land in it (bucket < 9999.99),
// so the test can check what the variant changes.
const CONFIG = parseConfig(
  {
    experiments: [{ name: 'home-row', salt: 'browser-test', variants: [{ name: 'popular', weight: 1_000_000, changes: { ranker: false } }, { name: 'personal', weight: 1 }] }],
  },
  'sdk-experiments.spec.ts',
);
const EXPERIMENT = CONFIG.live.experiments![0];

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

async function openAisle(page: Page, options: AisleOptions): Promise<void> {
  await page.goto(`${site.url}/esm.html`);
  await page.waitForFunction(() => window.AisleSdk !== undefined);
  await page.evaluate(async (opts) => {
    window.aisle = await window.AisleSdk.createAisle(opts);
  }, options);
}

async function outcomes(): Promise<OutcomesResponse['experiments'][number]['variants']> {
  const body = (await (await fetch(`${endpoint}/v1/experiments/outcomes`)).json()) as OutcomesResponse;
  return body.experiments[0].variants;
}

test('assigns on the device and keeps the id across reloads', async ({ page }) => {
  await openAisle(page, { endpoint, timeoutMs: 20_000 });
  const first = await page.evaluate(() => window.aisle.experiments());
  expect(first.error).toBeUndefined();
  expect(first.deviceId).toMatch(/^[0-9a-f-]{36}$/);
  expect(first.assignments).toEqual([{ experiment: 'home-row', variant: assignVariant(EXPERIMENT, first.deviceId!).name, changes: { ranker: false } }]);

  await openAisle(page, { endpoint, timeoutMs: 20_000 });
  expect((await page.evaluate(() => window.aisle.experiments())).deviceId).toBe(first.deviceId);

  await page.evaluate(() => window.aisle.forget());
  const after = await page.evaluate(() => window.aisle.experiments());
  expect(after.deviceId).not.toBe(first.deviceId);
  expect(after.deviceId).toMatch(/^[0-9a-f-]{36}$/);
});

test('applies the variant and counts its outcomes', async ({ page }) => {
  // 'returned' counts the list without rendering it. The 'seen' default has its own tests.
  await openAisle(page, { endpoint, timeoutMs: 20_000, storage: 'memory', liveEvents: { maxBatch: 100, flushMs: 600_000 }, experimentExposure: 'returned' });
  const result = await page.evaluate(() => window.aisle.recommend({ k: 5 }));
  expect(result.degraded).toBeUndefined();
  expect(result.rankingId).toMatch(/^[0-9a-f-]{36}$/);
  // ranker: false keeps the retrieval order, whose scores are 1 − i/n.
  expect(result.items[0].score).toBe(1);

  const clicked = result.items[1].id;
  await page.evaluate(({ itemId, listId }) => window.aisle.track({ type: 'click', itemId, listId }), { itemId: clicked, listId: result.rankingId! });
  const { deviceId } = await page.evaluate(() => window.aisle.experiments());
  await page.goto(`${site.url}/blank.html`);

  await expect.poll(async () => (await outcomes())[0].exposures, { timeout: 10_000 }).toBe(1);
  const [popular, personal] = await outcomes();
  expect({ ...popular, buckets: undefined }).toEqual({ name: 'popular', exposures: 1, click: 1, add_to_cart: 0, purchase: 0, buckets: undefined });
  expect({ ...personal, buckets: undefined }).toEqual({ name: 'personal', exposures: 0, click: 0, add_to_cart: 0, purchase: 0, buckets: undefined });
  // The exposure and its click are counted in the bucket of the device.
  const bucket = deviceBucket(deviceId!);
  expect(popular.buckets!.exposures[bucket]).toBe(1);
  expect(popular.buckets!.click[bucket]).toBe(1);
});

test('experiments load the experiment chunk', async ({ page }) => {
  const requested: string[] = [];
  page.on('request', (request) => requested.push(request.url()));
  await openAisle(page, { endpoint, timeoutMs: 20_000, storage: 'memory' });
  expect(requested.filter((url) => /\/sdk\/aisle\.experiment-runtime-[\w-]+\.js$/.test(url))).toHaveLength(1);
  expect((await page.evaluate(() => window.aisle.experiments())).assignments).toHaveLength(1);
});

test('experiments false keeps the device out', async ({ page }) => {
  await openAisle(page, { endpoint, timeoutMs: 20_000, storage: 'memory', experiments: false });
  expect(await page.evaluate(() => window.aisle.experiments())).toEqual({ deviceId: null, assignments: [] });
  const result = await page.evaluate(() => window.aisle.recommend({ k: 5 }));
  expect(result.rankingId).toBeUndefined();
});
