/**
 * Takes the screenshot of the demo store used in the docs. It starts the companion and the built
 * page, then opens three products of one category in headless Chromium, so the recommended row and
 * the panel show a personalized state.
 *
 *   node --import tsx demo/node/screenshot.ts [--models DIR] [--out docs/demo.png]
 *     [--page fresh|home|product|profile] [--degraded]
 *
 * --page fresh shows a new shopper; the other pages are shown after the three clicks.
 * --degraded makes every model file request fail, to show the fallback notices.
 */
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { createServer } from '../../src/server/app.js';
import { ensureDemoBuild } from './build.js';
import { DEMO_MODELS_DIR } from './models.js';
import { serveStatic } from './static-server.js';

const CHROMIUM_ARGS = ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--no-sandbox'];

const { values } = parseArgs({
  options: {
    models: { type: 'string', default: DEMO_MODELS_DIR },
    out: { type: 'string', default: 'docs/demo.png' },
    page: { type: 'string', default: 'product' },
    degraded: { type: 'boolean', default: false },
  },
});

const log = (line: string) => console.log(`[screenshot] ${line}`);
const root = await ensureDemoBuild(log);
const companion = await createServer({ modelsDir: values.models });
await companion.listen({ host: '127.0.0.1', port: 0 });
const address = companion.server.address();
const endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
const site = await serveStatic(root, { endpoint, dataset: 'demo catalog' });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });

try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  if (values.degraded) await page.route('**/models/**', (route) => route.abort('failed'));
  page.on('console', (message) => log(`page ${message.type()}: ${message.text()}`));
  await page.goto(`${site.url}/`);
  await page.locator('body[data-ready=true]').waitFor();

  if (values.page !== 'fresh') {
    const chip = page.locator('[data-testid=category-chip]').nth(1);
    await chip.click();
    for (let step = 1; step <= 3; step++) {
      await page.locator('[data-testid=listing] [data-testid=product-card]').nth(step - 1).click();
      await page.locator(`[data-testid=recommended-row][data-events="${step}"]`).waitFor();
      if (step < 3) await page.goBack();
    }
  }
  if (values.page === 'profile') await page.locator('[data-testid=profile-link]').click();
  if (values.page === 'home') await page.locator('.nav a', { hasText: 'Shop' }).click();
  await page.waitForTimeout(400);
  await page.screenshot({ path: values.out, type: 'png' });
  log(`wrote ${values.out}`);
} finally {
  await browser.close();
  await site.close();
  await companion.close();
}
