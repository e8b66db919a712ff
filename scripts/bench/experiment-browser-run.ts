/**
 * The simulated shoppers of the experiment bench, driving the real demo store in headless
 * Chromium. The companion runs on 127.0.0.1 with one experiment in its config, and the built demo
 * (dist/demo) is served by the static server of the demo tests, whose config.json names the
 * popularity-control variant. Each shopper is a new browser context: a new IndexedDB and
 * localStorage, so the SDK draws a new random device id and assigns the variant itself.
 *
 * A session: the page loads, the shopper opens the products of its short past history one by
 * one (product views through the page's links), then browses until it has seen `views` more
 * "Recommended for you" rows. Every row the page shows is one experiment exposure. The cascade
 * click model of adaptation-shoppers.ts decides on each row from the items the page shows, and a
 * click goes through the card's own click handler. Without a click the shopper waits until the
 * row's exposure observer has recorded an impression, then moves on: to the next past product,
 * else to the home page or a category page it likes. Each of those page views computes a new row.
 *
 * The driver counts the rows with a ranking id (the exposures) and the clicks per variant, and
 * checks them against GET /v1/experiments/outcomes exactly.
 */
import { chromium, type Browser, type Page } from '@playwright/test';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDemoBuild } from '../../demo/node/build.js';
import { DEMO_MODELS_DIR } from '../../demo/node/models.js';
import { serveStatic } from '../../demo/node/static-server.js';
import type { DemoCatalogIndex } from '../../src/training/data/demo-shoppers.js';
import { answerList, drawShopper, expectedClick, type ClickModel, type SimulatedShopper } from './adaptation-shoppers.js';
import type { RowRecord, ShopperSession } from './experiment-browser-rows.js';
import { addSession, describeCounts, emptyCounts, startExperimentCompanion, summarizeExperiment, type BenchExperiment, type ExperimentResult, type SentCounts } from './experiment-companion.js';

const CHROMIUM_ARGS = ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--no-sandbox'];
const ROW = '[data-testid=recommended-row]';
const ROW_CARDS = `${ROW} [data-testid=product-card]`;
/** Items of the demo's "Recommended for you" row (demo/src/app.ts). */
const ROW_SIZE = 12;
/** List id of a row without a ranking id (the device is in no experiment, or recommend() failed). */
const UNRANKED_LIST = 'recommended';
/** Milliseconds to wait for one page step (a row, an impression); generous for 2 busy cores. */
const STEP_TIMEOUT_MS = 60_000;
/** Flush interval of the SDK's live events (its default liveEvents.flushMs) plus a margin, in milliseconds. */
const LIVE_FLUSH_WAIT_MS = 5500;
/** Milliseconds the companion's counts may take to reach the totals after the last session. */
const SETTLE_TIMEOUT_MS = 30_000;

/** Settings of one run. */
export interface BrowserRunOptions {
  shoppers: number;
  /** Rows shown to each shopper after its past history. */
  views: number;
  /** Seed of the first shopper; shopper s has seed + s. */
  seed: number;
  /** Past events per shopper, each opened as a product page. */
  past: number;
  model: ClickModel;
  alpha: number;
  /** Browser contexts that run at the same time. */
  concurrency: number;
  log: (line: string) => void;
  /** Models the companion serves; default demo/public/models. */
  modelsDir?: string;
}

export type { RowRecord, ShopperSession } from './experiment-browser-rows.js';

/** Result of one experiment in the browser. */
export interface BrowserExperimentResult extends ExperimentResult {
  sessions: ShopperSession[];
  seconds: number;
  /** The companion's experiment counters from GET /metrics, such as outcomes it could not match, to explain a mismatch. */
  companionMetrics: string[];
  /** The trending list of the row's size before the first shopper: the training data's most popular items. */
  popularAtStart: string[];
}

/**
 * Runs `experiment` with `options.shoppers` shoppers in headless Chromium. A difference between the
 * companion's counts and the shoppers' is returned in `mismatches`, so a long run keeps its data.
 */
export async function runBrowserExperiment(experiment: BenchExperiment, catalog: DemoCatalogIndex, options: BrowserRunOptions): Promise<BrowserExperimentResult> {
  const modelsDir = options.modelsDir ?? DEMO_MODELS_DIR;
  if (!existsSync(join(modelsDir, 'manifest.json'))) throw new Error(`No trained models in ${modelsDir}: run \`npm run models:demo\` first.`);
  const root = await ensureDemoBuild(options.log);
  const started = Date.now();
  const { app, endpoint } = await startExperimentCompanion(experiment, `browser-${options.seed}`, modelsDir);
  const control = experiment.variants.find((variant) => variant.shows === 'trending');
  const site = await serveStatic(root, { endpoint, dataset: 'demo catalog', ...(control ? { popularityControl: { experiment: experiment.name, variant: control.name } } : {}) });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
    const sent = emptyCounts(experiment);
    const popularAtStart = await trendingIds(endpoint, ROW_SIZE);
    const sessions: ShopperSession[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < options.shoppers) {
        const shopper = drawShopper(catalog, options.seed + next++, options.past);
        const session = await runShopper(browser!, site.url, endpoint, experiment, catalog, shopper, options);
        sessions.push(session);
        addSession(sent, { variant: session.variant, exposures: session.rankings.length, clicks: session.clicks });
        if (sessions.length % 10 === 0 || sessions.length === options.shoppers) {
          options.log(`${experiment.name}: ${sessions.length}/${options.shoppers} shoppers, ${((Date.now() - started) / 1000).toFixed(0)} s, CTR ${describeCounts(sent)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));

    await waitForCounts(endpoint, experiment, sent);
    const result = await summarizeExperiment(endpoint, experiment, sent, options.alpha, false);
    const metrics = await (await fetch(`${endpoint}/metrics`)).text();
    const companionMetrics = metrics.split('\n').filter((line) => line.startsWith('aisle_experiment_'));
    sessions.sort((a, b) => a.seed - b.seed);
    return { ...result, sessions, seconds: (Date.now() - started) / 1000, companionMetrics, popularAtStart };
  } finally {
    await browser?.close();
    await site.close();
    await app.close();
  }
}

/** The row on screen: its render count, list id, item ids and whether the page fell back. */
interface ShownRow {
  renders: number;
  listId: string;
  ids: string[];
  /** The row's data-state: 'personalized', or 'fallback' when it shows a notice. */
  state: string;
  /** Error code named in the notice of a fallback row. */
  code?: string;
  /** Events the page counted as stored (the row's data-events). */
  events: number;
}

/** Runs one shopper's session in a new browser context. */
async function runShopper(browser: Browser, siteUrl: string, endpoint: string, experiment: BenchExperiment, catalog: DemoCatalogIndex, shopper: SimulatedShopper, options: BrowserRunOptions): Promise<ShopperSession> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    let pendingEvents = 0;
    const isEventPost = (request: { url(): string; method(): string }) => request.method() === 'POST' && request.url().endsWith('/v1/events');
    page.on('request', (request) => { if (isEventPost(request)) pendingEvents += 1; });
    page.on('requestfinished', (request) => { if (isEventPost(request)) pendingEvents -= 1; });
    page.on('requestfailed', (request) => { if (isEventPost(request)) pendingEvents -= 1; });
    await page.goto(`${siteUrl}/`);
    await page.locator('body[data-ready=true]').waitFor();
    const variant = await assignedVariant(page, experiment);
    const shows = experiment.variants.find((entry) => entry.name === variant)!.shows;

    const session: ShopperSession = { seed: shopper.seed, variant, rankings: [], clicks: 0, unrankedRows: 0, rows: [], engine: { backend: '', degraded: '' } };
    const indexOf = new Map(catalog.items.map((item, i) => [item.meta.id, i]));
    const skips = new Map<number, number>();
    const pastItems = shopper.past.map((event) => catalog.items[event.item].meta.id);
    const browseTargets = ['#/', `#/category/${encodeURIComponent(catalog.items[catalog.byCategory[shopper.taste.categories[0]][0]].meta.category ?? '')}`];
    /** Items the shopper opened in this session: the past products it visited and the items it clicked. */
    const opened = new Set<number>();
    /** Counts the row as an exposure (or an unranked row) and records what it showed. */
    const recordRow = async (row: ShownRow): Promise<RowRecord> => {
      await checkSource(page, shows);
      if (row.listId === UNRANKED_LIST) session.unrankedRows += 1;
      else session.rankings.push(row.listId);
      const items = row.ids.map((id) => {
        const index = indexOf.get(id);
        if (index === undefined) throw new Error(`The row shows item ${id}, which is not in the generated demo catalog; the click model cannot score it.`);
        return index;
      });
      const popular = new Set(await trendingIds(endpoint, row.ids.length));
      const record: RowRecord = {
        state: row.state,
        ...(row.code ? { code: row.code } : {}),
        events: row.events,
        popularOverlap: row.ids.filter((id) => popular.has(id)).length,
        expectedClick: expectedClick(catalog, shopper, items, options.model.gamma),
        opened: items.filter((item) => opened.has(item)).length,
        ids: row.ids,
      };
      session.rows.push(record);
      return record;
    };

    let row = await nextRow(page, 0);
    for (let step = 0; step < pastItems.length + options.views; step++) {
      const record = await recordRow(row);
      const items = row.ids.map((id) => indexOf.get(id)!);
      const outcome = answerList(catalog, shopper, step, items, options.model, skips, opened);
      if (outcome.clicked !== undefined) {
        record.clicked = outcome.clicked;
        opened.add(items[outcome.clicked]);
        await page.locator(ROW_CARDS).nth(outcome.clicked).locator('a').click();
        if (row.listId !== UNRANKED_LIST) session.clicks += 1;
      } else {
        // An unclicked row counts as seen once one card was visible for a second, as the exposure
        // observer measures it, so the shopper looks at it that long before moving on.
        await page.locator(`${ROW}:not([data-seen="0"])`).waitFor();
        const target = step < pastItems.length ? `#/item/${encodeURIComponent(pastItems[step])}` : browseTargets[step % 2];
        if (step < pastItems.length) opened.add(shopper.past[step].item);
        const hash = await page.evaluate(() => location.hash);
        await page.evaluate((to) => { location.hash = to; }, target === hash || (target === '#/' && hash === '') ? browseTargets[(step + 1) % 2] : target);
      }
      row = await nextRow(page, row.renders);
    }
    // The last row counts too: the shopper looks at it before leaving.
    await recordRow(row);
    await page.locator(`${ROW}:not([data-seen="0"])`).waitFor();
    session.engine = await engineStatus(page);

    // The SDK sends queued live events within its flush interval. Waiting that long, and until each
    // POST /v1/events has its response, leaves nothing for the beacon of pagehide: runs that relied
    // on it lost a few events of 3,000 when the context closed right after the page.
    await page.waitForTimeout(LIVE_FLUSH_WAIT_MS);
    while (pendingEvents > 0) await page.waitForTimeout(100);
    await page.close({ runBeforeUnload: true });
    return session;
  } finally {
    await context.close();
  }
}

/** Returns the device's variant of `experiment`, as the demo's panel shows it. */
async function assignedVariant(page: Page, experiment: BenchExperiment): Promise<string> {
  const raw = await page.locator('[data-testid=experiments]').getAttribute('data-assignments');
  const assignments = JSON.parse(raw ?? '[]') as Array<{ experiment: string; variant: string }>;
  const variant = assignments.find((entry) => entry.experiment === experiment.name)?.variant;
  if (variant === undefined || !experiment.variants.some((entry) => entry.name === variant)) {
    throw new Error(`The page is not in experiment ${experiment.name} (assignments ${raw ?? 'none'}); did GET /v1/experiments fail?`);
  }
  return variant;
}

/** Throws when the row does not show what the variant shows, so a broken demo wiring cannot pass as a result. */
async function checkSource(page: Page, shows: 'recommend' | 'trending'): Promise<void> {
  const source = await page.locator(ROW).getAttribute('data-source');
  if (source !== shows) throw new Error(`The row shows ${source} items, but the device's variant shows ${shows}.`);
}

/**
 * Waits for the row render after `previous` and returns it. Throws when more than one render
 * happened, because each would be an exposure the driver did not see.
 */
async function nextRow(page: Page, previous: number): Promise<ShownRow> {
  const handle = await page.waitForFunction(
    ([selector, after]) => {
      const row = document.querySelector<HTMLElement>(selector);
      const renders = Number(row?.dataset.renders ?? 0);
      if (!row || renders <= after) return null;
      const notice = row.querySelector('[data-testid=degraded-notice]')?.textContent ?? '';
      return { renders, listId: row.dataset.listId ?? '', state: row.dataset.state ?? '', code: /\((AISLE_[A-Z_]+):/.exec(notice)?.[1], events: Number(row.dataset.events ?? 0) };
    },
    [ROW, previous] as const,
  );
  const rendered = (await handle.jsonValue())!;
  if (rendered.renders !== previous + 1) throw new Error(`The row was rendered ${rendered.renders - previous} times after one action; expected once.`);
  const ids = await page.locator(ROW_CARDS).evaluateAll((cards) => cards.map((card) => (card as HTMLElement).dataset.itemId ?? ''));
  return { ...rendered, ids };
}

/** Returns the ids of the companion's trending list of `k` items, the list the popularity control shows. */
async function trendingIds(endpoint: string, k: number): Promise<string[]> {
  const response = await fetch(`${endpoint}/v1/trending?k=${Math.max(1, k)}`);
  if (!response.ok) throw new Error(`GET /v1/trending failed with HTTP ${response.status}; check the companion's log at ${endpoint}.`);
  const body = (await response.json()) as { items: Array<{ id: string }> };
  return body.items.map((item) => item.id);
}

/** Reads the backend and the degraded reasons of info() from the page's engine panel. */
async function engineStatus(page: Page): Promise<{ backend: string; degraded: string }> {
  const text = async (field: string) => (await page.locator(`[data-testid=aisle-panel] [data-field=${field}] dd`).first().textContent()) ?? '';
  return { backend: await text('backend'), degraded: await text('degraded') };
}

/**
 * Waits until the companion's counts reach the shoppers' totals, because the last batches of
 * each page go out with sendBeacon when it closes. Returns at the timeout either way; the exact
 * check follows.
 */
async function waitForCounts(endpoint: string, experiment: BenchExperiment, sent: SentCounts): Promise<void> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  const total = (pick: (counts: { exposures: number; clicks: number }) => number) => [...sent.values()].reduce((sum, counts) => sum + pick(counts), 0);
  const expected = total((counts) => counts.exposures) + total((counts) => counts.clicks);
  while (Date.now() < deadline) {
    const response = await fetch(`${endpoint}/v1/experiments/outcomes`);
    const body = (await response.json()) as { experiments: Array<{ name: string; variants: Array<{ exposures: number; click: number }> }> };
    const variants = body.experiments.find((entry) => entry.name === experiment.name)?.variants ?? [];
    if (variants.reduce((sum, variant) => sum + variant.exposures + variant.click, 0) >= expected) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
