/**
 * `npm run bench:session -- [--json] [--repeats N] [--models DIR]`: latency of recommend() and
 * track() as the number of stored events grows. Each size gets a fresh IndexedDB database that
 * the page fills with that many events (in the version 1 schema, which the SDK then upgrades),
 * so the engine restores a long session the way a returning shopper's page does. The engine
 * reads only the last events of the history window, so the latency should not grow with the size.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { REPO_ROOT } from '../../tests/browser/fixtures/sdk-environment.js';
import { newBenchContext, startBrowserBenchEnv, waitForOrt, type BrowserBenchEnv, type Log } from './browser-environment.js';
import { summarize, type LatencySummary } from './browser-stats.js';

const HELP = `Usage: npm run bench:session -- [options]

Times recommend() and track() in headless Chromium with 10, 1000 and 5000 stored events.

Options:
  --repeats N   timed calls per size and call (default 50)
  --models DIR  trained models directory served by the companion (default demo/public/models)
  --json        print one JSON object on stdout instead of a table
  -h, --help    print this help
`;

/** Stored events before the timed calls. */
const SIZES = [10, 1000, 5000] as const;
/** Untimed calls before each timed series. */
const WARM_UP_CALLS = 10;

/** Latency of one stored-event count. */
interface SizeResult {
  events: number;
  recommend: LatencySummary;
  track: LatencySummary;
}

/** Fills database `dbName` with `count` view events of the catalog items, one second apart. */
async function seedEvents(page: Page, dbName: string, count: number, itemIds: string[]): Promise<void> {
  await page.evaluate(
    ({ dbName, count, itemIds }) =>
      new Promise<void>((done, fail) => {
        const request = indexedDB.open(dbName, 1);
        request.onupgradeneeded = () => {
          const events = request.result.createObjectStore('events', { keyPath: 'eventId' });
          events.createIndex('byTime', ['timestamp', 'seq']);
          request.result.createObjectStore('profile');
        };
        request.onerror = () => fail(request.error);
        request.onsuccess = () => {
          const db = request.result;
          const tx = db.transaction(['events', 'profile'], 'readwrite');
          const start = Date.now() - (count + 60) * 1000;
          for (let i = 0; i < count; i++) {
            tx.objectStore('events').put({ type: 'view', itemId: itemIds[i % itemIds.length], eventId: `seed-${i}`, timestamp: start + i * 1000, seq: i });
          }
          tx.objectStore('profile').put(count, 'nextSeq');
          tx.oncomplete = () => {
            db.close();
            done();
          };
          tx.onerror = () => fail(tx.error);
        };
      }),
    { dbName, count, itemIds },
  );
}

/** Times `repeats` recommend() calls and `repeats` track() calls after warm-up calls. */
async function timeCalls(page: Page, repeats: number, itemIds: string[]): Promise<{ recommend: number[]; track: number[] }> {
  return page.evaluate(
    async ({ repeats, warmUp, itemIds }) => {
      const recommend: number[] = [];
      const track: number[] = [];
      for (let i = 0; i < warmUp + repeats; i++) {
        const start = performance.now();
        const result = await window.aisle.recommend({ k: 10 });
        if (i >= warmUp) recommend.push(performance.now() - start);
        if (result.degraded) throw new Error(`recommend was degraded: ${result.degraded.reason}`);
      }
      for (let i = 0; i < warmUp + repeats; i++) {
        const start = performance.now();
        const result = await window.aisle.track({ type: 'view', itemId: itemIds[i % itemIds.length] });
        if (i >= warmUp) track.push(performance.now() - start);
        if (result.degraded) throw new Error(`track was degraded: ${result.degraded.reason}`);
      }
      return { recommend, track };
    },
    { repeats, warmUp: WARM_UP_CALLS, itemIds },
  );
}

/** Measures one size in a fresh browser context and database. */
async function measureSize(env: BrowserBenchEnv, events: number, repeats: number, log: Log): Promise<SizeResult> {
  const context = await newBenchContext(env.browser);
  try {
    const page = await context.newPage();
    await page.goto(`${env.site.url}/esm.html`);
    await page.waitForFunction(() => window.AisleSdk !== undefined);
    const dbName = `aisle-bench-session-${events}`;
    await seedEvents(page, dbName, events, env.itemIds);
    await page.evaluate(
      async ({ endpoint, dbName }) => {
        window.aisle = await window.AisleSdk.createAisle({ endpoint, dbName, timeoutMs: 20_000, maxEvents: 100_000 });
      },
      { endpoint: env.companion.url, dbName },
    );
    await waitForOrt(page);
    const stored = (await page.evaluate(() => window.aisle.profile())).events.length;
    if (stored !== events) throw new Error(`The engine restored ${stored} events, expected ${events}.`);

    const samples = await timeCalls(page, repeats, env.itemIds.slice(0, 200));
    const result = { events, recommend: summarize(samples.recommend), track: summarize(samples.track) };
    log(`session: ${events} events: recommend p50 ${result.recommend.p50.toFixed(2)} ms, p99 ${result.recommend.p99.toFixed(2)} ms; track p50 ${result.track.p50.toFixed(2)} ms, p99 ${result.track.p99.toFixed(2)} ms`);
    await page.evaluate(() => window.aisle.destroy());
    return result;
  } finally {
    await context.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      json: { type: 'boolean', default: false },
      repeats: { type: 'string', default: '50' },
      models: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const repeats = Number(values.repeats);
  if (!Number.isInteger(repeats) || repeats < 1) throw new Error(`--repeats must be a positive integer; got ${JSON.stringify(values.repeats)}.`);
  const log: Log = (line) => process.stderr.write(`${line}\n`);
  const env = await startBrowserBenchEnv(resolve(values.models ?? `${REPO_ROOT}/demo/public/models`), log);
  try {
    const results: SizeResult[] = [];
    for (const events of SIZES) results.push(await measureSize(env, events, repeats, log));
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ repeats, results })}\n`);
      return;
    }
    const lines = ['| stored events | recommend p50 ms | recommend p99 ms | track p50 ms | track p99 ms |', '|---|---|---|---|---|'];
    for (const row of results) lines.push(`| ${row.events} | ${row.recommend.p50.toFixed(2)} | ${row.recommend.p99.toFixed(2)} | ${row.track.p50.toFixed(2)} | ${row.track.p99.toFixed(2)} |`);
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await env.close();
  }
}

await main();
