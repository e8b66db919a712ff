/**
 * The static site of the browser benchmark on 127.0.0.1: the built SDK under /sdk/, ONNX Runtime
 * Web's own dist folder under /ort-dist/ (for the MatMul FLOP-rate probe) and the benchmark pages
 * at /. SDK files are sent with `cache-control: public, max-age=3600`, as a store would serve
 * them, so a second visit reads the ORT wasm from Chromium's HTTP cache (and its compiled-code
 * cache) instead of downloading it again.
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { createRequire } from 'node:module';
import { REPO_ROOT } from '../../tests/browser/fixtures/sdk-environment.js';

const require = createRequire(import.meta.url);

/** Folder of the built SDK. */
export const SDK_DIR = join(REPO_ROOT, 'dist', 'sdk');
/** Folder of onnxruntime-web's prebuilt ES modules and wasm files. */
export const ORT_DIST_DIR = dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
};

/** A blank page that exposes the SDK module as window.AisleSdk. */
const ESM_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Aisle bench</title></head><body>
<script type="module">
  window.AisleSdk = await import('/sdk/aisle.js');
  document.body.dataset.ready = 'true';
</script></body></html>`;

/**
 * The cold-start page: it imports the SDK, creates an engine and asks for a recommendation as soon
 * as it loads, and stores the times (ms since navigation start) in window.coldStart.
 */
const COLD_START_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>Aisle cold start</title></head><body>
<script type="module">
  const params = new URLSearchParams(location.search);
  const sdk = await import('/sdk/aisle.js');
  const imported = performance.now();
  const aisle = await sdk.createAisle({ endpoint: params.get('endpoint'), timeoutMs: 10000 });
  const created = performance.now();
  const result = await aisle.recommend({ k: 10 });
  const answered = performance.now();
  window.aisle = aisle;
  window.AisleSdk = sdk;
  window.coldStart = { imported, created, answered, items: result.items.length, degraded: result.degraded ?? null };
</script></body></html>`;

const PAGES: Record<string, string> = { '/esm.html': ESM_PAGE, '/cold.html': COLD_START_PAGE, '/blank.html': '<!doctype html><html><body></body></html>' };

/** A running HTTP server and its base URL. */
export interface BenchSite {
  url: string;
  close(): Promise<void>;
}

/** Starts the benchmark site on a free port of 127.0.0.1. */
export async function startBenchSite(): Promise<BenchSite> {
  const roots: Array<[string, string]> = [
    ['/sdk/', SDK_DIR],
    ['/ort-dist/', ORT_DIST_DIR],
  ];
  const server: Server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    void serve(path, roots).then(({ status, headers, body }) => response.writeHead(status, headers).end(body));
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((done) => server.close(() => done())) };
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

async function serve(path: string, roots: ReadonlyArray<[string, string]>): Promise<Reply> {
  const page = PAGES[path];
  if (page !== undefined) return { status: 200, headers: { 'content-type': CONTENT_TYPES['.html'], 'cache-control': 'no-store' }, body: page };

  const match = roots.find(([prefix]) => path.startsWith(prefix));
  if (!match) return notFound(path);
  const [prefix, root] = match;
  // normalize() resolves '..', and the prefix check keeps every request inside its root.
  const file = normalize(join(root, path.slice(prefix.length)));
  try {
    if (!file.startsWith(root + sep) || !(await stat(file)).isFile()) return notFound(path);
    const headers = { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'public, max-age=3600' };
    return { status: 200, headers, body: await readFile(file) };
  } catch {
    return notFound(path);
  }
}

function notFound(path: string): Reply {
  return { status: 404, headers: { 'content-type': 'text/plain' }, body: `Not found: ${path}` };
}
