/**
 * Plots of the companion benchmark, written as SVG into docs/img/: recall@100 against queries per
 * second for every index of the FAISS sweep, and the latency distribution of POST /v1/candidates.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { percentile, type LoadResult } from './companion-load.js';
import { TARGET, type SetReport } from './faiss-sweep.js';
import { lineChart, type Series } from './svg.js';

/** Quantiles drawn on the latency plot; more points near the tail, where the runs differ. */
const QUANTILES = [0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99, 0.995, 0.999];

/** Returns the chart of recall@100 against QPS of every swept index of one vector set. */
export function recallQpsChart(report: SetReport): string {
  const series: Series[] = report.indexes.map((index) => ({
    name: index.family === 'flat' ? 'Flat (exact)' : `${index.label}, ${index.points[0]?.parameter ?? ''} ${index.points[0]?.value}–${index.points[index.points.length - 1]?.value}`,
    points: index.points.map((point) => [point.qps, point.recall100] as const),
    markers: true,
  }));
  return lineChart({
    title: `FAISS on ${report.n.toLocaleString('en-US')} vectors, D=${report.dim}, k=100: recall@100 against QPS`,
    xLabel: 'queries per second (one search call of all queries, log scale)',
    yLabel: 'recall@100 against Flat',
    xLog: true,
    series,
    hLines: [{ value: TARGET.recall100, label: `recall@100 ${TARGET.recall100}` }],
    vLines: [{ value: report.flatQps * TARGET.speedupVsFlat, label: `${TARGET.speedupVsFlat}× Flat` }],
    height: 460,
  });
}

/** Returns the latency distribution chart of several load runs (quantile against milliseconds). */
export function latencyChart(title: string, runs: ReadonlyArray<{ name: string; run: LoadResult }>): string {
  const series: Series[] = runs.map(({ name, run }) => ({
    name: `${name}: ${run.throughput.toFixed(0)} req/s, p99 ${run.latency.p99.toFixed(1)} ms`,
    points: QUANTILES.map((q) => [percentile(run.latencies, q), q * 100] as const),
  }));
  return lineChart({
    title,
    xLabel: 'latency of POST /v1/candidates in ms (log scale)',
    yLabel: 'percentile',
    xLog: true,
    yRange: [0, 100],
    series,
    vLines: [{ value: 20, label: 'p99 target 20 ms' }],
    height: 460,
  });
}

/** Writes SVG files into dir; returns their paths. */
export async function writePlots(dir: string, files: Record<string, string>): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const [name, svg] of Object.entries(files)) {
    const path = join(dir, name);
    await writeFile(path, svg);
    paths.push(path);
  }
  return paths;
}
