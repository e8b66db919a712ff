/**
 * The environment of every part of the browser benchmark: the real companion over a trained
 * models directory on 127.0.0.1 (in this process, with a request counter), the benchmark site
 * with the built SDK, and headless Debian Chromium.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Aisle, AisleOptions } from '../../src/client/index.js';
import type { Manifest } from '../../src/core/types.js';
import { createServer } from '../../src/server/app.js';
import { CHROMIUM_ARGS, REPO_ROOT } from '../../tests/browser/fixtures/sdk-environment.js';
import { startBenchSite, type BenchSite } from './browser-site.js';

declare global {
  interface Window {
    AisleSdk: typeof import('../../src/client/index.js');
    aisle: Aisle;
  }
}

/** Progress output of the benchmark; one line per call. */
export type Log = (line: string) => void;

/** The running companion, with the number of requests it served per route. */
export interface BenchCompanion {
  url: string;
  /** Requests per URL path since the start, such as '/v1/candidates'. */
  requests: Map<string, number>;
  close(): Promise<void>;
}

/** Servers, browser and catalog of one benchmark run. */
export interface BrowserBenchEnv {
  modelsDir: string;
  manifest: Manifest;
  /** Item ids of the catalog in items.json order. */
  itemIds: string[];
  companion: BenchCompanion;
  site: BenchSite;
  browser: Browser;
  /** Starts another Chromium with extra flags, closed with the environment. */
  launch(extraArgs: string[]): Promise<Browser>;
  close(): Promise<void>;
}

/** Builds the SDK if needed and starts the companion, the site and Chromium. */
export async function startBrowserBenchEnv(modelsDir: string, log: Log): Promise<BrowserBenchEnv> {
  buildSdkIfStale(log);
  const manifest = JSON.parse(readFileSync(join(modelsDir, 'manifest.json'), 'utf8')) as Manifest;
  const itemIds = (JSON.parse(readFileSync(join(modelsDir, 'items.json'), 'utf8')) as Array<{ id: string }>).map((item) => item.id);
  log(`browser: companion over ${modelsDir} (${itemIds.length} items, model ${manifest.version})`);
  const companion = await startCountingCompanion(modelsDir);
  const site = await startBenchSite();
  const browsers: Browser[] = [];
  const launch = async (extraArgs: string[]) => {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_ARGS, ...extraArgs], headless: true });
    browsers.push(browser);
    return browser;
  };
  const browser = await launch([]);
  log(`browser: Chromium ${browser.version()}, site ${site.url}, companion ${companion.url}`);
  return {
    modelsDir,
    manifest,
    itemIds,
    companion,
    site,
    browser,
    launch,
    close: async () => {
      for (const open of browsers) await open.close();
      await site.close();
      await companion.close();
    },
  };
}

/**
 * Builds the SDK when dist/sdk is missing or older than a source file it bundles. Vite's report
 * goes to stderr, because stdout carries the benchmark's JSON.
 */
function buildSdkIfStale(log: Log): void {
  const built = join(REPO_ROOT, 'dist', 'sdk', 'aisle.worker.js');
  let newest = 0;
  for (const part of ['client', 'core', 'runtime', 'store', 'worker']) {
    for (const entry of readdirSync(join(REPO_ROOT, 'src', part), { withFileTypes: true, recursive: true })) {
      if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
    }
  }
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return;
  log('browser: building the SDK (npm run build:sdk)');
  const result = spawnSync('npx', ['vite', 'build', '--config', 'vite.sdk.config.ts'], { cwd: REPO_ROOT, stdio: ['ignore', 2, 2] });
  if (result.status !== 0) throw new Error(`Building the SDK failed with exit code ${result.status}; run \`npm run build:sdk\` to see why.`);
}

async function startCountingCompanion(modelsDir: string): Promise<BenchCompanion> {
  const app = await createServer({ modelsDir });
  const requests = new Map<string, number>();
  // The app has booted, so it takes no more hooks; the HTTP server's own event counts instead.
  app.server.on('request', (request: { url?: string }) => {
    const path = (request.url ?? '').split('?')[0];
    requests.set(path, (requests.get(path) ?? 0) + 1);
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => app.close() };
}

/**
 * Returns a new browser context. Its init script defines `__name`, the helper that tsx's esbuild
 * inserts into functions passed to page.evaluate when they declare named functions.
 */
export async function newBenchContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext();
  await context.addInitScript({ content: 'globalThis.__name = (target) => target;' });
  return context;
}

/** Opens the blank SDK page and creates an engine in it as window.aisle; returns after createAisle. */
export async function openEngine(context: BrowserContext, env: BrowserBenchEnv, options: Partial<AisleOptions> = {}): Promise<Page> {
  const page = await context.newPage();
  await page.goto(`${env.site.url}/esm.html`);
  await page.waitForFunction(() => window.AisleSdk !== undefined);
  await page.evaluate(async (opts) => {
    window.aisle = await window.AisleSdk.createAisle(opts);
  }, { endpoint: env.companion.url, timeoutMs: 20_000, ...options });
  return page;
}

/** Waits until the engine's ONNX Runtime sessions are ready; returns the load times. */
export async function waitForOrt(page: Page): Promise<{ files?: number; jsRanker?: number; ort?: number }> {
  for (let attempt = 0; attempt < 60; attempt++) {
    const info = await page.evaluate(() => window.aisle.info());
    if (info.loadTimes.ort !== undefined) return info.loadTimes;
    await page.waitForTimeout(500);
  }
  throw new Error('The engine did not report ONNX Runtime sessions within 30 s; check the worker console.');
}

/** Tracks a view of each id in order, one call after the other. */
export async function trackViews(page: Page, itemIds: readonly string[]): Promise<void> {
  await page.evaluate(async (ids) => {
    for (const itemId of ids) await window.aisle.track({ type: 'view', itemId });
  }, [...itemIds]);
}
