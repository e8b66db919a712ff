/**
 * HTTP load on the companion: starts the real server in a child process (companion-server.ts) and
 * drives it from this process. Closed-loop runs (each connection sends its next request when the
 * last one returns) use autocannon. Latencies come from autocannon's per-response event, which has
 * sub-millisecond resolution, instead of its whole-millisecond histogram.
 *
 * Runs at a fixed rate use runPaced, an open-loop generator: autocannon 9's rate limit lets each
 * connection send its quota for the second back to back and then pause, so its "paced" runs
 * measure bursts.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import autocannon from 'autocannon';

import type { ChildMessage, ChildOptions, ParentMessage } from './companion-server.js';

const SERVER_SCRIPT = fileURLToPath(new URL('./companion-server.ts', import.meta.url));

/** A companion running in a child process. */
export interface CompanionProcess {
  port: number;
  /** Milliseconds from the start of startServer to listening: loading the catalog, index and text search. */
  startMs: number;
  /** Resident set of the child once listening, in bytes. */
  rssBytes: number;
  /** Returns the companion's counters (batches, cache hits) and its CPU time so far. */
  stats(): Promise<ChildStats>;
  stop(): Promise<void>;
}

/**
 * Starts the companion in a child process on 127.0.0.1 and a free port. The child loads
 * TypeScript through tsx, as `npm run bench:companion` does.
 */
export function startCompanion(options: ChildOptions): Promise<CompanionProcess> {
  const child = fork(SERVER_SCRIPT, [JSON.stringify(options)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });

  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the companion child process exited with code ${code} before listening`));
    child.once('exit', onExit);
    child.once('message', (message: ChildMessage) => {
      if (message.type === 'error') {
        reject(new Error(`the companion failed to start: ${message.message}`));
        return;
      }
      if (message.type !== 'listening') return;
      child.off('exit', onExit);
      resolve({ port: message.port, startMs: message.startMs, rssBytes: message.rssBytes, stats: () => requestStats(child), stop: () => stopChild(child) });
    });
  });
}

/** Counters and resource use that the child reports on request. */
export type ChildStats = Omit<Extract<ChildMessage, { type: 'stats' }>, 'type'>;

function requestStats(child: ChildProcess): Promise<ChildStats> {
  return new Promise((resolve) => {
    const onMessage = (message: ChildMessage) => {
      if (message.type !== 'stats') return;
      child.off('message', onMessage);
      const { type, ...stats } = message;
      void type;
      resolve(stats);
    };
    child.on('message', onMessage);
    child.send({ type: 'stats' } satisfies ParentMessage);
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.send({ type: 'stop' } satisfies ParentMessage);
  });
}

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  mean: number;
}

/** Measurements of one load run. */
export interface LoadResult {
  connections: number;
  /** Requested rate in requests per second, or null for as fast as the server responds. */
  targetRate: number | null;
  durationSec: number;
  /** Responses with status 200. */
  ok: number;
  /** Responses with another status, plus connection errors and timeouts. */
  failed: number;
  /** Responses per second over the run. */
  throughput: number;
  latency: LatencySummary;
  /** Mean response size, headers included, in bytes. */
  responseBytes: number;
  /** Sorted latencies in milliseconds, for plots. */
  latencies: Float64Array;
  /**
   * CPU time of this process (the load generator) per response, in microseconds; NaN for runPaced,
   * whose 1 ms timer costs more CPU than its requests at low rates.
   */
  clientCpuUs: number;
}

/** Options of runLoad. */
export interface LoadOptions {
  port: number;
  path: string;
  /** POST request bodies (JSON text), sent in turn, so consecutive requests carry different vectors. Empty for GET requests. */
  bodies: readonly string[];
  connections: number;
  durationSec: number;
  /** Total requests per second over all connections; omit for as fast as possible. */
  rate?: number;
  /** Stop after this many requests instead of after durationSec. */
  amount?: number;
}

/** Returns the percentile p (0..1) of sorted values by the nearest-rank rule. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank];
}

/** Returns the usual percentiles of sorted latencies. */
export function summarize(sorted: Float64Array): LatencySummary {
  let sum = 0;
  for (const value of sorted) sum += value;
  return { p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), p99: percentile(sorted, 0.99), p999: percentile(sorted, 0.999), max: sorted[sorted.length - 1] ?? Number.NaN, mean: sorted.length ? sum / sorted.length : Number.NaN };
}

/** Runs autocannon against the companion and returns throughput and latency percentiles. */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const cpuBefore = process.cpuUsage();
  const latencies: number[] = [];
  let failed = 0;
  let next = 0;

  let finish: (result: autocannon.Result) => void = () => undefined;
  let fail: (error: unknown) => void = () => undefined;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const instance = autocannon(
    {
      url: `http://127.0.0.1:${options.port}`,
      connections: options.connections,
      duration: options.durationSec,
      overallRate: options.rate,
      amount: options.amount,
      timeout: 10,
      requests: [
        options.bodies.length === 0
          ? { method: 'GET', path: options.path }
          : {
              method: 'POST',
              path: options.path,
              headers: { 'content-type': 'application/json' },
              setupRequest: (request) => ({ ...request, body: options.bodies[next++ % options.bodies.length] }),
            },
      ],
    },
    (error, result) => (error ? fail(error) : finish(result)),
  );
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode === 200) latencies.push(responseTime);
    else failed += 1;
  });

  const result = await done;
  const cpu = process.cpuUsage(cpuBefore);
  const sorted = Float64Array.from(latencies).sort();
  return {
    connections: options.connections,
    targetRate: options.rate ?? null,
    durationSec: result.duration,
    ok: sorted.length,
    failed: failed + result.errors + result.timeouts,
    throughput: sorted.length / result.duration,
    latency: summarize(sorted),
    responseBytes: result.requests.total > 0 ? result.throughput.total / result.requests.total : 0,
    latencies: sorted,
    clientCpuUs: (cpu.user + cpu.system) / Math.max(1, sorted.length),
  };
}

/** Options of runPaced. */
export interface PacedOptions {
  port: number;
  path: string;
  bodies: readonly string[];
  /** Requests per second, sent at even intervals whether or not earlier ones have returned. */
  rate: number;
  durationSec: number;
  /** Keep-alive connections the requests share; more requests wait in the agent's queue. */
  connections: number;
}

/**
 * Sends POST requests at a fixed rate (open loop) and measures each latency from the moment the
 * request was due, so time spent waiting for a free connection or a late timer counts.
 */
export async function runPaced(options: PacedOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const total = Math.max(1, Math.round(options.rate * options.durationSec));
  const latencies: number[] = [];
  let failed = 0;
  let bytes = 0;
  const started = performance.now();

  const send = (i: number, due: number) =>
    new Promise<void>((resolve) => {
      const body = options.bodies[i % options.bodies.length];
      const call = request({ host: '127.0.0.1', port: options.port, path: options.path, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (response) => {
        response.on('data', (chunk: Buffer) => (bytes += chunk.length));
        response.on('end', () => {
          if (response.statusCode === 200) latencies.push(performance.now() - due);
          else failed += 1;
          resolve();
        });
      });
      call.on('error', () => {
        failed += 1;
        resolve();
      });
      call.end(body);
    });

  const inFlight: Array<Promise<void>> = [];
  let next = 0;
  await new Promise<void>((resolve) => {
    // A 1 ms timer sends every request that is due; requests are due at started + i / rate.
    const timer = setInterval(() => {
      const now = performance.now();
      while (next < total && started + (next * 1000) / options.rate <= now) {
        inFlight.push(send(next, started + (next * 1000) / options.rate));
        next += 1;
      }
      if (next >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  await Promise.all(inFlight);
  const elapsedSec = (performance.now() - started) / 1000;
  agent.destroy();

  const sorted = Float64Array.from(latencies).sort();
  return {
    connections: options.connections,
    targetRate: options.rate,
    durationSec: elapsedSec,
    ok: sorted.length,
    failed,
    throughput: sorted.length / elapsedSec,
    latency: summarize(sorted),
    responseBytes: sorted.length > 0 ? bytes / sorted.length : 0,
    latencies: sorted,
    clientCpuUs: Number.NaN,
  };
}
