/**
 * Failure modes of the built SDK in Chromium: ONNX Runtime's files behind an SPA fallback, a
 * companion that never responds, and destroy() with calls in flight.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { expect, test, type Page, type Worker } from '@playwright/test';
import type { AisleInfo, AisleOptions } from '../../src/client/index.js';
import { ensureDemoBuild } from '../../demo/node/build.js';
import { ensureSdkBuild, ensureTrainedModels, REPO_ROOT, startCompanion, type Running } from './fixtures/sdk-environment.js';
import { startSpaSite } from './fixtures/spa-site.js';

let companion: Running;
let sdkSite: Running;
let fullSite: Running;
let demoSite: Running;
let silent: Running;

/** Starts a server that accepts every request and never responds to it. */
async function startSilentServer(): Promise<Running> {
  const server: Server = createServer(() => undefined);
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((done) => server.close(() => done()));
    },
  };
}

test.beforeAll(async () => {
  // The first run trains the models and builds the demo; later runs reuse them.
  test.setTimeout(900_000);
  ensureSdkBuild();
  companion = await startCompanion(ensureTrainedModels());
  const esmPage = readFileSync(join(REPO_ROOT, 'tests', 'browser', 'fixtures', 'pages', 'esm.html'), 'utf8');
  // The SDK is deployed without its ort/ folder, so those URLs get the page's HTML.
  sdkSite = await startSpaSite({ folders: { '/sdk/': join(REPO_ROOT, 'dist', 'sdk') }, indexHtml: esmPage, hide: ['/sdk/ort/'] });
  fullSite = await startSpaSite({ folders: { '/sdk/': join(REPO_ROOT, 'dist', 'sdk') }, indexHtml: esmPage });
  const demoRoot = await ensureDemoBuild((line) => console.log(`[reliability tests] ${line}`));
  demoSite = await startSpaSite({ folders: { '/': demoRoot }, indexHtml: readFileSync(join(demoRoot, 'index.html'), 'utf8'), json: { '/config.json': { endpoint: companion.url, dataset: 'demo catalog' } } });
  silent = await startSilentServer();
});

test.afterAll(async () => {
  await companion?.close();
  await sdkSite?.close();
  await fullSite?.close();
  await demoSite?.close();
  await silent?.close();
});

/**
 * Opens `path` of an SDK site (any path gets the ESM test page) and creates window.aisle. The
 * default site lacks the ORT files; `fullSite` serves them.
 */
async function openAisle(page: Page, path: string, options: AisleOptions, on: Running = sdkSite): Promise<void> {
  await page.goto(`${on.url}${path}`);
  await page.waitForFunction(() => window.AisleSdk !== undefined);
  await page.evaluate(async (opts) => {
    window.aisle = await window.AisleSdk.createAisle(opts);
  }, options);
}

/** Returns the page's worker named `name`, waiting up to 5 s for it to start. */
async function findWorker(page: Page, name: string): Promise<Worker> {
  for (let attempt = 0; attempt < 50; attempt++) {
    for (const worker of page.workers()) if ((await worker.evaluate(() => self.name)) === name) return worker;
    await page.waitForTimeout(100);
  }
  throw new Error(`The page has no worker named ${name}.`);
}

test('Vite-built page finds ORT wasm behind an SPA fallback', async ({ page }) => {
  const wasmResponses: Array<{ url: string; status: number; type: string; magic: number[] }> = [];
  page.context().on('response', async (response) => {
    if (!response.url().endsWith('.wasm')) return;
    const body = await response.body().catch(() => Buffer.alloc(0));
    wasmResponses.push({ url: response.url(), status: response.status(), type: response.headers()['content-type'] ?? '', magic: [...body.subarray(0, 4)] });
  });
  await page.goto(`${demoSite.url}/`);
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');

  // ORT loads after the first recommendation row, from the ORT host worker.
  await expect.poll(() => wasmResponses.length, { timeout: 30_000 }).toBeGreaterThan(0);
  for (const response of wasmResponses) {
    expect(response.status, response.url).toBe(200);
    expect(response.type, response.url).toBe('application/wasm');
    expect(response.magic, response.url).toEqual([0x00, 0x61, 0x73, 0x6d]);
  }

  // The panel shows the state of the last call, so a click makes a call that reports the backend.
  await page.locator('[data-testid=listing] [data-testid=product-card]').first().click();
  await expect(page.locator('[data-testid=aisle-panel]')).toContainText('wasm', { timeout: 30_000 });
});

test('wrong ORT path degrades to the JS ranker', async ({ page }) => {
  await openAisle(page, '/shop/cart', { endpoint: companion.url, timeoutMs: 20_000, storage: 'memory' });
  const first = await page.evaluate(() => window.aisle.recommend({ k: 5 }));
  expect(first.items).toHaveLength(5);

  // ORT starts after the first result and fails on the HTML it gets for its module.
  await expect
    .poll(async () => {
      const state: AisleInfo = await page.evaluate(() => window.aisle.info());
      return state.degraded.find((issue) => issue.code === 'AISLE_MODEL_LOAD_FAILED')?.reason ?? '';
    }, { timeout: 30_000 })
    .toContain(`${sdkSite.url}/sdk/ort/ort-wasm-simd-threaded.mjs returned HTTP 200 with content type text/html; charset=utf-8`);

  const state: AisleInfo = await page.evaluate(() => window.aisle.info());
  expect(state.backend).toBeNull();
  expect(state.ranker.runtime).toBe('js');
  const second = await page.evaluate(() => window.aisle.recommend({ k: 5 }));
  expect(second.items).toHaveLength(5);
  const scores = second.items.map((item) => item.score);
  for (const score of scores) expect(Number.isFinite(score)).toBe(true);
  expect([...scores].sort((a, b) => b - a)).toEqual(scores);
});

test('silent companion answers every call degraded', async ({ page }) => {
  await openAisle(page, '/', { endpoint: silent.url, timeoutMs: 1_500, storage: 'memory' });
  const outcome = await page.evaluate(async () => {
    const [recommended, ranked, searched, tracked] = await Promise.all([
      window.aisle.recommend({ k: 3 }),
      window.aisle.rank(['c', 'a', 'b']),
      window.aisle.search('mug', { k: 3 }),
      window.aisle.track({ type: 'view', itemId: 'sku-1', eventId: 'e-1' }),
    ]);
    return { recommended, ranked, searched, tracked };
  });

  expect(outcome.recommended.items).toEqual([]);
  expect(outcome.recommended.degraded?.code).toBe('AISLE_TIMEOUT');
  expect(outcome.ranked.items.map((item) => item.id)).toEqual(['c', 'a', 'b']);
  expect(outcome.ranked.degraded?.code).toBe('AISLE_TIMEOUT');
  expect(outcome.searched.items).toEqual([]);
  expect(outcome.searched.degraded?.code).toBe('AISLE_TIMEOUT');
  expect(outcome.tracked.eventId).toBe('e-1');
});

test('destroy settles every call in flight', async ({ page }) => {
  await openAisle(page, '/', { endpoint: silent.url, timeoutMs: 60_000, storage: 'memory' });
  const codes = await page.evaluate(async () => {
    const codeOf = (call: Promise<unknown>) => call.then(() => 'resolved', (error: { code?: string }) => error.code ?? 'no code');
    const calls = [window.aisle.recommend({ k: 3 }), window.aisle.rank(['a', 'b']), window.aisle.search('mug'), window.aisle.track({ type: 'view', itemId: 'sku-1' }), window.aisle.profile(), window.aisle.info()].map(codeOf);
    await window.aisle.destroy();
    return Promise.all(calls);
  });
  expect(codes).toEqual(Array(6).fill('AISLE_DESTROYED'));
});

test('webgpu request without adapter runs wasm', async ({ page }) => {
  // This project starts Chromium without --enable-unsafe-webgpu, so no adapter exists.
  await openAisle(page, '/', { endpoint: companion.url, timeoutMs: 20_000, storage: 'memory', backend: 'webgpu' }, fullSite);
  const result = await page.evaluate(() => window.aisle.recommend({ k: 5 }));
  expect(result.items).toHaveLength(5);

  await expect.poll(async () => (await page.evaluate(() => window.aisle.info())).backend, { timeout: 30_000 }).toBe('wasm');
  const state: AisleInfo = await page.evaluate(() => window.aisle.info());
  expect(state.requestedBackend).toBe('webgpu');
  expect(state.webgpu.adapter).toBe(false);
  expect(state.degraded).toContainEqual({ code: 'AISLE_MODEL_LOAD_FAILED', reason: 'WebGPU was requested but navigator.gpu gave no adapter, so the models run on wasm.' });
});

test('newer schema in another tab closes this one', async ({ page }) => {
  await openAisle(page, '/', { endpoint: companion.url, timeoutMs: 20_000, dbName: 'aisle-upgrade' }, fullSite);
  await page.evaluate(() => window.aisle.track({ type: 'view', itemId: 'sku-1', eventId: 'before-upgrade' }));

  // A newer version of the SDK in another tab opens the database at a higher version. The open
  // would stay blocked if the worker kept its connection.
  const version = await page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const request = indexedDB.open('aisle-upgrade', 99);
        request.onsuccess = () => {
          resolve(request.result.version);
          request.result.close();
        };
        request.onerror = () => reject(request.error);
      }),
  );
  expect(version).toBe(99);

  // The worker's error reaches the page as an AisleError with its code, message and cause.
  const failure = await page.evaluate(async () => {
    try {
      await window.aisle.forget();
      return null;
    } catch (caught) {
      const error = caught as InstanceType<typeof window.AisleSdk.AisleError>;
      return { isAisleError: caught instanceof window.AisleSdk.AisleError, name: error.name, code: error.code, message: error.message, cause: String(error.cause) };
    }
  });
  expect(failure?.isAisleError).toBe(true);
  expect(failure?.name).toBe('AisleError');
  expect(failure?.code).toBe('AISLE_STORAGE_FAILED');
  expect(failure?.message).toMatch(/^forget\(\) could not erase the device storage: /);
  expect(failure?.cause).toContain('was closed because another tab opened a newer schema version; reload the page');

  // Tracking goes on in memory, and info() gives the reason.
  const tracked = await page.evaluate(() => window.aisle.track({ type: 'view', itemId: 'sku-2', eventId: 'after-upgrade' }));
  expect(tracked.stored).toBe(true);
  const state: AisleInfo = await page.evaluate(() => window.aisle.info());
  expect(state.storage.mode).toBe('memory');
  expect(state.storage.fallbackReason).toContain('another tab opened a newer schema version');
});

test('version 1 database keeps its events', async ({ page }) => {
  await page.goto(`${fullSite.url}/`);
  await page.waitForFunction(() => window.AisleSdk !== undefined);
  // The schema of version 1: events by eventId with a byTime index, and the profile store.
  await page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const request = indexedDB.open('aisle-v1', 1);
        request.onupgradeneeded = () => {
          const events = request.result.createObjectStore('events', { keyPath: 'eventId' });
          events.createIndex('byTime', ['timestamp', 'seq']);
          request.result.createObjectStore('profile');
        };
        request.onsuccess = () => {
          const db = request.result;
          const tx = db.transaction(['events', 'profile'], 'readwrite');
          const hourAgo = Date.now() - 3_600_000;
          tx.objectStore('events').put({ type: 'view', itemId: 'old-1', eventId: 'v1-a', timestamp: hourAgo, seq: 0 });
          tx.objectStore('events').put({ type: 'click', itemId: 'old-2', eventId: 'v1-b', timestamp: hourAgo + 1000, seq: 1 });
          tx.objectStore('profile').put(2, 'nextSeq');
          tx.oncomplete = () => {
            db.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
        request.onerror = () => reject(request.error);
      }),
  );

  await page.evaluate(async (endpoint) => {
    window.aisle = await window.AisleSdk.createAisle({ endpoint, timeoutMs: 20_000, dbName: 'aisle-v1' });
  }, companion.url);
  const stored = await page.evaluate(() => window.aisle.profile());
  expect(stored.storage).toBe('indexeddb');
  expect(stored.events.map((event) => event.eventId)).toEqual(['v1-a', 'v1-b']);
  const tracked = await page.evaluate(() => window.aisle.track({ type: 'view', itemId: 'new-1', eventId: 'v2-a' }));
  expect(tracked.stored).toBe(true);
  expect((await page.evaluate(() => window.aisle.profile())).events.map((event) => event.eventId)).toEqual(['v1-a', 'v1-b', 'v2-a']);
  const state: AisleInfo = await page.evaluate(() => window.aisle.info());
  expect(state.storage).toEqual({ mode: 'indexeddb' });
});

test('two tabs tracking at once lose no event', async ({ context }) => {
  const tabs = [await context.newPage(), await context.newPage()];
  for (const tab of tabs) await openAisle(tab, '/', { endpoint: companion.url, timeoutMs: 20_000, dbName: 'aisle-race' }, fullSite);

  // Both tabs track 15 events at the same time, into one database, and both send the event
  // 'retried', as a page does when it retries a request.
  await Promise.all(
    tabs.map((tab, t) =>
      tab.evaluate(async (prefix) => {
        const hourAgo = Date.now() - 3_600_000;
        const own = Array.from({ length: 15 }, (_, i) => window.aisle.track({ type: 'view', itemId: `sku-${i}`, eventId: `${prefix}-${i}`, timestamp: hourAgo + i }));
        await Promise.all([...own, window.aisle.track({ type: 'view', itemId: 'sku-99', eventId: 'retried', timestamp: hourAgo + 100 })]);
      }, `tab${t}`),
    ),
  );

  const expected = [...Array.from({ length: 15 }, (_, i) => `tab0-${i}`), ...Array.from({ length: 15 }, (_, i) => `tab1-${i}`), 'retried'].sort();
  for (const tab of tabs) {
    await expect.poll(async () => (await tab.evaluate(() => window.aisle.profile())).events.map((event) => event.eventId).sort()).toEqual(expected);
  }
  // Each count is written in its event's transaction on top of the stored counts.
  const stored = await tabs[0].evaluate(
    () =>
      new Promise<unknown>((resolve, reject) => {
        const request = indexedDB.open('aisle-race');
        request.onsuccess = () => {
          const read = request.result.transaction('profile').objectStore('profile').get('profile');
          read.onsuccess = () => {
            request.result.close();
            resolve(read.result);
          };
        };
        request.onerror = () => reject(request.error);
      }),
  );
  expect((stored as { counts: Record<string, number> }).counts).toEqual({ view: 31 });
});

test('quota error evicts and retries in Chromium', async ({ page }) => {
  await openAisle(page, '/', { endpoint: companion.url, timeoutMs: 20_000, dbName: 'aisle-quota', maxEvents: 100_000 }, fullSite);
  await page.evaluate(async () => {
    const hourAgo = Date.now() - 3_600_000;
    for (let i = 0; i < 20; i++) await window.aisle.track({ type: 'view', itemId: `sku-${i}`, eventId: `q${i}`, timestamp: hourAgo + i * 1000 });
  });

  // Lowering Chromium's quota did not make its IndexedDB reject writes. So the engine's worker
  // gets a simulated disk with room for the 20 stored events. One more put on `events` throws
  // the DOMException of a full quota, and each deleted event frees a slot.
  const engineWorker = await findWorker(page, 'aisle');
  await engineWorker.evaluate(() => {
    const state = { used: 20, capacity: 20 };
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (this.name === 'events') {
        if (state.used >= state.capacity) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        state.used++;
      }
      return put.apply(this, args);
    };
    const remove = IDBCursor.prototype.delete;
    IDBCursor.prototype.delete = function (this: IDBCursor) {
      state.used--;
      return remove.call(this);
    };
  });

  const tracked = await page.evaluate(() => window.aisle.track({ type: 'view', itemId: 'sku-new', eventId: 'newest' }));
  expect(tracked.stored).toBe(true);
  const state: AisleInfo = await page.evaluate(() => window.aisle.info());
  expect(state.storage.mode).toBe('indexeddb');
  expect(state.storage.notice).toBe('IndexedDB addEvent failed with QuotaExceededError: The quota has been exceeded.; the 2 oldest events were evicted and the write was retried.');

  // What IndexedDB holds, read from the page: the two oldest events are gone, the newest is in.
  const storedIds = await page.evaluate(
    () =>
      new Promise<string[]>((resolve, reject) => {
        const request = indexedDB.open('aisle-quota');
        request.onsuccess = () => {
          const read = request.result.transaction('events').objectStore('events').index('byTime').getAll();
          read.onsuccess = () => {
            request.result.close();
            resolve((read.result as Array<{ eventId: string }>).map((event) => event.eventId));
          };
        };
        request.onerror = () => reject(request.error);
      }),
  );
  expect(storedIds).toEqual([...Array.from({ length: 18 }, (_, i) => `q${i + 2}`), 'newest']);
});

test('failed IndexedDB open still personalizes', async ({ page }) => {
  // A database at a higher version than the SDK's makes its open fail with a VersionError.
  await page.goto(`${fullSite.url}/`);
  await page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const request = indexedDB.open('aisle-newer', 50);
        request.onsuccess = () => {
          request.result.close();
          resolve();
        };
        request.onerror = () => reject(request.error);
      }),
  );
  await openAisle(page, '/', { endpoint: companion.url, timeoutMs: 20_000, dbName: 'aisle-newer' }, fullSite);
  const state: AisleInfo = await page.evaluate(() => window.aisle.info());
  expect(state.storage.mode).toBe('memory');
  expect(state.storage.fallbackReason).toMatch(/^Opening IndexedDB database "aisle-newer" failed: VersionError: /);

  const trending = ((await (await fetch(`${companion.url}/v1/trending?k=10`)).json()) as { items: Array<{ id: string }> }).items.map((item) => item.id);
  const seen = trending.slice(0, 3);
  await page.evaluate(async (ids) => {
    for (const itemId of ids) await window.aisle.track({ type: 'view', itemId });
  }, seen);
  const profile = await page.evaluate(() => window.aisle.profile());
  expect(profile.storage).toBe('memory');
  expect(profile.userVector?.length).toBeGreaterThan(0);
  const result = await page.evaluate(() => window.aisle.recommend({ k: 5 }));
  expect(result.degraded).toBeUndefined();
  expect(result.items).toHaveLength(5);
  for (const item of result.items) expect(seen).not.toContain(item.id);
});
