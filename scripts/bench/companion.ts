/**
 * The companion benchmark: FAISS recall and speed at 100k and 1M item vectors, POST /v1/candidates
 * through the real companion under load, its caches and its response encoding. `npm run bench`
 * imports runCompanionBench; `npm run bench:companion` runs it alone (companion-cli.ts).
 *
 * Indexes, catalogs and models directories are cached under .cache/bench/, so only the first run
 * builds them. Progress goes to options.log; nothing is printed on stdout.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { prepareCatalogFiles, prepareModelsDir } from './companion-catalog.js';
import { benchEncoding, type EncodingReport, readCatalog } from './companion-encoding.js';
import { benchHttp, type HttpReport, type ServerRuns } from './companion-http.js';
import type { LoadResult } from './companion-load.js';
import { latencyChart, recallQpsChart, writePlots } from './companion-plots.js';
import { realSet, syntheticSet, type VectorSet } from './faiss-data.js';
import { benchVectorSet, type SetReport, TARGET } from './faiss-sweep.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Options of runCompanionBench. */
export interface CompanionBenchOptions {
  /** Shrink sizes for a run of a minute or two: 100k vectors instead of 1M, shorter load runs. */
  quick: boolean;
  /** A models directory written by `aisle train`, whose item vectors join the FAISS sweep. */
  models?: string;
  log: (line: string) => void;
  /** Root of an earlier checkout of Aisle, whose server is measured as "before" under the same load. */
  baseline?: string;
  /** Directory of the SVG plots, or null for none. Default docs/img/ for full runs and null for quick runs. */
  plotDir?: string | null;
}

/** A load run without its raw latencies, as it appears in the JSON result. */
export type LoadSummary = Omit<LoadResult, 'latencies'>;

/** Result of runCompanionBench; the first numeric keys are those `npm run bench` reports. */
export interface CompanionBenchResult {
  quick: boolean;
  /** recall@100 of the chosen ANN setting on the largest synthetic set (1M, or 100k with quick). */
  ann_1m_recall100: number;
  /** QPS of that setting over Flat's QPS, same set, same run. */
  ann_1m_speedup_vs_flat: number;
  /** Max HTTP throughput with batching over raw FAISS QPS of one search call, same index and parameters. */
  http_vs_raw_faiss_ratio: number;
  /** p99 latency in ms at half the max HTTP throughput, batching on: the median of three runs. */
  http_p99_ms: number;
  http_p50_ms: number;
  http_max_rps: number;
  ann_items: number;
  ann_setting: string;
  targets: { annRecallAndSpeedup: boolean; httpVsRawRatio: boolean; httpP99: boolean };
  environment: Record<string, string | number>;
  faiss: SetReport[];
  http: Omit<HttpReport, 'ceiling' | 'batched' | 'unbatched' | 'baseline' | 'cache'> & Record<string, unknown>;
  encoding: EncodingReport[];
  plots: string[];
}

function environment(quick: boolean): Record<string, string | number> {
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    // Not a git checkout: the commit stays unknown.
  }
  return {
    date: new Date().toISOString(),
    commit,
    node: process.version,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadAverage1mAtStart: Number(loadavg()[0].toFixed(2)),
    mode: quick ? 'quick: 100k vectors stand in for 1M, load runs of 3 s' : 'full: 1M vectors, load runs of 10 s',
  };
}

function withoutLatencies(run: LoadResult): LoadSummary {
  const { latencies, ...summary } = run;
  void latencies;
  return summary;
}

function summarizeServer(runs: ServerRuns | undefined): Record<string, unknown> | undefined {
  if (!runs) return undefined;
  return { ...runs, single: withoutLatencies(runs.single), max: withoutLatencies(runs.max), half: withoutLatencies(runs.half) };
}

async function sweepSets(sizes: number[], options: CompanionBenchOptions, cacheDir: string): Promise<{ reports: SetReport[]; large: VectorSet }> {
  const reports: SetReport[] = [];
  let large: VectorSet | undefined;
  const sweep = { cacheDir: join(cacheDir, 'indexes'), repeats: 3, log: options.log };
  for (const n of sizes) {
    const set = syntheticSet(n, 1000);
    reports.push(await benchVectorSet(set, sweep));
    large = set;
  }
  if (options.models) reports.push(await benchVectorSet(await realSet(options.models, 1000), sweep));
  return { reports, large: large as VectorSet };
}

/**
 * Runs the whole companion benchmark. Rejects when no swept index reaches recall@100 ≥ 0.95 on the
 * largest set, because the HTTP part would have no setting to serve.
 */
export async function runCompanionBench(options: CompanionBenchOptions): Promise<CompanionBenchResult> {
  const { log, quick } = options;
  const cacheDir = join(ROOT, '.cache/bench');
  const env = environment(quick);
  log(`companion benchmark, ${env.mode}`);

  const { reports, large } = await sweepSets(quick ? [100_000] : [100_000, 1_000_000], options, cacheDir);
  const largeReport = reports.find((report) => report.name === large.name) as SetReport;
  const chosen = largeReport.chosen;
  if (!chosen?.path || chosen.value === null) throw new Error(`runCompanionBench: no swept index reached recall@100 ≥ ${TARGET.recall100} on ${large.name}.`);
  const setting = `${chosen.label} ${chosen.parameter}=${chosen.value}`;
  log(`chosen ANN setting on ${large.name}: ${setting}, recall@100 ${chosen.recall100.toFixed(4)}, ${chosen.speedupVsFlat.toFixed(1)}× Flat`);

  log(`HTTP: companion over ${large.n} items`);
  const files = await prepareCatalogFiles(large, cacheDir, log);
  const modelsDir = await prepareModelsDir(large, files, chosen.path, chosen.description, cacheDir);
  const catalog = await readCatalog(modelsDir);
  const search = chosen.parameter === 'efSearch' ? { efSearch: chosen.value } : { nprobe: chosen.value };
  const http = await benchHttp({ set: large, catalog, modelsDir, indexPath: chosen.path, search, k: 200, durationSec: quick ? 3 : 10, connections: 32, streamRequests: quick ? 5000 : 20000, baselineRoot: options.baseline, log });

  log('encoding of a /v1/candidates body, k=200');
  const encoding = [benchEncoding(`synthetic ${large.n}`, catalog, 200, quick ? 500 : 2000)];
  if (options.models) encoding.push(benchEncoding(`real ${options.models}`, await readCatalog(options.models), 200, quick ? 500 : 2000));
  for (const report of encoding) log(`  ${report.catalog}: ${report.steps.map((step) => `${step.step} ${step.ms.toFixed(2)} ms`).join('; ')}`);

  let plotDir = options.plotDir;
  if (plotDir === undefined) plotDir = quick ? null : join(ROOT, 'docs/img');
  const latencyRuns = [
    { name: 'batching on', run: http.batched.half },
    { name: 'batching off', run: http.unbatched.half },
    ...(http.baseline ? [{ name: 'before (object-built JSON)', run: http.baseline.half }] : []),
  ];
  const plots = plotDir
    ? await writePlots(plotDir, {
        'companion-faiss-recall-qps.svg': recallQpsChart(largeReport),
        'companion-http-latency.svg': latencyChart(`POST /v1/candidates, ${large.n.toLocaleString('en-US')} items, k=200, at half of each max throughput`, latencyRuns),
      })
    : [];

  const ratio = http.batched.max.throughput / http.raw.batchedQps;
  const p99 = http.batched.half.latency.p99;
  return {
    quick,
    ann_1m_recall100: chosen.recall100,
    ann_1m_speedup_vs_flat: chosen.speedupVsFlat,
    http_vs_raw_faiss_ratio: ratio,
    http_p99_ms: p99,
    http_p50_ms: http.batched.half.latency.p50,
    http_max_rps: http.batched.max.throughput,
    ann_items: large.n,
    ann_setting: setting,
    targets: { annRecallAndSpeedup: chosen.meetsTarget, httpVsRawRatio: ratio >= 0.5, httpP99: p99 <= 20 },
    environment: { ...env, loadAverage1mAtEnd: Number(loadavg()[0].toFixed(2)) },
    faiss: reports,
    http: {
      ...http,
      ceiling: withoutLatencies(http.ceiling),
      batched: summarizeServer(http.batched),
      unbatched: summarizeServer(http.unbatched),
      baseline: summarizeServer(http.baseline),
      cache: { ...http.cache, withCache: withoutLatencies(http.cache.withCache), withoutCache: withoutLatencies(http.cache.withoutCache) },
    },
    encoding,
    plots,
  };
}
