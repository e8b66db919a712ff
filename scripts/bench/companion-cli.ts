/**
 * `npm run bench:companion -- [--quick] [--json] [--models DIR] [--baseline DIR]`: runs the
 * companion benchmark (companion.ts). Progress goes to stderr. stdout gets one JSON object with
 * --json, otherwise readable tables.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

import { type CompanionBenchResult, type LoadSummary, runCompanionBench } from './companion.js';
import type { HttpReport } from './companion-http.js';
import type { SetReport } from './faiss-sweep.js';

const HELP = `Usage: npm run bench:companion -- [options]

Measures FAISS recall and speed at 100k and 1M item vectors, POST /v1/candidates through the
real companion on 127.0.0.1 under autocannon load, and the companion's caches and encoding.

Options:
  --quick          100k vectors instead of 1M and load runs of 3 s instead of 10 s (about 2 min
                   once the indexes are cached; the first run builds them)
  --json           print one JSON object on stdout instead of tables
  --models DIR     also sweep the item vectors of a models directory written by \`aisle train\`
  --baseline DIR   also load-test the server of another checkout of Aisle (for example a git
                   worktree of an earlier commit), as "before"
  --plots DIR      write the SVG plots to DIR (default docs/img for full runs, none for --quick)
  -h, --help       print this help
`;

function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  const line = (row: string[]) => `| ${row.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  return [line(cells[0]), `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`, ...cells.slice(1).map(line)].join('\n');
}

function faissTable(report: SetReport): string {
  const rows = report.indexes.flatMap((index) =>
    index.points.map((point) => [
      index.label,
      point.parameter ? `${point.parameter}=${point.value}` : '',
      point.recall10.toFixed(4),
      point.recall100.toFixed(4),
      point.qps.toFixed(0),
      point.speedupVsFlat.toFixed(1),
      `${(index.buildMs / 1000).toFixed(1)}${index.fromCache ? ' (cached)' : ''}`,
      (index.indexBytes / 1e6).toFixed(0),
      (index.rssDeltaBytes / 1e6).toFixed(0),
    ]),
  );
  return `FAISS ${report.name}: ${report.n}×${report.dim}, ${report.nq} queries, k=100\n${table(['index', 'setting', 'recall@10', 'recall@100', 'QPS', '× Flat', 'build s', 'index MB', 'RSS Δ MB'], rows)}`;
}

type RunRow = LoadSummary & { latency: Record<string, number> };

function runRow(server: string, name: string, run: RunRow, serverCpuUs?: number): Array<string | number> {
  const cpu = serverCpuUs === undefined ? '' : serverCpuUs.toFixed(0);
  const clientCpu = Number.isFinite(run.clientCpuUs) ? run.clientCpuUs.toFixed(0) : '';
  return [server, name, run.connections, run.throughput.toFixed(0), run.latency.p50.toFixed(2), run.latency.p99.toFixed(2), run.latency.max.toFixed(1), (run.responseBytes / 1000).toFixed(1), cpu, clientCpu, run.failed];
}

function httpTable(result: CompanionBenchResult): string {
  const http = result.http as unknown as Record<string, (Record<string, RunRow> & { label: string; serverCpuUs: number }) | undefined> & { ceiling: RunRow };
  const rows: Array<Array<string | number>> = [];
  const names: Record<string, string> = { single: 'one connection', max: 'max (closed loop)', half: 'half of max (open loop, median of 3)' };
  for (const key of ['batched', 'unbatched', 'baseline']) {
    const runs = http[key];
    if (!runs) continue;
    for (const name of ['single', 'max', 'half']) rows.push(runRow(runs.label, names[name], runs[name], name === 'max' ? runs.serverCpuUs : undefined));
  }
  rows.push(runRow('batching on', 'GET /healthz (ceiling)', http.ceiling));
  const p99s = ['batched', 'unbatched', 'baseline']
    .map((key) => http[key] as unknown as { label: string; halfP99s: number[] } | undefined)
    .filter((runs) => runs !== undefined)
    .map((runs) => `${runs.label} ${runs.halfP99s.map((p99) => p99.toFixed(1)).join(', ')}`);
  return `${table(['server', 'run', 'conn', 'req/s', 'p50 ms', 'p99 ms', 'max ms', 'KB/resp', 'server µs/req', 'client µs/req', 'failed'], rows)}\np99 ms of the three half-of-max runs: ${p99s.join('; ')}`;
}

function print(result: CompanionBenchResult): void {
  const out: string[] = [];
  out.push(`Companion benchmark (${result.quick ? 'QUICK: 100k vectors stand in for 1M' : 'full'}), ${result.environment.date}, commit ${result.environment.commit}`);
  out.push(`${result.environment.cores} cores, ${result.environment.cpu}, Node ${result.environment.node}, load average ${result.environment.loadAverage1mAtStart} at start`);
  for (const report of result.faiss) out.push('', faissTable(report));
  const raw = result.http.raw;
  out.push('', `HTTP: POST /v1/candidates, ${result.ann_items} items, k=${result.http.k}, ${result.ann_setting}`);
  out.push(`raw FAISS: ${raw.batchedQps.toFixed(0)} QPS in one call, ${raw.batchOfConnectionsQps.toFixed(0)} QPS in calls of ${result.http.connections}, ${raw.singleQps.toFixed(0)} QPS one by one`);
  out.push(httpTable(result));
  const cache = result.http.cache as HttpReport['cache'] & { withCache: { hitRatio: number } };
  out.push('', `ANN result cache on the cold-shopper stream (${(cache.repeatShare * 100).toFixed(1)}% of requests repeat an earlier vector):`);
  out.push(table(
    ['cache', 'req/s', 'p50 ms', 'p99 ms', 'hit ratio'],
    [
      ['off', cache.withoutCache.throughput.toFixed(0), cache.withoutCache.latency.p50.toFixed(2), cache.withoutCache.latency.p99.toFixed(2), ''],
      [`on (${cache.cacheEntries} entries)`, cache.withCache.throughput.toFixed(0), cache.withCache.latency.p50.toFixed(2), cache.withCache.latency.p99.toFixed(2), `${(cache.withCache.hitRatio * 100).toFixed(1)}%`],
    ],
  ));
  out.push(`In process, k=${result.http.k}: a miss takes ${cache.latency.missUs.toFixed(0)} µs and a hit ${cache.latency.hitUs.toFixed(1)} µs (medians). Queries moved by up to ${cache.quantization.noise} per component keep their key in ${(cache.quantization.sameKeyShare * 100).toFixed(0)}% of cases, and a hit then returns ${(cache.quantization.overlapAtK * 100).toFixed(2)}% of their own top ${result.http.k}.`);
  for (const report of result.encoding) {
    out.push('', `Encoding of one /v1/candidates body (${report.catalog}, k=${report.k}): ${(report.bodyBytes / 1000).toFixed(0)} KB, vectors ${(report.vectorBytes / 1000).toFixed(0)} KB, gzip ${(report.gzipBytes / 1000).toFixed(0)} KB`);
    out.push(table(['step', 'ms'], report.steps.map((step) => [step.step, step.ms.toFixed(3)])));
  }
  out.push('', 'Targets:');
  out.push(`  recall@100 ≥ 0.95 at ≥ 10× Flat: ${result.targets.annRecallAndSpeedup ? 'met' : 'missed'} (${result.ann_setting}: ${result.ann_1m_recall100.toFixed(4)}, ${result.ann_1m_speedup_vs_flat.toFixed(1)}×)`);
  out.push(`  HTTP ≥ 0.5 × raw FAISS: ${result.targets.httpVsRawRatio ? 'met' : 'missed'} (${result.http_vs_raw_faiss_ratio.toFixed(3)})`);
  out.push(`  p99 ≤ 20 ms at half max throughput: ${result.targets.httpP99 ? 'met' : 'missed'} (${result.http_p99_ms.toFixed(2)} ms)`);
  if (result.plots.length > 0) out.push('', `Plots: ${result.plots.join(', ')}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      models: { type: 'string' },
      baseline: { type: 'string' },
      plots: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }

  const log = (line: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  const result = await runCompanionBench({
    quick: values.quick ?? false,
    models: values.models && resolve(values.models),
    baseline: values.baseline && resolve(values.baseline),
    plotDir: values.plots && resolve(values.plots),
    log,
  });
  if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else print(result);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench:companion: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
