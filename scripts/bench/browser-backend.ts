/**
 * Backend choice as the engine makes it: once in the default Chromium (no WebGPU adapter) and
 * once with --enable-unsafe-webgpu, where Chromium offers SwiftShader's CPU-emulated adapter.
 * With backend 'auto' the engine times WebGPU against wasm on the real models and keeps the
 * faster. info() reports the choice, both timings and the ranker runtime picked after them.
 */
import type { AisleInfo } from '../../src/client/index.js';
import type { BrowserBenchEnv, Log } from './browser-environment.js';
import { newBenchContext, openEngine, waitForOrt } from './browser-environment.js';

/** The info() of an 'auto' engine in each browser. */
export interface BackendResult {
  plain: Pick<AisleInfo, 'backend' | 'backendTimings' | 'webgpu' | 'ranker'>;
  webgpu: Pick<AisleInfo, 'backend' | 'backendTimings' | 'webgpu' | 'ranker'>;
}

/** Creates an 'auto' engine without and with a WebGPU adapter and returns what each chose. */
export async function measureBackends(env: BrowserBenchEnv, log: Log): Promise<BackendResult> {
  const plain = await chooseIn(env, env.browser);
  const webgpu = await chooseIn(env, await env.launch(['--enable-unsafe-webgpu']));
  for (const [name, info] of [['default flags', plain], ['--enable-unsafe-webgpu', webgpu]] as const) {
    const timings = Object.entries(info.backendTimings).map(([backend, ms]) => `${backend} ${ms?.toFixed(2)} ms`).join(', ');
    log(`browser: ${name}: adapter ${info.webgpu.adapter}${info.webgpu.fallbackAdapter ? ' (fallback)' : ''}, timings ${timings}, kept ${info.backend}; ranker ${info.ranker.runtime} (js ${info.ranker.timings.js?.toFixed(2)} ms, ort ${info.ranker.timings.ort?.toFixed(2)} ms)`);
  }
  return { plain, webgpu };
}

async function chooseIn(env: BrowserBenchEnv, browser: BrowserBenchEnv['browser']) {
  const context = await newBenchContext(browser);
  try {
    const page = await openEngine(context, env, { backend: 'auto', storage: 'memory', timeoutMs: 60_000 });
    await waitForOrt(page);
    const info = await page.evaluate(() => window.aisle.info());
    await page.evaluate(() => window.aisle.destroy());
    return { backend: info.backend, backendTimings: info.backendTimings, webgpu: info.webgpu, ranker: info.ranker };
  } finally {
    await context.close();
  }
}
