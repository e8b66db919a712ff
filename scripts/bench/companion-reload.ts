/**
 * `npm run bench:reload -- [options]`: a bounded load test of the companion across index reloads.
 * It writes two seeded models directories (A and B, same dim, different item ids), starts
 * `aisle serve` as a child process on 127.0.0.1 over a symlink to A, and sends POST /v1/candidates
 * from concurrent clients. Meanwhile it points the symlink at the other directory and calls
 * POST /admin/reload, over and over. Every response is checked: status 200, and all items from the
 * directory that the response's `index.version` names. The run fails (exit 1) on any failed, lost or
 * mixed response or any failed reload.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, symlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeVector } from '../../src/core/vector.js';
import { unitVector, writeModelsDir } from '../../tests/support/companion-models.js';

const HELP = `Usage: npm run bench:reload -- [options]

Load-tests POST /v1/candidates of a real \`aisle serve\` on 127.0.0.1 while its models directory is
reloaded again and again, and reports lost, failed or mixed responses (all must be 0).

Options:
  --items N          items per models directory (default 50000)
  --dim N            vector dim (default 64)
  --index DESC       FAISS index_factory description (default HNSW32,Flat)
  --seconds N        length of the load (default 20)
  --max-requests N   stop after this many requests even before --seconds (default 100000)
  --connections N    concurrent HTTP connections (default 16)
  --pause-ms N       pause between the end of one reload and the next (default 500)
  --json             print one JSON object instead of a table
  -h, --help         print this help
`;

const CACHE_DIR = resolve('.cache/bench/reload');
const K = 20;

interface ReloadBenchOptions {
  items: number;
  dim: number;
  index: string;
  seconds: number;
  maxRequests: number;
  connections: number;
  pauseMs: number;
}

/** Counters of one run; `lost`, `failed`, `mixed` and `reloadsFailed` must all be 0. */
interface ReloadBenchResult {
  options: ReloadBenchOptions;
  durationSec: number;
  sent: number;
  ok: number;
  failed: number;
  lost: number;
  mixed: number;
  reloads: number;
  reloadsFailed: number;
  reloadMs: { median: number; max: number };
  latencyMs: { p50: number; p99: number; max: number };
  responsesByVersion: Record<string, number>;
}

function parseOptions(argv: string[]): (ReloadBenchOptions & { json: boolean }) | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      items: { type: 'string' }, dim: { type: 'string' }, index: { type: 'string' }, seconds: { type: 'string' },
      'max-requests': { type: 'string' }, connections: { type: 'string' }, 'pause-ms': { type: 'string' },
      json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) return null;
  const integer = (name: string, value: string | undefined, fallback: number, min: number) => {
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min) throw new Error(`--${name} must be an integer of at least ${min}, got ${JSON.stringify(value)}.`);
    return Number(value);
  };
  return {
    items: integer('items', values.items, 50_000, 100),
    dim: integer('dim', values.dim, 64, 1),
    index: values.index ?? 'HNSW32,Flat',
    seconds: integer('seconds', values.seconds, 20, 1),
    maxRequests: integer('max-requests', values['max-requests'], 100_000, 1),
    connections: integer('connections', values.connections, 16, 1),
    pauseMs: integer('pause-ms', values['pause-ms'], 500, 0),
    json: values.json ?? false,
  };
}

// Writes directory `name` unless a previous run with the same options left it.
async function prepareDir(name: string, options: ReloadBenchOptions, seed: number, log: (line: string) => void): Promise<string> {
  const dir = join(CACHE_DIR, `${name}-${options.items}x${options.dim}-${options.index.replace(/[^A-Za-z0-9]/g, '_')}`);
  const exists = await stat(join(dir, 'manifest.json')).then(() => true, () => false);
  if (!exists) {
    log(`writing models directory ${dir}`);
    await rm(dir, { recursive: true, force: true });
    await writeModelsDir(dir, { items: options.items, dim: options.dim, seed, version: name, index: options.index });
  }
  return dir;
}

async function pointLink(link: string, target: string): Promise<void> {
  await rm(`${link}.next`, { force: true });
  await symlink(target, `${link}.next`);
  await rename(`${link}.next`, link);
}

// Starts `aisle serve` at log level info, because the 'companion started' line names the port.
// Later lines (one per reload) are read and dropped, so the pipe never fills.
function startServe(link: string, token: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['bin/aisle.mjs', 'serve', '--models', link, '--port', '0', '--log-level', 'info'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, AISLE_ADMIN_TOKEN: token },
  });
  return new Promise((resolvePort, reject) => {
    let output = '';
    let found = false;
    child.once('exit', (code) => reject(new Error(`aisle serve exited with code ${code} before listening:\n${output}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (found) return;
      output += chunk.toString('utf8');
      const match = output.match(/"port":(\d+)/);
      if (match) {
        found = true;
        output = '';
        resolvePort({ child, port: Number(match[1]) });
      }
    });
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Runs the load and the reload loop and returns the counters. */
export async function runReloadBench(options: ReloadBenchOptions, log: (line: string) => void): Promise<ReloadBenchResult> {
  await mkdir(CACHE_DIR, { recursive: true });
  const dirs = [await prepareDir('A', options, 1, log), await prepareDir('B', options, 2, log)];
  const link = join(CACHE_DIR, `current-${process.pid}`);
  await pointLink(link, dirs[0]);

  const token = randomBytes(24).toString('hex');
  const { child, port } = await startServe(link, token);
  const base = `http://127.0.0.1:${port}`;

  const bodies = Array.from({ length: 256 }, (_, i) => JSON.stringify({ vector: encodeVector(unitVector(options.dim, 1000 + i)), k: K }));
  let next = 0;
  let ok = 0;
  let failed = 0;
  let mixed = 0;
  const responsesByVersion: Record<string, number> = {};
  const latencies: number[] = [];

  const reloadTimes: number[] = [];
  let reloadsFailed = 0;
  let loading = true;
  const reloadLoop = (async () => {
    let target = 1;
    while (loading) {
      await new Promise((resolveWait) => setTimeout(resolveWait, options.pauseMs));
      if (!loading) break;
      await pointLink(link, dirs[target]);
      const started = performance.now();
      const response = await fetch(`${base}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      const text = await response.text();
      if (response.status === 200) reloadTimes.push(performance.now() - started);
      else {
        reloadsFailed += 1;
        log(`reload failed with ${response.status}: ${text}`);
      }
      target = 1 - target;
    }
  })();

  // A closed loop per connection: each client awaits its response before sending the next
  // request, so the time and count bounds never cut a request off in flight.
  let sent = 0;
  let lost = 0;
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const client = async () => {
    while (performance.now() < deadline && sent < options.maxRequests) {
      const body = bodies[next++ % bodies.length];
      sent += 1;
      const requestStarted = performance.now();
      let response: Response;
      let text: string;
      try {
        response = await fetch(`${base}/v1/candidates`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
        text = await response.text();
      } catch (error) {
        lost += 1;
        log(`request lost: ${(error as Error).message}`);
        continue;
      }
      if (response.status !== 200) {
        failed += 1;
        log(`request failed with ${response.status}: ${text.slice(0, 300)}`);
        continue;
      }
      ok += 1;
      latencies.push(performance.now() - requestStarted);
      const parsed = JSON.parse(text) as { items: Array<{ id: string }>; index: { version: string } };
      const version = parsed.index.version;
      responsesByVersion[version] = (responsesByVersion[version] ?? 0) + 1;
      if (parsed.items.length !== K || !parsed.items.every((item) => item.id.startsWith(`${version}-`))) mixed += 1;
    }
  };
  await Promise.all(Array.from({ length: options.connections }, client));
  const durationSec = (performance.now() - started) / 1000;
  loading = false;
  await reloadLoop;

  child.kill('SIGTERM');
  await new Promise((resolveExit) => child.once('exit', resolveExit));
  await rm(link, { force: true });

  latencies.sort((a, b) => a - b);
  reloadTimes.sort((a, b) => a - b);
  return {
    options,
    durationSec,
    sent,
    ok,
    failed,
    lost,
    mixed,
    reloads: reloadTimes.length + reloadsFailed,
    reloadsFailed,
    reloadMs: { median: percentile(reloadTimes, 0.5), max: reloadTimes.at(-1) ?? Number.NaN },
    latencyMs: { p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99), max: latencies.at(-1) ?? Number.NaN },
    responsesByVersion,
  };
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  if (options === null) {
    process.stdout.write(HELP);
    return 0;
  }
  const log = (line: string) => process.stderr.write(`[bench:reload] ${line}\n`);
  const result = await runReloadBench(options, log);
  if (options.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    const { latencyMs, reloadMs } = result;
    process.stdout.write(
      [
        `${options.items} items × dim ${options.dim}, ${options.index}, ${options.connections} connections, ${result.durationSec.toFixed(1)} s`,
        `requests sent ${result.sent}, ok ${result.ok}, failed ${result.failed}, lost ${result.lost}, mixed ${result.mixed}`,
        `reloads ${result.reloads} (failed ${result.reloadsFailed}), reload median ${reloadMs.median.toFixed(0)} ms, max ${reloadMs.max.toFixed(0)} ms`,
        `latency p50 ${latencyMs.p50.toFixed(1)} ms, p99 ${latencyMs.p99.toFixed(1)} ms, max ${latencyMs.max.toFixed(1)} ms`,
        `responses by models directory: ${JSON.stringify(result.responsesByVersion)}`,
        '',
      ].join('\n'),
    );
  }
  return result.failed + result.lost + result.mixed + result.reloadsFailed === 0 ? 0 : 1;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    process.stderr.write(`bench:reload: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
