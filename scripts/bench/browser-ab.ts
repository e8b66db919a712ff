/**
 * `node --import tsx scripts/bench/browser-ab.ts --baseline DIR [--ranker auto|js|ort] [--blocks N] [--calls N] [--json]`:
 * rank(200) latency of this checkout's SDK build against the build in DIR/dist/sdk (another
 * checkout, built with `npm run build:sdk`), measured side by side. On a shared machine the load
 * changes from minute to minute, so the two builds take turns in blocks of calls on the same
 * companion and Chromium, and the figures to compare are the pooled percentiles of each build.
 * `--ranker` pins the ranker runtime of both (default 'auto', which may pick a different one in each).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { DEFAULT_MODELS_DIR } from './browser.js';
import { newBenchContext, startBrowserBenchEnv, trackViews, waitForOrt } from './browser-environment.js';
import { shuffledIds } from './browser-latency.js';
import { SDK_DIR } from './browser-site.js';
import { summarize } from './browser-stats.js';

const CONTENT_TYPES: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
const PAGE = `<!doctype html><script type="module">window.AisleSdk = await import('./sdk/aisle.js');</script>`;

/** Serves `/<name>/esm.html` and `/<name>/sdk/*` for each named SDK folder. */
async function startSite(builds: Record<string, string>): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((request, response) => {
    const [, name, ...rest] = new URL(request.url ?? '/', 'http://127.0.0.1').pathname.split('/');
    const root = builds[name];
    const path = rest.join('/');
    if (root !== undefined && path === 'esm.html') return void response.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    const file = root === undefined ? '' : normalize(join(root, path.replace(/^sdk\//, '')));
    void stat(file)
      .then(async (info) => {
        if (!file.startsWith(root + sep) || !info.isFile()) throw new Error('not a file');
        response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'public, max-age=3600' }).end(await readFile(file));
      })
      .catch(() => response.writeHead(404).end());
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((done) => server.close(() => done())) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { baseline: { type: 'string' }, ranker: { type: 'string', default: 'auto' }, blocks: { type: 'string', default: '10' }, calls: { type: 'string', default: '100' }, json: { type: 'boolean', default: false } } });
  if (values.baseline === undefined) throw new Error('--baseline DIR is missing: pass a checkout whose dist/sdk contains the SDK build to compare against.');
  if (!['auto', 'js', 'ort'].includes(values.ranker)) throw new Error(`--ranker must be auto, js or ort, got ${JSON.stringify(values.ranker)}.`);
  const ranker = values.ranker as 'auto' | 'js' | 'ort';
  const blocks = Number(values.blocks);
  const calls = Number(values.calls);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const env = await startBrowserBenchEnv(DEFAULT_MODELS_DIR, log);
  const builds = { baseline: join(resolve(values.baseline), 'dist', 'sdk'), current: SDK_DIR };
  const site = await startSite(builds);
  const loadAtStart = loadavg()[0];
  try {
    const ids = shuffledIds(env);
    const rankedIds = ids.slice(10, 210);
    const pages = [];
    for (const name of Object.keys(builds)) {
      const context = await newBenchContext(env.browser);
      const page = await context.newPage();
      await page.goto(`${site.url}/${name}/esm.html`);
      await page.waitForFunction(() => window.AisleSdk !== undefined);
      await page.evaluate(
        async ({ endpoint, ranker }) => {
          window.aisle = await window.AisleSdk.createAisle({ endpoint, timeoutMs: 20_000, storage: 'memory', ranker });
        },
        { endpoint: env.companion.url, ranker },
      );
      await trackViews(page, ids.slice(0, 10));
      await waitForOrt(page);
      pages.push({ name, page, samples: [] as number[] });
    }

    // The builds take turns, so both see the same mix of load. Each block starts with 20 untimed calls.
    for (let block = 0; block < blocks; block++) {
      for (const entry of pages) {
        const samples = await entry.page.evaluate(
          async ({ rankedIds, calls }) => {
            for (let i = 0; i < 20; i++) await window.aisle.rank(rankedIds);
            const times: number[] = [];
            for (let i = 0; i < calls; i++) {
              const start = performance.now();
              const result = await window.aisle.rank(rankedIds);
              times.push(performance.now() - start);
              if (result.degraded) throw new Error(`rank was degraded: ${result.degraded.reason}`);
            }
            return times;
          },
          { rankedIds, calls },
        );
        entry.samples.push(...samples);
      }
      log(`browser-ab: block ${block + 1} of ${blocks}`);
    }

    const figures: Record<string, unknown> = { ranker_requested: ranker, load_average_1m_at_start: loadAtStart, load_average_1m_at_end: loadavg()[0], calls_per_build: blocks * calls };
    for (const { name, page, samples } of pages) {
      const summary = summarize(samples);
      const info = await page.evaluate(() => window.aisle.info());
      figures[name] = { rank200_p50_ms: summary.p50, rank200_p90_ms: summary.p90, rank200_p99_ms: summary.p99, rank200_max_ms: summary.max, ranker: info.ranker.runtime };
      log(`browser-ab: ${name} rank(200) p50 ${summary.p50.toFixed(1)} ms, p90 ${summary.p90.toFixed(1)} ms, p99 ${summary.p99.toFixed(1)} ms, ranker ${info.ranker.runtime}`);
    }
    process.stdout.write(values.json ? `${JSON.stringify(figures)}\n` : `${JSON.stringify(figures, null, 2)}\n`);
  } finally {
    await site.close();
    await env.close();
  }
}

await main();
