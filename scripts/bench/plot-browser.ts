/**
 * SVG plots of the browser benchmark, drawn with the benchmark's line chart (svg.ts): cumulative
 * distributions of call latencies on a log-scaled millisecond axis, and of cold starts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserBenchResult } from './browser.js';
import { lineChart, type Series } from './svg.js';

/**
 * Returns the empirical cumulative distribution of `samples` as the corner points of its step
 * line: at each sorted value the fraction rises from i/n to (i + 1)/n.
 */
export function cdfPoints(samples: readonly number[]): Array<readonly [number, number]> {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted.flatMap((value, i) => [[value, i / sorted.length] as const, [value, (i + 1) / sorted.length] as const]);
}

function cdf(name: string, samples: readonly number[], options: Partial<Series> = {}): Series {
  // A latency rounded to 0 ms cannot sit on a log axis; 0.05 ms stands for "below the timer's 0.1 ms".
  return { name, points: cdfPoints(samples.map((value) => Math.max(value, 0.05))), markers: false, ...options };
}

/** Returns the SVG files of one benchmark run by file name. */
export function browserPlots(result: BrowserBenchResult): Map<string, string> {
  const { latency, coldStart, chromium } = result.details;
  const calls = lineChart({
    title: `SDK calls through the worker, headless Chromium ${chromium}`,
    xLabel: 'milliseconds per call, page → worker → page (log scale)',
    yLabel: 'fraction of calls at or below',
    xLog: true,
    yRange: [0, 1],
    series: [
      cdf('rank([]): round trip only', latency.roundTrip.samples, { color: '#777' }),
      ...Object.entries(latency.rank).map(([size, entry]) => cdf(`rank(${size} ids)`, entry.samples)),
      cdf('recommend({ k: 10 })', latency.recommend.samples, { dashed: true }),
      cdf('track() → user vector', latency.track.samples, { dashed: true }),
    ],
    vLines: [
      { value: 3, label: '3 ms' },
      { value: 5, label: '5 ms' },
      { value: 10, label: '10 ms' },
    ],
    hLines: [{ value: 0.99, label: 'p99' }],
  });
  const coldStarts = lineChart({
    title: 'Page load to the first recommend() result',
    xLabel: 'milliseconds since navigation start',
    yLabel: 'fraction of page loads at or below',
    yRange: [0, 1],
    series: [
      { name: `cached (${coldStart.cached.length} loads)`, points: cdfPoints(coldStart.cached.map((visit) => visit.answeredMs)), markers: false },
      { name: `empty cache (${coldStart.empty.length} loads)`, points: cdfPoints(coldStart.empty.map((visit) => visit.answeredMs)), markers: false },
    ],
    vLines: [{ value: 300, label: '300 ms' }],
  });
  return new Map([
    ['browser-call-latency.svg', calls],
    ['browser-cold-start.svg', coldStarts],
  ]);
}

/** Writes the plots of one benchmark run into `folder`; returns the file paths. */
export function writeBrowserPlots(result: BrowserBenchResult, folder: string): string[] {
  mkdirSync(folder, { recursive: true });
  return [...browserPlots(result)].map(([name, svg]) => {
    const path = join(folder, name);
    writeFileSync(path, svg);
    return path;
  });
}
