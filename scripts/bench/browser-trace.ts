/**
 * `node --import tsx scripts/bench/browser-trace.ts [--ranker auto|js|ort] [--calls N] [--trace FILE]`:
 * where the time of slow rank(200) calls goes. It times N calls on the page and compares them with
 * the worker's own time (`tookMs`), so a tail outside the worker shows. With --trace it also
 * records a Chrome trace (timeline and V8 GC categories) into FILE and lists, per thread, the
 * trace events longer than 3 ms. Tracing slows every thread, so its latencies are not benchmark
 * figures.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { DEFAULT_MODELS_DIR } from './browser.js';
import { newBenchContext, openEngine, startBrowserBenchEnv, trackViews, waitForOrt } from './browser-environment.js';
import { shuffledIds } from './browser-latency.js';
import { summarize } from './browser-stats.js';

const TRACE_CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'toplevel', 'v8', 'v8.gc', 'disabled-by-default-v8.gc'];
/** Trace events at least this long are listed, in microseconds. */
const LONG_EVENT_US = 3000;

interface TraceEvent {
  name: string;
  ph: string;
  dur?: number;
  pid: number;
  tid: number;
  args?: { name?: string };
}

/** Returns lines of count, total and maximum duration of the long events, by thread and name. */
function longEvents(trace: Buffer): string[] {
  const { traceEvents } = JSON.parse(trace.toString()) as { traceEvents: TraceEvent[] };
  const threads = new Map<string, string>();
  for (const event of traceEvents) if (event.ph === 'M' && event.name === 'thread_name') threads.set(`${event.pid}:${event.tid}`, event.args?.name ?? '?');
  const totals = new Map<string, { count: number; totalMs: number; maxMs: number }>();
  for (const event of traceEvents) {
    if (event.ph !== 'X' || (event.dur ?? 0) < LONG_EVENT_US) continue;
    const key = `${threads.get(`${event.pid}:${event.tid}`) ?? event.tid} | ${event.name}`;
    const total = totals.get(key) ?? { count: 0, totalMs: 0, maxMs: 0 };
    total.count += 1;
    total.totalMs += event.dur! / 1000;
    total.maxMs = Math.max(total.maxMs, event.dur! / 1000);
    totals.set(key, total);
  }
  return [...totals]
    .sort((a, b) => b[1].totalMs - a[1].totalMs)
    .map(([key, total]) => `${String(total.count).padStart(5)} ${total.totalMs.toFixed(1).padStart(9)} ms, max ${total.maxMs.toFixed(1).padStart(7)} ms  ${key}`);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { ranker: { type: 'string', default: 'auto' }, calls: { type: 'string', default: '500' }, trace: { type: 'string' } } });
  if (!['auto', 'js', 'ort'].includes(values.ranker)) throw new Error(`--ranker must be auto, js or ort, got ${JSON.stringify(values.ranker)}.`);
  const calls = Number(values.calls);
  if (!Number.isInteger(calls) || calls < 1) throw new Error(`--calls must be a positive integer, got ${JSON.stringify(values.calls)}.`);
  const log = (line: string) => process.stderr.write(`${line}\n`);

  const env = await startBrowserBenchEnv(DEFAULT_MODELS_DIR, log);
  try {
    const context = await newBenchContext(env.browser);
    const page = await openEngine(context, env, { dbName: 'aisle-bench-trace', ranker: values.ranker as 'auto' | 'js' | 'ort' });
    await page.evaluate(() => window.aisle.forget());
    const ids = shuffledIds(env);
    await trackViews(page, ids.slice(0, 10));
    await waitForOrt(page);
    const rankedIds = ids.slice(10, 210);
    await page.evaluate(async (items) => {
      for (let i = 0; i < 20; i++) await window.aisle.rank(items);
    }, rankedIds);

    if (values.trace) await env.browser.startTracing(page, { categories: TRACE_CATEGORIES });
    const samples = await page.evaluate(
      async ({ items, calls }) => {
        const times: Array<{ pageMs: number; workerMs: number }> = [];
        for (let i = 0; i < calls; i++) {
          const start = performance.now();
          const result = await window.aisle.rank(items);
          times.push({ pageMs: performance.now() - start, workerMs: result.tookMs });
        }
        return times;
      },
      { items: rankedIds, calls },
    );
    const info = await page.evaluate(() => window.aisle.info());
    const onPage = summarize(samples.map((sample) => sample.pageMs));
    const inWorker = summarize(samples.map((sample) => sample.workerMs));
    log(`browser-trace: ranker ${info.ranker.runtime}, ${calls} calls of rank(200)`);
    log(`browser-trace: on the page p50 ${onPage.p50.toFixed(1)} ms, p90 ${onPage.p90.toFixed(1)} ms, p99 ${onPage.p99.toFixed(1)} ms, max ${onPage.max.toFixed(1)} ms`);
    log(`browser-trace: in the worker (tookMs) p50 ${inWorker.p50.toFixed(1)} ms, p90 ${inWorker.p90.toFixed(1)} ms, p99 ${inWorker.p99.toFixed(1)} ms, max ${inWorker.max.toFixed(1)} ms`);

    if (values.trace) {
      const trace = await env.browser.stopTracing();
      writeFileSync(values.trace, trace);
      log(`browser-trace: trace written to ${values.trace}; events of ${LONG_EVENT_US / 1000} ms or more (count, total, max, thread | name):`);
      for (const line of longEvents(trace)) log(line);
    }
    await context.close();
  } finally {
    await env.close();
  }
}

await main();
