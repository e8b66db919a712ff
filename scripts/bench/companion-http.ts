/**
 * The HTTP part of the companion benchmark. It measures raw FAISS throughput on the served index,
 * then POST /v1/candidates through the real companion with micro-batching on and off. It also runs
 * the ANN result cache on a cold-shopper stream and, when given, an earlier checkout of the server.
 */
import { performance } from 'node:perf_hooks';

import { encodeVector } from '../../src/core/vector.js';
import { FaissIndex, type SearchOptions } from '../../src/server/ann/faiss.js';
import type { Catalog } from '../../src/server/catalog.js';
import { type CacheLatency, checkQuantization, coldShopperStream, type ColdShopperStream, measureCacheLatency, type QuantizationCheck } from './companion-cache.js';
import type { CompanionStats } from '../../src/server/app.js';
import { type CompanionProcess, type LoadResult, runLoad, runPaced, startCompanion } from './companion-load.js';
import type { VectorSet } from './faiss-data.js';

/** Options of benchHttp. */
export interface HttpBenchOptions {
  set: VectorSet;
  catalog: Catalog;
  modelsDir: string;
  indexPath: string;
  search: SearchOptions;
  k: number;
  /** Seconds of each timed load run. */
  durationSec: number;
  /** Concurrent connections of the max-throughput and half-rate runs. */
  connections: number;
  /** Requests of the cold-shopper stream. */
  streamRequests: number;
  /** Root of an earlier checkout whose server is measured as "before", if any. */
  baselineRoot?: string;
  log: (line: string) => void;
}

/** Raw FAISS throughput on the served index with the served parameters, in queries per second. */
export interface RawFaiss {
  /** One search call over all nq queries: the most FAISS can do with these parameters. */
  batchedQps: number;
  /** Calls of `connections` queries each, the largest batch the HTTP runs can form. */
  batchOfConnectionsQps: number;
  /** One call per query, one after another. */
  singleQps: number;
}

/** Load runs of one companion configuration. */
export interface ServerRuns {
  label: string;
  startMs: number;
  rssMb: number;
  /** One connection, no load: the latency of one request alone. */
  single: LoadResult;
  /** `connections` connections as fast as the server responds (autocannon, closed loop). */
  max: LoadResult;
  /** Open-loop requests at half of max's throughput: the run with the median p99 of three. */
  half: LoadResult;
  /** p99 latency in ms of each of the three half-rate runs, in run order. */
  halfP99s: number[];
  /** CPU time of the companion process (all threads) per request of the max run, in microseconds. */
  serverCpuUs: number;
  stats?: CompanionStats;
}

/** The ANN result cache on the cold-shopper stream, and in this process. */
export interface CacheRuns {
  repeatShare: number;
  cacheEntries: number;
  withCache: LoadResult & { hitRatio: number };
  withoutCache: LoadResult;
  latency: CacheLatency;
  quantization: QuantizationCheck;
}

/** Everything benchHttp measured. */
export interface HttpReport {
  n: number;
  k: number;
  index: string;
  search: SearchOptions;
  connections: number;
  raw: RawFaiss;
  /** GET /healthz as fast as possible on the batching-on server. */
  ceiling: LoadResult;
  batched: ServerRuns;
  unbatched: ServerRuns;
  baseline?: ServerRuns;
  cache: CacheRuns;
}

async function timeCalls(index: FaissIndex, queries: Float32Array, batch: number, k: number, search: SearchOptions): Promise<number> {
  const dim = index.dim;
  const nq = queries.length / dim;
  const started = performance.now();
  for (let q = 0; q < nq; q += batch) await index.search(queries.subarray(q * dim, Math.min(nq, q + batch) * dim), k, search);
  return (nq * 1000) / (performance.now() - started);
}

/** Measures raw FAISS QPS on the index file the companion serves, median of three runs each. */
async function measureRaw(index: FaissIndex, queries: Float32Array, connections: number, k: number, search: SearchOptions): Promise<RawFaiss> {
  const nq = queries.length / index.dim;
  const median3 = async (batch: number) => {
    const runs = [await timeCalls(index, queries, batch, k, search), await timeCalls(index, queries, batch, k, search), await timeCalls(index, queries, batch, k, search)];
    return runs.sort((a, b) => a - b)[1];
  };
  await timeCalls(index, queries.subarray(0, Math.min(nq, 100) * index.dim), 100, k, search);
  return { batchedQps: await median3(nq), batchOfConnectionsQps: await median3(connections), singleQps: await median3(1) };
}

function describeRun(name: string, run: LoadResult): string {
  const rate = run.targetRate === null ? 'max' : `${run.targetRate.toFixed(0)}/s`;
  return `    ${name} (${run.connections} conn, ${rate}): ${run.throughput.toFixed(0)} req/s, p50 ${run.latency.p50.toFixed(2)} ms, p99 ${run.latency.p99.toFixed(2)} ms, ${run.failed} failed`;
}

async function measureServer(label: string, server: CompanionProcess, bodies: string[], options: HttpBenchOptions): Promise<ServerRuns> {
  const { log, connections, durationSec } = options;
  const path = '/v1/candidates';
  log(`  ${label}: started in ${(server.startMs / 1000).toFixed(1)} s, RSS ${(server.rssBytes / 1e6).toFixed(0)} MB`);
  // One pass over every body first, so the runs below measure a server whose item JSON cache contains
  // the items these queries return, as a long-running server's would.
  await runLoad({ port: server.port, path, bodies, connections, durationSec: 600, amount: bodies.length });

  const single = await runLoad({ port: server.port, path, bodies, connections: 1, durationSec: Math.max(1, durationSec / 2) });
  log(describeRun('one connection', single));
  const before = await server.stats();
  const max = await runLoad({ port: server.port, path, bodies, connections, durationSec });
  const after = await server.stats();
  const serverCpuUs = (after.cpuMicros - before.cpuMicros) / Math.max(1, max.ok);
  log(`${describeRun('max throughput', max)}; CPU per request: companion ${serverCpuUs.toFixed(0)} µs, load generator ${max.clientCpuUs.toFixed(0)} µs`);
  // Three runs, because one transient stall (such as a large collection in another thread of the
  // companion) decides a p99 on its own. The run with the median p99 is reported, with all three p99s.
  const halves: LoadResult[] = [];
  for (let i = 0; i < 3; i++) {
    halves.push(await runPaced({ port: server.port, path, bodies, connections, durationSec, rate: Math.max(1, Math.floor(max.throughput / 2)) }));
    log(describeRun(`half of max, open loop, run ${i + 1}`, halves[i]));
  }
  const half = [...halves].sort((a, b) => a.latency.p99 - b.latency.p99)[1];
  const halfP99s = halves.map((run) => run.latency.p99);
  return { label, startMs: server.startMs, rssMb: server.rssBytes / 1e6, single, max, half, halfP99s, serverCpuUs, stats: (await server.stats()).stats };
}

/** Measures GET /healthz, a route that does no work: the ceiling of HTTP on this machine. */
async function measureHttpCeiling(server: CompanionProcess, options: HttpBenchOptions): Promise<LoadResult> {
  const run = await runLoad({ port: server.port, path: '/healthz', bodies: [], connections: options.connections, durationSec: Math.max(1, options.durationSec / 2) });
  options.log(describeRun('GET /healthz (HTTP ceiling)', run));
  return run;
}

async function withServer<T>(server: Parameters<typeof startCompanion>[0], run: (process: CompanionProcess) => Promise<T>): Promise<T> {
  const started = await startCompanion(server);
  try {
    return await run(started);
  } finally {
    await started.stop();
  }
}

function streamLoad(port: number, bodies: string[], connections: number): Promise<LoadResult> {
  return runLoad({ port, path: '/v1/candidates', bodies, connections, durationSec: 600, amount: bodies.length });
}

/**
 * Measures the ANN result cache: the cold-shopper stream through two freshly started servers, with
 * the cache off and on, so both start with an empty item JSON cache. Then hit and miss latency and
 * the quantization check in this process.
 */
async function measureCache(options: HttpBenchOptions, index: FaissIndex, stream: ColdShopperStream): Promise<CacheRuns> {
  const { log, k, search, set } = options;
  const withoutCache = await withServer({ server: { modelsDir: options.modelsDir, ann: { ...search, cacheEntries: 0 } } }, (server) => streamLoad(server.port, stream.bodies, options.connections));
  log(describeRun('stream, ANN cache off', withoutCache));
  const withCache = await withServer({ server: { modelsDir: options.modelsDir, ann: { ...search } } }, async (server) => {
    const run = await streamLoad(server.port, stream.bodies, options.connections);
    const cache = (await server.stats()).stats?.ann.cache;
    return { ...run, hitRatio: cache ? cache.hits / Math.max(1, cache.hits + cache.misses) : Number.NaN };
  });
  log(`${describeRun('stream, ANN cache on', withCache)}, hit ratio ${(withCache.hitRatio * 100).toFixed(1)}%`);

  const latency = await measureCacheLatency(index, set.queries, k, search, 200);
  const quantization = await checkQuantization(index, set.queries, k, search, 300, 1e-6);
  log(`    in process: miss ${latency.missUs.toFixed(0)} µs, hit ${latency.hitUs.toFixed(1)} µs; queries moved by up to 1e-6 per component keeping their key ${(quantization.sameKeyShare * 100).toFixed(0)}%, overlap@${k} ${quantization.overlapAtK.toFixed(4)}`);
  return { repeatShare: stream.repeatShare, cacheEntries: stream.cacheEntries, withCache, withoutCache, latency, quantization };
}

/** Runs the HTTP benchmark; the raw FAISS numbers come from the same index file and parameters. */
export async function benchHttp(options: HttpBenchOptions): Promise<HttpReport> {
  const { set, log, k, search } = options;
  const dim = set.dim;
  const bodies = Array.from({ length: set.nq }, (_, q) => JSON.stringify({ vector: encodeVector(set.queries.subarray(q * dim, (q + 1) * dim)), k }));

  const index = await FaissIndex.read(options.indexPath);
  try {
    const raw = await measureRaw(index, set.queries, options.connections, k, search);
    log(`  raw FAISS, k=${k} ${JSON.stringify(search)}: ${raw.batchedQps.toFixed(0)} QPS in one call of ${set.nq}, ${raw.batchOfConnectionsQps.toFixed(0)} QPS in calls of ${options.connections}, ${raw.singleQps.toFixed(0)} QPS one by one`);

    const stream = coldShopperStream(options.catalog, options.streamRequests, k);
    log(`  cold-shopper stream: ${stream.bodies.length} requests, ${(stream.repeatShare * 100).toFixed(1)}% repeat an earlier vector`);

    // The result cache is off in these runs: the bodies repeat, and hits would hide the cost of search.
    let ceiling: LoadResult | undefined;
    const batched = await withServer({ server: { modelsDir: options.modelsDir, ann: { ...search, cacheEntries: 0 } } }, async (server) => {
      const runs = await measureServer('batching on', server, bodies, options);
      ceiling = await measureHttpCeiling(server, options);
      return runs;
    });
    const unbatched = await withServer({ server: { modelsDir: options.modelsDir, ann: { ...search, cacheEntries: 0, batching: false } } }, (server) => measureServer('batching off', server, bodies, options));
    const baseline = options.baselineRoot
      ? await withServer({ serverRoot: options.baselineRoot, server: { modelsDir: options.modelsDir, ann: { ...search } } }, (server) => measureServer(`before (${options.baselineRoot})`, server, bodies, options))
      : undefined;
    const cache = await measureCache(options, index, stream);

    return { n: set.n, k, index: options.indexPath, search, connections: options.connections, raw, ceiling: ceiling as LoadResult, batched, unbatched, baseline, cache };
  } finally {
    index.dispose();
  }
}
