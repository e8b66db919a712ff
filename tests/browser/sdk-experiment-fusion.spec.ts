/**
 * The `fusion` change of an experiment variant, applied by search() through the built SDK in
 * Chromium against a real companion: the POST /v1/search body the companion received and the
 * `debug` section of its response. A variant whose `modelVersion` the companion does not serve
 * is skipped, so its `rrf` fusion never applies, and info() reports why.
 */
import { expect, test, type Page } from '@playwright/test';
import type { FastifyInstance } from 'fastify';
import type { Aisle, AisleOptions } from '../../src/client/index.js';
import type { SearchRequest, SearchResponse } from '../../src/core/types.js';
import { createServer } from '../../src/server/app.js';
import { parseConfig } from '../../src/server/config.js';
import { startRecordingProxy, type RecordingProxy } from './fixtures/recording-proxy.js';
import { ensureSdkBuild, ensureTrainedModels, startSite, type Running } from './fixtures/sdk-environment.js';

declare global {
  interface Window {
    AisleSdk: typeof import('../../src/client/index.js');
    aisle: Aisle;
  }
}

// The weight of the 'weighted-20-80' arm puts every device in it (bucket < 9999.99).
const CONFIG = parseConfig(
  {
    experiments: [
      {
        name: 'search-fusion',
        salt: 'fusion-test',
        variants: [
          { name: 'weighted-20-80', weight: 1_000_000, changes: { fusion: { method: 'weighted', bm25: 0.2, vector: 0.8 } } },
          { name: 'rrf', weight: 1, changes: { fusion: { method: 'rrf' } } },
        ],
      },
      // A model set the companion does not serve: the device reports it and skips the variant.
      {
        name: 'next-models',
        salt: 'fusion-test',
        variants: [
          { name: 'next', weight: 1_000_000, changes: { modelVersion: 'v-next', fusion: { method: 'rrf' } } },
          { name: 'current', weight: 1 },
        ],
      },
    ],
  },
  'sdk-experiment-fusion.spec.ts',
);

let companion: FastifyInstance;
let proxy: RecordingProxy;
let site: Running;
let query: string;

test.beforeAll(async () => {
  test.setTimeout(900_000);
  ensureSdkBuild();
  companion = await createServer({ modelsDir: ensureTrainedModels(), live: CONFIG.live });
  await companion.listen({ host: '127.0.0.1', port: 0 });
  const address = companion.server.address();
  proxy = await startRecordingProxy(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
  site = await startSite();

  // A word of a catalog title, so BM25 has hits as well as the vector search and the fusion runs.
  const trending = (await (await fetch(`${proxy.url}/v1/trending?k=1`)).json()) as { items: Array<{ id: string }> };
  const items = (await (await fetch(`${proxy.url}/v1/items?ids=${encodeURIComponent(trending.items[0].id)}`)).json()) as { items: Array<{ title?: string }> };
  query = (items.items[0].title ?? '').split(/\s+/).find((part) => part.length > 3) ?? 'lipstick';
});

test.afterAll(async () => {
  await proxy?.close();
  await companion?.close();
  await site?.close();
});

// Bodies of POST /v1/search that reached the companion, and its responses, in arrival order.
function searches(): Array<{ received: SearchRequest; answered: SearchResponse }> {
  return proxy.exchanges
    .filter((exchange) => exchange.method === 'POST' && exchange.url === '/v1/search')
    .map((exchange) => ({ received: JSON.parse(exchange.requestBody) as SearchRequest, answered: JSON.parse(exchange.responseBody) as SearchResponse }));
}

test.beforeEach(() => {
  proxy.exchanges.length = 0;
});

async function openAisle(page: Page, options: Omit<AisleOptions, 'endpoint'>): Promise<void> {
  await page.goto(`${site.url}/esm.html`);
  await page.waitForFunction(() => window.AisleSdk !== undefined);
  await page.evaluate(async (opts) => {
    window.aisle = await window.AisleSdk.createAisle(opts);
  }, { ...options, endpoint: proxy.url });
}

test('variant fusion reaches the companion', async ({ page }) => {
  await openAisle(page, { timeoutMs: 20_000, storage: 'memory' });
  const view = await page.evaluate(() => window.aisle.experiments());
  expect(view.assignments.map((entry) => entry.variant)).toEqual(['weighted-20-80', 'next']);

  const result = await page.evaluate((text) => window.aisle.search(text, { k: 5 }), query);
  expect(result.degraded).toBeUndefined();
  expect(result.items.length).toBeGreaterThan(0);

  const calls = searches();
  expect(calls).toHaveLength(1);
  expect(calls[0].received.fusion).toBe('weighted');
  expect(calls[0].received.weights).toEqual({ bm25: 0.2, vector: 0.8 });
  expect(calls[0].answered.debug.method).toBe('weighted');
  expect(calls[0].answered.debug.weights).toEqual({ bm25: 0.2, vector: 0.8 });
});

test('call options override variant fusion', async ({ page }) => {
  await openAisle(page, { timeoutMs: 20_000, storage: 'memory' });

  await page.evaluate((text) => window.aisle.search(text, { k: 5, fusion: 'rrf' }), query);
  await page.evaluate((text) => window.aisle.search(text, { k: 5, fusion: 'weighted', weights: { bm25: 0.9, vector: 0.1 } }), query);

  const calls = searches();
  expect(calls).toHaveLength(2);
  expect(calls[0].received.fusion).toBe('rrf');
  expect(calls[0].received.weights).toBeUndefined();
  expect(calls[0].answered.debug.method).toBe('rrf');
  expect(calls[0].answered.debug.weights).toBeUndefined();
  expect(calls[1].received.weights).toEqual({ bm25: 0.9, vector: 0.1 });
  expect(calls[1].answered.debug.weights).toEqual({ bm25: 0.9, vector: 0.1 });
});

test('experiments false keeps companion fusion', async ({ page }) => {
  await openAisle(page, { timeoutMs: 20_000, storage: 'memory', experiments: false });
  await page.evaluate((text) => window.aisle.search(text, { k: 5 }), query);

  const calls = searches();
  expect(calls).toHaveLength(1);
  expect(calls[0].received.fusion).toBeUndefined();
  expect(calls[0].received.weights).toBeUndefined();
  // The companion's default for models with a search ranker is the learned fusion, without weights.
  expect(calls[0].answered.debug.method).toBe('learned');
  expect(calls[0].answered.debug.weights).toBeUndefined();
});

test('invalid weights reject with a typed error', async ({ page }) => {
  await openAisle(page, { timeoutMs: 20_000, storage: 'memory' });
  const error = await page.evaluate(async (text) => {
    try {
      await window.aisle.search(text, { fusion: 'rrf', weights: { bm25: 0.5, vector: 0.5 } });
      return null;
    } catch (caught) {
      return { code: (caught as { code?: string }).code, message: (caught as Error).message };
    }
  }, query);
  expect(error).toEqual({ code: 'AISLE_INVALID_ARGUMENT', message: "search(): options.weights applies only to fusion 'weighted'; got fusion \"rrf\". Remove weights or set fusion: 'weighted'." });
  const calls = searches();
  expect(calls).toHaveLength(0);
});

test('unserved modelVersion shows in info', async ({ page }) => {
  await openAisle(page, { timeoutMs: 20_000, storage: 'memory' });
  const info = await page.evaluate(() => window.aisle.info());
  const issues = info.degraded.filter((entry) => entry.code === 'AISLE_MODEL_VERSION_UNAVAILABLE');
  expect(issues).toHaveLength(1);
  expect(issues[0].reason).toMatch(/^Variant next of experiment next-models asks for model set version "v-next", but the companion serves model set version "[^"]+"\. /);
  const view = await page.evaluate(() => window.aisle.experiments());
  expect(view.assignments[1].degraded).toEqual(issues[0]);

  // The recommendation is tagged for the applied experiment only.
  const result = await page.evaluate(() => window.aisle.recommend({ k: 5 }));
  expect(result.rankingId).toMatch(/^[0-9a-f-]{36}$/);
});
