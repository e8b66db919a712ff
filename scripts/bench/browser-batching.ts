/**
 * Coalescing of concurrent rank() calls: rounds of CONCURRENT_CALLS calls sent in one go, each
 * over RANKED_ITEMS candidates, with `coalesce` on and off. It runs for the ONNX Runtime ranker,
 * whose runs are joined, and for the JavaScript ranker, which runs every call at once. Each
 * setting gets its own engine, one after the other. Throughput is calls per second over all
 * rounds, and the engine's counters give the model runs.
 */
import type { BrowserContext, Page } from 'playwright-core';
import type { BrowserBenchEnv, Log } from './browser-environment.js';
import { newBenchContext, openEngine, trackViews, waitForOrt } from './browser-environment.js';
import { shuffledIds } from './browser-latency.js';

/** rank() calls sent together in one round. */
export const CONCURRENT_CALLS = 10;
/** Candidates per rank() call. */
export const RANKED_ITEMS = 200;

/** Throughput and model runs with coalescing on or off. */
export interface BatchingRun {
  coalesce: boolean;
  ranker: 'ort' | 'js';
  callsPerSecond: number;
  /** Median milliseconds until every call of a round returned. */
  roundMs: number;
  requests: number;
  runs: number;
  runtime: string | null;
  /** Whether every call got the same ids and scores as the same call made alone. */
  sameAsSequential: boolean;
  /** Calls per second of each block, in the order the blocks ran. */
  blockCallsPerSecond: number[];
}

/** The four settings: each ranker runtime with coalescing on and off. */
const SETTINGS = [
  { ranker: 'ort', coalesce: true },
  { ranker: 'ort', coalesce: false },
  { ranker: 'js', coalesce: true },
  { ranker: 'js', coalesce: false },
] as const;

/** Rounds per block: the settings take turns in blocks, so a change of machine load hits all. */
const BLOCK_ROUNDS = 5;

/** Runs `rounds` rounds for each setting, the settings taking turns block by block. */
export async function measureBatching(env: BrowserBenchEnv, rounds: number, log: Log): Promise<BatchingRun[]> {
  const contexts: BrowserContext[] = [];
  try {
    const ids = shuffledIds(env);
    const lists = Array.from({ length: CONCURRENT_CALLS }, (_, i) => ids.slice(10 + i * 20, 10 + i * 20 + RANKED_ITEMS));
    const pages: Page[] = [];
    for (const { ranker, coalesce } of SETTINGS) {
      const context = await newBenchContext(env.browser);
      contexts.push(context);
      const page = await openEngine(context, env, { dbName: `aisle-bench-batching-${ranker}-${coalesce}`, coalesce, ranker });
      await page.evaluate(() => window.aisle.forget());
      await trackViews(page, ids.slice(0, 10));
      await waitForOrt(page);
      await page.evaluate(async (given) => {
        const sequential = [];
        for (const list of given) sequential.push(JSON.stringify((await window.aisle.rank(list)).items));
        (window as unknown as { sequential: string[] }).sequential = sequential;
      }, lists);
      pages.push(page);
    }

    const totals = SETTINGS.map(() => ({ elapsed: 0, roundTimes: [] as number[], blocks: [] as number[], same: true, requests: 0, runs: 0, runtime: null as string | null }));
    for (let done = 0; done < rounds; done += BLOCK_ROUNDS) {
      const block = Math.min(BLOCK_ROUNDS, rounds - done);
      for (const [index, page] of pages.entries()) {
        const outcome = await runRounds(page, lists, block);
        const total = totals[index];
        total.elapsed += outcome.elapsed;
        total.blocks.push((block * CONCURRENT_CALLS) / (outcome.elapsed / 1000));
        total.roundTimes.push(...outcome.roundTimes);
        total.same &&= outcome.same;
        total.requests += outcome.requests;
        total.runs += outcome.runs;
        total.runtime = outcome.runtime;
      }
    }

    return SETTINGS.map(({ ranker, coalesce }, index) => {
      const total = totals[index];
      const sorted = [...total.roundTimes].sort((a, b) => a - b);
      const run: BatchingRun = {
        coalesce,
        ranker,
        callsPerSecond: (rounds * CONCURRENT_CALLS) / (total.elapsed / 1000),
        roundMs: sorted[Math.floor(sorted.length / 2)],
        requests: total.requests,
        runs: total.runs,
        runtime: total.runtime,
        sameAsSequential: total.same,
        blockCallsPerSecond: total.blocks,
      };
      log(`browser: ${CONCURRENT_CALLS} concurrent rank(${RANKED_ITEMS}), ${ranker} ranker, coalesce ${coalesce}: ${run.callsPerSecond.toFixed(0)} calls/s, round ${run.roundMs.toFixed(1)} ms, ${run.runs} model runs for ${run.requests} requests, results ${run.sameAsSequential ? 'equal to' : 'DIFFERENT from'} sequential calls`);
      return run;
    });
  } finally {
    for (const context of contexts) await context.close();
  }
}

/** Runs `rounds` rounds of the concurrent calls on one engine and returns times and counters. */
async function runRounds(page: Page, lists: string[][], rounds: number) {
  return page.evaluate(
    async ({ lists, rounds }) => {
      const sequential = (window as unknown as { sequential: string[] }).sequential;
      const before = (await window.aisle.info()).ranker;
      const roundTimes: number[] = [];
      let same = true;
      const start = performance.now();
      for (let round = 0; round < rounds; round++) {
        const roundStart = performance.now();
        const results = await Promise.all(lists.map((list) => window.aisle.rank(list)));
        roundTimes.push(performance.now() - roundStart);
        results.forEach((result, i) => (same &&= JSON.stringify(result.items) === sequential[i]));
      }
      const elapsed = performance.now() - start;
      const after = (await window.aisle.info()).ranker;
      return { elapsed, roundTimes, same, requests: after.requests - before.requests, runs: after.runs - before.runs, runtime: after.runtime };
    },
    { lists, rounds },
  );
}
