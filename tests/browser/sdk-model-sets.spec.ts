/**
 * An A/B test of two model versions end to end: the built SDK in Chromium and a real companion
 * that serves the demo models as its default set and a second set under /versions/<version>.
 * The second set is a copy of the demo models with another version and the popularity of every
 * item reversed, so a shopper without history gets other items from it. A device in the variant
 * with that modelVersion loads the second set, and a device in the other variant the default one.
 */
import { expect, test, type Page } from '@playwright/test';
import type { FastifyInstance } from 'fastify';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_MODELS_DIR, ensureNativeAddon } from '../../demo/node/models.js';
import type { Aisle, AisleOptions } from '../../src/client/index.js';
import { RETRIEVAL } from '../../src/core/candidates.js';
import { assignVariant } from '../../src/core/experiments.js';
import type { CatalogFileEntry } from '../../src/core/model-dir.js';
import { createServer } from '../../src/server/app.js';
import { parseConfig, type CompanionConfig } from '../../src/server/config.js';
import type { OutcomesResponse } from '../../src/server/experiments/outcomes.js';
import { ensureSdkBuild, startSite, type Running } from './fixtures/sdk-environment.js';

declare global {
  interface Window {
    AisleSdk: typeof import('../../src/client/index.js');
    aisle: Aisle;
  }
}

const CANDIDATE = 'demo-reversed';
const CANDIDATE_DIR = join(tmpdir(), `aisle-model-sets-${process.pid}`);
const DEFAULT_VERSION = (JSON.parse(readFileSync(join(DEMO_MODELS_DIR, 'manifest.json'), 'utf8')) as { version: string }).version;

let config: CompanionConfig;
let companion: FastifyInstance;
let endpoint: string;
let site: Running;

/** Writes the candidate set: the demo models with version CANDIDATE and 1 − popularity per item. */
function writeCandidateSet(): void {
  mkdirSync(CANDIDATE_DIR, { recursive: true });
  for (const file of readdirSync(DEMO_MODELS_DIR)) copyFileSync(join(DEMO_MODELS_DIR, file), join(CANDIDATE_DIR, file));
  const manifest = JSON.parse(readFileSync(join(CANDIDATE_DIR, 'manifest.json'), 'utf8')) as { version: string };
  writeFileSync(join(CANDIDATE_DIR, 'manifest.json'), JSON.stringify({ ...manifest, version: CANDIDATE }));
  const items = JSON.parse(readFileSync(join(CANDIDATE_DIR, 'items.json'), 'utf8')) as CatalogFileEntry[];
  for (const item of items) item.stats = { ...item.stats, popularity: 1 - (item.stats?.popularity ?? 0) };
  writeFileSync(join(CANDIDATE_DIR, 'items.json'), JSON.stringify(items));
}

/** Ids of the `count` most popular items of a models directory's items.json. */
function mostPopular(modelsDir: string, count: number): Set<string> {
  const items = JSON.parse(readFileSync(join(modelsDir, 'items.json'), 'utf8')) as CatalogFileEntry[];
  return new Set([...items].sort((a, b) => (b.stats?.popularity ?? 0) - (a.stats?.popularity ?? 0)).slice(0, count).map((item) => item.id));
}

test.beforeAll(async () => {
  test.setTimeout(600_000);
  ensureSdkBuild();
  ensureNativeAddon(() => undefined);
  writeCandidateSet();
  config = parseConfig(
    {
      experiments: [{ name: 'models', salt: 'model-sets-test', variants: [{ name: 'current', changes: { modelVersion: DEFAULT_VERSION } }, { name: 'candidate', changes: { modelVersion: CANDIDATE } }] }],
      modelSets: { [CANDIDATE]: CANDIDATE_DIR },
    },
    'sdk-model-sets.spec.ts',
  );
  companion = await createServer({ modelsDir: DEMO_MODELS_DIR, modelSets: config.modelSets, live: config.live, metrics: { processMetrics: false } });
  await companion.listen({ host: '127.0.0.1', port: 0 });
  const address = companion.server.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  site = await startSite();
});

test.afterAll(async () => {
  await companion?.close();
  await site?.close();
  rmSync(CANDIDATE_DIR, { recursive: true, force: true });
});

/** Returns a device id that the experiment assigns to `variant`. */
function deviceIn(variant: string): string {
  const experiment = config.live.experiments![0];
  for (let i = 0; ; i++) {
    if (assignVariant(experiment, `device-${i}`).name === variant) return `device-${i}`;
  }
}

/** Opens the SDK on a page whose stored device id is `deviceId`. */
async function openAisle(page: Page, deviceId: string): Promise<void> {
  await page.goto(`${site.url}/esm.html`);
  await page.waitForFunction(() => window.AisleSdk !== undefined);
  await page.evaluate((id) => localStorage.setItem('aisle:aisle:experiment-device', id), deviceId);
  const options: AisleOptions = { endpoint, timeoutMs: 20_000, experimentExposure: 'returned', liveEvents: { maxBatch: 1, flushMs: 600_000 } };
  await page.evaluate(async (opts) => {
    window.aisle = await window.AisleSdk.createAisle(opts);
  }, options);
}

/** Counts the requests the companion completed on `route`, from its Prometheus latency histogram. */
async function requestsTo(route: string): Promise<number> {
  const text = await (await fetch(`${endpoint}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('aisle_http_request_duration_seconds_count{') && line.includes(`route="${route}"`))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

async function exposures(): Promise<Record<string, number>> {
  const body = (await (await fetch(`${endpoint}/v1/experiments/outcomes`)).json()) as OutcomesResponse;
  return Object.fromEntries(body.experiments[0].variants.map((variant) => [variant.name, variant.exposures]));
}

// Margin over the popular list's size, for ties at its end.
const POPULAR_MARGIN = 20;

test('a device in the candidate variant loads the candidate set', async ({ page }) => {
  const before = { versioned: await requestsTo(`/versions/${CANDIDATE}/v1/trending`), root: await requestsTo('/v1/trending'), exposures: await exposures() };
  await openAisle(page, deviceIn('candidate'));

  const view = await page.evaluate(() => window.aisle.experiments());
  expect(view.assignments).toEqual([{ experiment: 'models', variant: 'candidate', changes: { modelVersion: CANDIDATE } }]);
  const result = await page.evaluate(() => window.aisle.recommend({ k: 5 }));
  expect(result.degraded).toBeUndefined();
  expect(result.items).toHaveLength(5);

  const info = await page.evaluate(() => window.aisle.info());
  expect(info.models?.version).toBe(CANDIDATE);
  expect(info.endpoint).toBe(`${endpoint}/versions/${CANDIDATE}`);
  expect(info.degraded).toEqual([]);

  // A shopper without history gets the candidate set's popular items, none of the default set's.
  const candidatePopular = mostPopular(CANDIDATE_DIR, RETRIEVAL.popularK + POPULAR_MARGIN);
  const defaultPopular = mostPopular(DEMO_MODELS_DIR, RETRIEVAL.popularK + POPULAR_MARGIN);
  for (const item of result.items) {
    expect(candidatePopular.has(item.id)).toBe(true);
    expect(defaultPopular.has(item.id)).toBe(false);
  }
  expect(await requestsTo(`/versions/${CANDIDATE}/v1/trending`)).toBe(before.versioned + 1);
  expect(await requestsTo('/v1/trending')).toBe(before.root);
  expect(await requestsTo(`/versions/${CANDIDATE}/models/:file`)).toBeGreaterThan(0);

  // The exposure goes to the root store, under the candidate variant.
  await expect.poll(async () => (await exposures()).candidate, { timeout: 10_000 }).toBe((before.exposures.candidate ?? 0) + 1);
  expect((await exposures()).current).toBe(before.exposures.current ?? 0);
});

test('a device in the current variant loads the default set', async ({ page }) => {
  const before = { versioned: await requestsTo(`/versions/${CANDIDATE}/v1/trending`), root: await requestsTo('/v1/trending'), exposures: await exposures() };
  await openAisle(page, deviceIn('current'));

  const view = await page.evaluate(() => window.aisle.experiments());
  expect(view.assignments).toEqual([{ experiment: 'models', variant: 'current', changes: { modelVersion: DEFAULT_VERSION } }]);
  const result = await page.evaluate(() => window.aisle.recommend({ k: 5 }));
  expect(result.degraded).toBeUndefined();

  const info = await page.evaluate(() => window.aisle.info());
  expect(info.models?.version).toBe(DEFAULT_VERSION);
  expect(info.endpoint).toBe(endpoint);
  expect(info.degraded).toEqual([]);

  const defaultPopular = mostPopular(DEMO_MODELS_DIR, RETRIEVAL.popularK + POPULAR_MARGIN);
  for (const item of result.items) expect(defaultPopular.has(item.id)).toBe(true);
  expect(await requestsTo('/v1/trending')).toBe(before.root + 1);
  expect(await requestsTo(`/versions/${CANDIDATE}/v1/trending`)).toBe(before.versioned);

  await expect.poll(async () => (await exposures()).current, { timeout: 10_000 }).toBe((before.exposures.current ?? 0) + 1);
  expect((await exposures()).candidate).toBe(before.exposures.candidate ?? 0);
});
