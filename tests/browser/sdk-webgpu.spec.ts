/**
 * The WebGPU path of the runtime, run by the `chromium-webgpu` project: Chromium with
 * --enable-unsafe-webgpu exposes SwiftShader's CPU-emulated adapter, which checks correctness
 * (scores equal to wasm within a tolerance), never speed.
 */
import { expect, test } from '@playwright/test';
import type { Aisle, AisleInfo } from '../../src/client/index.js';
import { ensureSdkBuild, ensureTrainedModels, startCompanion, startSite, type Running } from './fixtures/sdk-environment.js';

declare global {
  interface Window {
    AisleSdk: typeof import('../../src/client/index.js');
    aisle: Aisle;
  }
}

/** Largest accepted difference between a webgpu and a wasm score. */
const SCORE_TOLERANCE = 1e-3;

let companion: Running;
let site: Running;
let trending: string[];

test.beforeAll(async () => {
  test.setTimeout(900_000);
  ensureSdkBuild();
  companion = await startCompanion(ensureTrainedModels());
  site = await startSite();
  const body = (await (await fetch(`${companion.url}/v1/trending?k=30`)).json()) as { items: Array<{ id: string }> };
  trending = body.items.map((item) => item.id);
});

test.afterAll(async () => {
  await companion?.close();
  await site?.close();
});

test('webgpu ranker scores equal wasm scores', async ({ page }) => {
  await page.goto(`${site.url}/esm.html`);
  await page.waitForFunction(() => window.AisleSdk !== undefined);
  const outcome = await page.evaluate(
    async ({ endpoint, history, given }) => {
      const hourAgo = Date.now() - 3_600_000;
      const run = async (backend: 'webgpu' | 'wasm') => {
        const aisle = await window.AisleSdk.createAisle({ endpoint, backend, storage: 'memory', timeoutMs: 50_000 });
        for (const [i, itemId] of history.entries()) await aisle.track({ type: 'view', itemId, timestamp: hourAgo + i * 60_000 });
        const ranked = await aisle.rank(given);
        const info = await aisle.info();
        await aisle.destroy();
        return { ranked, info };
      };
      return { gpu: await run('webgpu'), cpu: await run('wasm') };
    },
    { endpoint: companion.url, history: trending.slice(0, 3), given: trending.slice(3, 30) },
  );

  expect(outcome.gpu.info.backend).toBe('webgpu');
  expect(outcome.gpu.info.webgpu.adapter).toBe(true);
  expect(outcome.cpu.info.backend).toBe('wasm');
  expect(outcome.gpu.ranked.degraded).toBeUndefined();
  expect(outcome.cpu.ranked.degraded).toBeUndefined();

  const cpuScores = new Map(outcome.cpu.ranked.items.map((item) => [item.id, item.score]));
  expect(outcome.gpu.ranked.items).toHaveLength(27);
  let maxDifference = 0;
  for (const item of outcome.gpu.ranked.items) {
    const difference = Math.abs(item.score - cpuScores.get(item.id)!);
    maxDifference = Math.max(maxDifference, difference);
    expect(difference).toBeLessThanOrEqual(SCORE_TOLERANCE);
  }
  console.log(`[webgpu] max |webgpu - wasm| ranker score difference over 27 items: ${maxDifference.toExponential(2)}`);
});

test('auto keeps the faster timed backend', async ({ page }) => {
  await page.goto(`${site.url}/esm.html`);
  await page.waitForFunction(() => window.AisleSdk !== undefined);
  const info: AisleInfo = await page.evaluate(async (endpoint) => {
    const aisle = await window.AisleSdk.createAisle({ endpoint, backend: 'auto', storage: 'memory', timeoutMs: 50_000 });
    await aisle.recommend({ k: 3 });
    const state = await aisle.info();
    await aisle.destroy();
    return state;
  }, companion.url);

  expect(info.webgpu.adapter).toBe(true);
  expect(info.backendTimings.wasm).toBeGreaterThan(0);
  expect(info.backendTimings.webgpu).toBeGreaterThan(0);
  const faster = info.backendTimings.webgpu! < info.backendTimings.wasm! ? 'webgpu' : 'wasm';
  expect(info.backend).toBe(faster);
  console.log(`[webgpu] adapter fallback=${String(info.webgpu.fallbackAdapter)} timings ms: wasm ${info.backendTimings.wasm?.toFixed(2)} webgpu ${info.backendTimings.webgpu?.toFixed(2)}`);
});
