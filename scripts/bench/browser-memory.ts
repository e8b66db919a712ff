/**
 * Memory of the engine after EVENTS tracked events, the default event cap. Two figures: the
 * JavaScript heap of each of the SDK's workers (the engine and the ORT host), read over the
 * Chrome DevTools Protocol, and the growth of the renderer processes' resident memory from a page
 * that imported the SDK to a page with the engine running. The resident figure includes the ORT
 * wasm memory, which the heap figures do not.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CDPSession } from 'playwright-core';
import type { BrowserBenchEnv, Log } from './browser-environment.js';
import { newBenchContext, openEngine, waitForOrt } from './browser-environment.js';
import { shuffledIds } from './browser-latency.js';

/** Events tracked before the measurement. */
export const EVENTS = 1000;

/** Heap of one worker, from Runtime.getHeapUsage. */
export interface WorkerHeap {
  name: string;
  usedBytes: number;
  totalBytes: number;
  /** ArrayBuffer backing stores outside the heap. */
  backingStoreBytes: number;
}

/** Memory after EVENTS events. */
export interface MemoryResult {
  events: number;
  workers: WorkerHeap[];
  /** Sum of the workers' used heap and backing stores. */
  workerHeapBytes: number;
  /** Growth of the renderers' resident memory, engine and both workers included. */
  rendererGrowthBytes: number;
  /**
   * The same growth for a page whose only worker imports ORT-web and creates sessions for the
   * same two models: what ONNX Runtime alone costs (wasm memory and compiled code).
   */
  ortOnlyGrowthBytes: number;
}

/** Tracks EVENTS events in a new engine and reads its memory. */
export async function measureMemory(env: BrowserBenchEnv, log: Log): Promise<MemoryResult> {
  const cdp = await env.browser.newBrowserCDPSession();
  const context = await newBenchContext(env.browser);
  try {
    const blank = await context.newPage();
    await blank.goto(`${env.site.url}/esm.html`);
    await blank.waitForFunction(() => window.AisleSdk !== undefined);
    const before = await rendererResidentBytes(cdp);
    await blank.close();

    const page = await openEngine(context, env, { dbName: 'aisle-bench-memory' });
    await page.evaluate(() => window.aisle.forget());
    await waitForOrt(page);
    const ids = shuffledIds(env, 3);
    await page.evaluate(
      async ({ ids, events }) => {
        const start = Date.now() - events * 1000;
        for (let i = 0; i < events; i++) await window.aisle.track({ type: 'view', itemId: ids[i % ids.length], timestamp: start + i * 1000 });
        await window.aisle.recommend({ k: 10 });
      },
      { ids, events: EVENTS },
    );
    const stored = (await page.evaluate(() => window.aisle.profile())).events.length;
    // Collect garbage in every worker first, so the heap figures show what the engine keeps.
    const workers = await workerHeaps(cdp);
    const after = await rendererResidentBytes(cdp);
    await page.evaluate(() => window.aisle.destroy());

    await page.close();
    const result: MemoryResult = {
      events: stored,
      workers,
      workerHeapBytes: workers.reduce((sum, worker) => sum + worker.usedBytes + worker.backingStoreBytes, 0),
      rendererGrowthBytes: after - before,
      ortOnlyGrowthBytes: await ortOnlyGrowth(env, cdp),
    };
    const heaps = workers.map((worker) => `${worker.name} ${(worker.usedBytes / 1e6).toFixed(1)} MB heap + ${(worker.backingStoreBytes / 1e6).toFixed(1)} MB buffers`).join(', ');
    log(`browser: after ${stored} stored events: ${heaps}; renderer memory grew ${(result.rendererGrowthBytes / 1e6).toFixed(1)} MB (a worker with only ORT-web and the two sessions: ${(result.ortOnlyGrowthBytes / 1e6).toFixed(1)} MB)`);
    return result;
  } finally {
    await context.close();
    await cdp.detach();
  }
}

/** Measures the renderer growth of a page whose only worker loads ORT-web and both models. */
async function ortOnlyGrowth(env: BrowserBenchEnv, cdp: CDPSession): Promise<number> {
  const context = await newBenchContext(env.browser);
  try {
    const page = await context.newPage();
    await page.goto(`${env.site.url}/blank.html`);
    const before = await rendererResidentBytes(cdp);
    const models = [env.manifest.models.userTower.file, env.manifest.models.ranker.file].map((file) => Array.from(readFileSync(join(env.modelsDir, file))));
    await page.evaluate(async (bytes) => {
      const source = `const ort = await import(${JSON.stringify(`${location.origin}/ort-dist/ort.wasm.min.mjs`)});
        ort.env.wasm.numThreads = 1;
        self.onmessage = async (event) => {
          for (const model of event.data) await ort.InferenceSession.create(new Uint8Array(model));
          postMessage('created');
        };
        postMessage('loaded');`;
      const worker = new Worker(URL.createObjectURL(new Blob([source], { type: 'text/javascript' })), { type: 'module' });
      await new Promise((resolve) => (worker.onmessage = resolve));
      worker.postMessage(bytes);
      await new Promise((resolve) => (worker.onmessage = resolve));
      (window as unknown as { ortWorker: Worker }).ortWorker = worker;
    }, models);
    return (await rendererResidentBytes(cdp)) - before;
  } finally {
    await context.close();
  }
}

/** Sums VmRSS of Chromium's renderer processes (Linux /proc). */
async function rendererResidentBytes(cdp: CDPSession): Promise<number> {
  const { processInfo } = (await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: Array<{ type: string; id: number }> };
  let total = 0;
  for (const process of processInfo.filter((entry) => entry.type === 'renderer')) {
    const status = readFileSync(`/proc/${process.id}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    if (match) total += Number(match[1]) * 1024;
  }
  return total;
}

/** Attaches to every worker target and reads its heap after a garbage collection. */
async function workerHeaps(cdp: CDPSession): Promise<WorkerHeap[]> {
  const { targetInfos } = (await cdp.send('Target.getTargets')) as { targetInfos: Array<{ type: string; targetId: string; title: string }> };
  const heaps: WorkerHeap[] = [];
  for (const target of targetInfos.filter((info) => info.type === 'worker')) {
    const { sessionId } = (await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false })) as { sessionId: string };
    await sendToTarget(cdp, sessionId, 'HeapProfiler.collectGarbage');
    const usage = (await sendToTarget(cdp, sessionId, 'Runtime.getHeapUsage')) as { usedSize: number; totalSize: number; backingStorageSize?: number };
    heaps.push({ name: target.title, usedBytes: usage.usedSize, totalBytes: usage.totalSize, backingStoreBytes: usage.backingStorageSize ?? 0 });
    await cdp.send('Target.detachFromTarget', { sessionId });
  }
  return heaps;
}

let messageId = 0;

/**
 * Sends one protocol command to an attached target through the browser session. Playwright's
 * CDPSession has no flat child sessions, so this uses Target.sendMessageToTarget.
 */
function sendToTarget(cdp: CDPSession, sessionId: string, method: string): Promise<unknown> {
  const id = ++messageId;
  return new Promise((resolve, reject) => {
    const onMessage = (event: { sessionId: string; message: string }) => {
      if (event.sessionId !== sessionId) return;
      const message = JSON.parse(event.message) as { id?: number; result?: unknown; error?: { message: string } };
      if (message.id !== id) return;
      cdp.off('Target.receivedMessageFromTarget', onMessage);
      if (message.error) reject(new Error(`${method} failed in a worker: ${message.error.message}`));
      else resolve(message.result);
    };
    cdp.on('Target.receivedMessageFromTarget', onMessage);
    void cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method }) });
  });
}
