/**
 * The demo store end to end: the built page (dist/demo) on a static server, the real companion
 * over the demo models, and the real SDK in Chromium. The tests share one page and run in order,
 * because each step builds on the shopper state the previous one left.
 */
import { chromium, expect, test, type Browser, type BrowserContext, type Locator, type Page } from '@playwright/test';
import type { FastifyInstance } from 'fastify';
import { ensureDemoBuild } from '../../demo/node/build.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_MODELS_DIR, ensureModels, ensureNativeAddon, REPO_ROOT } from '../../demo/node/models.js';
import { addDemoNewItems, demoAdminToken } from '../../demo/node/new-items.js';
import { serveStatic, type StaticSite } from '../../demo/node/static-server.js';
import { createServer } from '../../src/server/app.js';

const CHROMIUM_ARGS = ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--no-sandbox'];
const ROW = '[data-testid=recommended-row]';
const ROW_CARDS = `${ROW} [data-testid=product-card]`;

let companion: FastifyInstance;
let site: StaticSite;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let endpoint: string;
let trendingIds: Set<string>;

/**
 * Returns the models the demo serves (demo/public/models, written by `npm start`) when they exist,
 * else a small, quickly trained set: 800 shoppers and 2 epochs take about 3 minutes on 2 cores.
 */
function testModelsDir(log: (line: string) => void): string {
  if (existsSync(join(DEMO_MODELS_DIR, 'manifest.json'))) return DEMO_MODELS_DIR;
  const dir = join(REPO_ROOT, '.cache', 'models', 'demo-tests');
  ensureModels('demo', dir, log, ['--max-users', '800', '--epochs', '2']);
  return dir;
}

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  // The first run may build the addon, train the demo models and build the page; later runs reuse them.
  test.setTimeout(900_000);
  const log = (line: string) => console.log(`[demo tests] ${line}`);
  ensureNativeAddon(log);
  const modelsDir = testModelsDir(log);
  const root = await ensureDemoBuild(log);

  const adminToken = demoAdminToken();
  companion = await createServer({ modelsDir, adminToken });
  await addDemoNewItems(companion, adminToken, log);
  await companion.listen({ host: '127.0.0.1', port: 0 });
  const address = companion.server.address();
  endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  site = await serveStatic(root, { endpoint, dataset: 'demo catalog' });

  const trending = (await (await fetch(`${endpoint}/v1/trending?k=50`)).json()) as { items: Array<{ id: string }> };
  trendingIds = new Set(trending.items.map((item) => item.id));

  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
  context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
});

test.afterAll(async () => {
  await context?.close();
  await browser?.close();
  await site?.close();
  await companion?.close();
});

async function idsOf(cards: Locator): Promise<string[]> {
  return cards.evaluateAll((elements) => elements.map((element) => (element as HTMLElement).dataset.itemId ?? ''));
}

async function categoriesOf(cards: Locator): Promise<string[]> {
  return cards.evaluateAll((elements) => elements.map((element) => (element as HTMLElement).dataset.category ?? ''));
}

/** Waits until the row was computed with `count` stored events. */
async function rowAfterEvents(count: number): Promise<void> {
  await expect(page.locator(ROW)).toHaveAttribute('data-events', String(count));
  await expect(page.locator(ROW_CARDS).first()).toBeVisible();
}

test('new shopper sees trending items', async () => {
  await page.goto(`${site.url}/`);
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
  await rowAfterEvents(0);

  const ids = await idsOf(page.locator(ROW_CARDS));
  expect(ids.length).toBe(12);
  for (const id of ids) expect(trendingIds.has(id), `row item ${id} is not trending`).toBe(true);
  await expect(page.locator('[data-testid=aisle-panel]')).toContainText('Backend');
});

test('panel plots recommend latency from stats()', async () => {
  await page.goto(`${site.url}/`);
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
  const summary = page.locator('[data-testid=stats-summary]');
  await expect(summary).toContainText(/recommend p50 [\d.]+ ms · p95 [\d.]+ ms \(\d+ calls\)/);
  await expect(summary).toContainText('cache hits');
  await expect(page.locator('[data-testid=stats-chart] svg polyline')).toHaveCount(2);
});

test('three clicks in a category steer the row', async () => {
  // The category with the most trending items, so its page has at least three products.
  const categories = await categoriesOf(page.locator('[data-testid=listing] [data-testid=product-card]'));
  const counts = new Map<string, number>();
  for (const category of categories) counts.set(category, (counts.get(category) ?? 0) + 1);
  const [category] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];

  await page.locator(`[data-testid=category-chip][data-category="${category}"]`).click();
  const listing = page.locator(`[data-testid=listing][data-list-id="category:${category}"] [data-testid=product-card]`);
  const clicked: string[] = [];
  for (let step = 1; step <= 3; step++) {
    await expect(listing.first()).toBeVisible();
    // The category page is reranked after every click, so pick the first product not yet opened.
    const ids = await idsOf(listing);
    const position = ids.findIndex((id) => !clicked.includes(id));
    clicked.push(ids[position]);
    await listing.nth(position).click();
    await expect(page.locator('[data-testid=product-page]')).toHaveAttribute('data-item-id', ids[position]);
    await rowAfterEvents(step);
    if (step < 3) await page.goBack();
  }

  const rowCategories = await categoriesOf(page.locator(ROW_CARDS));
  const inCategory = rowCategories.filter((entry) => entry === category).length;
  expect(rowCategories.length).toBeGreaterThan(0);
  expect(inCategory / rowCategories.length, `row categories: ${rowCategories.join(', ')}`).toBeGreaterThanOrEqual(0.5);
});

test('profile survives a reload', async () => {
  await page.locator('[data-testid=profile-link]').click();
  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
  await rowAfterEvents(3);

  const profile = page.locator('[data-testid=profile-view]');
  await expect(profile).toHaveAttribute('data-event-count', '3');
  await expect(profile.locator('[data-testid=profile-event]')).toHaveCount(3);
  await expect(profile.locator('[data-testid=profile-event][data-type=click]')).toHaveCount(3);
});

test('forget me empties the profile', async () => {
  await page.locator('[data-testid=aisle-panel] [data-testid=forget-button]').click();

  const profile = page.locator('[data-testid=profile-view]');
  await expect(profile).toHaveAttribute('data-event-count', '0');
  await expect(profile.locator('[data-testid=profile-empty]')).toBeVisible();
  // The empty counts read as text, not as a raw {}.
  await expect(profile.locator('pre.raw')).toHaveCount(0);
  await expect(profile.locator('.profile-section', { hasText: 'Stored events by type' })).toContainText('None');
  await rowAfterEvents(0);
  for (const id of await idsOf(page.locator(ROW_CARDS))) expect(trendingIds.has(id), `row item ${id} is not trending`).toBe(true);

  await page.reload();
  await expect(page.locator('[data-testid=profile-view]')).toHaveAttribute('data-event-count', '0');
});

test('search and cart are tracked', async () => {
  await page.locator('[data-testid=search-input]').fill('yoga mat');
  await page.locator('[data-testid=search-input]').press('Enter');
  const results = page.locator('[data-testid=listing][data-list-id=search] [data-testid=product-card]');
  await expect(results.first()).toBeVisible();
  const topCategories = (await categoriesOf(results)).slice(0, 12);
  const yogaMats = topCategories.filter((category) => category === 'Yoga mats').length;
  expect(yogaMats / topCategories.length, `top result categories: ${topCategories.join(', ')}`).toBeGreaterThanOrEqual(0.5);

  const firstId = await results.first().getAttribute('data-item-id');
  await results.first().click();
  await expect(page.locator('[data-testid=product-page]')).toHaveAttribute('data-item-id', firstId ?? '');
  await page.locator('[data-testid=add-to-cart]').click();
  await expect(page.locator('[data-testid=cart-count]')).toHaveText('1');
  await rowAfterEvents(3);

  await page.locator('[data-testid=profile-link]').click();
  const events = page.locator('[data-testid=profile-view] [data-testid=profile-event]');
  await expect(events).toHaveCount(3);
  await expect(events.and(page.locator('[data-type=search]'))).toHaveCount(1);
  await expect(events.and(page.locator('[data-type=click]'))).toHaveCount(1);
  await expect(events.and(page.locator('[data-type=add_to_cart]'))).toHaveCount(1);
});

test('cart count survives a reload and Buy now is no cart add', async () => {
  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
  await expect(page.locator('[data-testid=cart-count]')).toHaveText('1');

  const cartEvent = page.locator('[data-testid=profile-event][data-type=add_to_cart] a');
  await cartEvent.click();
  await expect(page.locator('[data-testid=product-page]')).toBeVisible();
  await page.locator('[data-testid=buy-now]').click();
  // The purchase takes the item out of the cart instead of adding one.
  await expect(page.locator('[data-testid=cart-count]')).toHaveText('0');
});

test('a long search is capped and its heading stays inside the page', async () => {
  const input = page.locator('[data-testid=search-input]');
  await input.fill(`  ${'yoga mat '.repeat(600)}`);
  expect((await input.inputValue()).length).toBe(512);
  await input.press('Enter');
  const listing = page.locator('[data-testid=listing][data-list-id=search]');
  await expect(listing.locator('[data-testid=product-card]').first()).toBeVisible();
  await expect(listing.locator('[data-testid=degraded-notice]')).toHaveCount(0);
  const heading = listing.locator('h1');
  const box = await heading.boundingBox();
  const width = await page.evaluate(() => document.documentElement.clientWidth);
  expect(box).not.toBeNull();
  expect(box!.x + box!.width).toBeLessThanOrEqual(width);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(width);
});

test('store works when models fail to load', async () => {
  const degradedContext = await browser.newContext();
  try {
    // Every model file request fails, as when a CDN or the companion's /models route is down.
    await degradedContext.route('**/models/**', (route) => route.abort('failed'));
    const degradedPage = await degradedContext.newPage();
    await degradedPage.goto(`${site.url}/`);
    await expect(degradedPage.locator('body')).toHaveAttribute('data-ready', 'true');

    const notice = degradedPage.locator('[data-testid=degraded-notice]:visible, [data-testid=engine-banner]');
    await expect(notice.first()).toBeVisible();
    await expect(degradedPage.locator(ROW_CARDS)).toHaveCount(12);

    const card = degradedPage.locator('[data-testid=listing] [data-testid=product-card]').first();
    const id = await card.getAttribute('data-item-id');
    await card.click();
    await expect(degradedPage.locator('[data-testid=product-page]')).toHaveAttribute('data-item-id', id ?? '');
  } finally {
    await degradedContext.close();
  }
});
