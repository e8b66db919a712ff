/**
 * Privacy of the demo store: every request the page and its workers make during a browsing
 * session is recorded, and none may carry the shopper's event history, an identifier or the
 * stored profile. The companion may receive the user vector, query text and item ids.
 */
import { chromium, expect, test, type Browser, type Page } from '@playwright/test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ensureDemoBuild } from '../../demo/node/build.js';
import { DEMO_MODELS_DIR, ensureModels, ensureNativeAddon, REPO_ROOT } from '../../demo/node/models.js';
import { serveStatic, type StaticSite } from '../../demo/node/static-server.js';
import { createServer } from '../../src/server/app.js';
import { CHROMIUM_ARGS } from './fixtures/sdk-environment.js';

interface SentRequest {
  method: string;
  url: string;
  body: string;
  headers: Record<string, string>;
}

let companion: FastifyInstance;
let site: StaticSite;
let browser: Browser;
let endpoint: string;

test.beforeAll(async () => {
  // The first run may train the demo models and build the page; later runs reuse them.
  test.setTimeout(900_000);
  const log = (line: string) => console.log(`[privacy tests] ${line}`);
  ensureNativeAddon(log);
  const modelsDir = existsSync(join(DEMO_MODELS_DIR, 'manifest.json')) ? DEMO_MODELS_DIR : join(REPO_ROOT, '.cache', 'models', 'demo-tests');
  if (modelsDir !== DEMO_MODELS_DIR) ensureModels('demo', modelsDir, log, ['--max-users', '800', '--epochs', '2']);
  const root = await ensureDemoBuild(log);
  companion = await createServer({ modelsDir });
  await companion.listen({ host: '127.0.0.1', port: 0 });
  const address = companion.server.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  site = await serveStatic(root, { endpoint, dataset: 'demo catalog' });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
});

test.afterAll(async () => {
  await browser?.close();
  await site?.close();
  await companion?.close();
});

/** Reads the stored events and profile straight from the SDK's IndexedDB database. */
function readStorage(page: Page): Promise<{ eventIds: string[]; types: string[]; timestamps: number[]; profile: unknown }> {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('aisle');
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const db = open.result;
          const tx = db.transaction(['events', 'profile'], 'readonly');
          const events = tx.objectStore('events').getAll();
          const profile = tx.objectStore('profile').get('profile');
          tx.oncomplete = () => {
            db.close();
            const rows = events.result as Array<{ eventId: string; type: string; timestamp: number }>;
            resolve({ eventIds: rows.map((row) => row.eventId), types: rows.map((row) => row.type), timestamps: rows.map((row) => row.timestamp), profile: profile.result });
          };
        };
      }),
  );
}

test('demo sends no history, id or profile', async () => {
  const context = await browser.newContext();
  const sent: SentRequest[] = [];
  // Context-level events include the requests of the SDK's workers.
  context.on('request', (request) => sent.push({ method: request.method(), url: request.url(), body: request.postData() ?? '', headers: request.headers() }));
  const page = await context.newPage();

  await page.goto(`${site.url}/`);
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
  const cards = page.locator('[data-testid=listing] [data-testid=product-card]');
  await cards.first().click();
  await expect(page.locator('[data-testid=product-page]')).toBeVisible();
  await page.locator('[data-testid=add-to-cart]').click();
  await expect(page.locator('[data-testid=cart-count]')).toHaveText('1');
  await page.locator('[data-testid=search-input]').fill('yoga mat');
  await page.locator('[data-testid=search-input]').press('Enter');
  const results = page.locator('[data-testid=listing][data-list-id=search] [data-testid=product-card]');
  await results.first().click();
  await expect(page.locator('[data-testid=product-page]')).toBeVisible();
  await page.locator('[data-testid=profile-link]').click();
  await expect(page.locator('[data-testid=profile-view]')).toHaveAttribute('data-event-count', '4');
  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');

  const stored = await readStorage(page);
  // The row's exposure observer stores impressions of the cards seen, besides the 4 actions.
  expect(stored.types.filter((type) => type !== 'impression')).toHaveLength(4);
  expect(stored.profile).toBeDefined();
  await context.close();

  // The session reached the companion from the worker, so the recording covers the workers too.
  const companionCalls = sent.filter((request) => request.url.startsWith(endpoint));
  expect(companionCalls.some((request) => request.url.includes('/v1/candidates'))).toBe(true);
  expect(companionCalls.some((request) => request.url.includes('/v1/search'))).toBe(true);

  for (const request of sent) {
    const origin = new URL(request.url).origin;
    expect([site.url, endpoint], request.url).toContain(origin);
    const text = `${request.url}\n${request.body}`;
    for (const eventId of stored.eventIds) expect(text, `${request.method} ${request.url} carries event id ${eventId}`).not.toContain(eventId);
    for (const timestamp of stored.timestamps) expect(text, `${request.method} ${request.url} carries an event timestamp`).not.toContain(String(timestamp));
    for (const field of ['eventId', 'timestamp', 'counts', 'vectorVersion', 'add_to_cart', 'userId', 'sessionId']) {
      expect(request.body, `${request.method} ${request.url} body has ${field}`).not.toContain(field);
    }
    expect(request.headers.cookie, request.url).toBeUndefined();
    expect(request.headers.authorization, request.url).toBeUndefined();
  }

  // What the companion does get: the user vector and k, with no other field.
  const candidates = companionCalls.filter((request) => request.url.includes('/v1/candidates'));
  for (const request of candidates) {
    const keys = Object.keys(JSON.parse(request.body) as object).sort();
    expect(['filter', 'k', 'vector']).toEqual(expect.arrayContaining(keys));
  }
});
