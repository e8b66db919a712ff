/**
 * The JavaScript ranker against ONNX Runtime's WebGPU backend, run by the `chromium-webgpu`
 * project on SwiftShader's CPU-emulated adapter: the engine compares both rankers' scores when
 * its sessions are ready and reports the largest difference in info().
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

let companion: Running;
let site: Running;

test.beforeAll(async () => {
  test.setTimeout(900_000);
  ensureSdkBuild();
  companion = await startCompanion(ensureTrainedModels());
  site = await startSite();
});

test.afterAll(async () => {
  await companion?.close();
  await site?.close();
});

test('webgpu ranker agrees with the JS ranker', async ({ page }) => {
  await page.goto(`${site.url}/esm.html`);
  await page.waitForFunction(() => window.AisleSdk !== undefined);
  const info: AisleInfo = await page.evaluate(async (endpoint) => {
    const aisle = await window.AisleSdk.createAisle({ endpoint, backend: 'webgpu', storage: 'memory', timeoutMs: 50_000 });
    const state = await aisle.info();
    await aisle.destroy();
    return state;
  }, companion.url);

  expect(info.backend).toBe('webgpu');
  expect(info.ranker.timings.ort).toBeGreaterThan(0);
  // WebGPU kernels sum in another order than wasm, so the bound is float32 rounding of a larger sum.
  expect(info.ranker.difference).toBeLessThanOrEqual(1e-4);
  console.log(`[webgpu] ranker difference ${info.ranker.difference?.toExponential(2)}, js ${info.ranker.timings.js?.toFixed(2)} ms, ort ${info.ranker.timings.ort?.toFixed(2)} ms, kept ${info.ranker.runtime}`);
});
