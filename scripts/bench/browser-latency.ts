/**
 * Latency of SDK calls end to end through the worker (page call, worker, page), measured with
 * performance.now() in the page once the engine is warm: item records and candidates are cached
 * in the worker and ONNX Runtime's sessions are ready. Chromium rounds performance.now() to
 * 0.1 ms on pages that are not cross-origin isolated, so sub-millisecond figures are coarse.
 */
import type { Page } from 'playwright-core';
import type { AisleInfo } from '../../src/client/index.js';
import { createRandom } from '../../src/core/random.js';
import type { BrowserBenchEnv, Log } from './browser-environment.js';
import { newBenchContext, openEngine, trackViews, waitForOrt } from './browser-environment.js';
import { summarize, type LatencySummary } from './browser-stats.js';

/** Candidate counts of the rank() latency runs. */
export const RANK_SIZES = [50, 200, 1000] as const;
/** Events in the shopper's history before the timed calls. */
const HISTORY_EVENTS = 10;
/** Untimed calls before each timed series, so caches and the JIT are warm. */
const WARM_UP_CALLS = 20;

/** Latency samples and summaries of the warm engine. */
export interface LatencyResult {
  /**
   * rank([]): the worker returns at once, so this is the message round trip page → worker →
   * page alone, and its tail is what the machine adds to every call.
   */
  roundTrip: { summary: LatencySummary; samples: number[] };
  rank: Record<number, { summary: LatencySummary; samples: number[] }>;
  recommend: { summary: LatencySummary; samples: number[] };
  track: { summary: LatencySummary; samples: number[] };
  /** The engine's info() after the runs: backend, ranker runtime and timings. */
  info: AisleInfo;
}

/** Returns the catalog ids in a seeded order, the same in every run. */
export function shuffledIds(env: BrowserBenchEnv, seed = 7): string[] {
  return createRandom(seed).shuffle(env.itemIds);
}

/** Times `repeats` calls of rank() for each size, recommend() and track(). */
export async function measureLatency(env: BrowserBenchEnv, repeats: number, log: Log): Promise<LatencyResult> {
  const context = await newBenchContext(env.browser);
  try {
    const page = await openEngine(context, env, { dbName: 'aisle-bench-latency' });
    await page.evaluate(() => window.aisle.forget());
    const ids = shuffledIds(env);
    await trackViews(page, ids.slice(0, HISTORY_EVENTS));
    const loadTimes = await waitForOrt(page);
    log(`browser: engine ready (files ${loadTimes.files?.toFixed(0)} ms, JS ranker ${loadTimes.jsRanker?.toFixed(0)} ms, ORT ${loadTimes.ort?.toFixed(0)} ms)`);

    const roundTripSamples = await timeCalls(page, 'rank', [], repeats);
    const roundTrip = { summary: summarize(roundTripSamples), samples: roundTripSamples };
    log(`browser: rank([]) round trip p50 ${roundTrip.summary.p50.toFixed(2)} ms, p99 ${roundTrip.summary.p99.toFixed(2)} ms`);

    const rank: LatencyResult['rank'] = {};
    for (const size of RANK_SIZES) {
      const given = ids.slice(HISTORY_EVENTS, HISTORY_EVENTS + size);
      const samples = await timeCalls(page, 'rank', given, repeats);
      rank[size] = { summary: summarize(samples), samples };
      log(`browser: rank(${size}) p50 ${rank[size].summary.p50.toFixed(2)} ms, p99 ${rank[size].summary.p99.toFixed(2)} ms over ${repeats} calls`);
    }
    const recommendSamples = await timeCalls(page, 'recommend', [], repeats);
    const recommend = { summary: summarize(recommendSamples), samples: recommendSamples };
    log(`browser: recommend(k 10) p50 ${recommend.summary.p50.toFixed(2)} ms, p99 ${recommend.summary.p99.toFixed(2)} ms`);

    // Items whose records the worker already has (from the rank lists), as on a store page.
    const trackSamples = await timeTracks(page, ids.slice(HISTORY_EVENTS, HISTORY_EVENTS + repeats));
    const track = { summary: summarize(trackSamples), samples: trackSamples };
    log(`browser: track() to updated user vector p50 ${track.summary.p50.toFixed(2)} ms, p99 ${track.summary.p99.toFixed(2)} ms`);

    const info = await page.evaluate(() => window.aisle.info());
    await page.evaluate(() => window.aisle.destroy());
    return { roundTrip, rank, recommend, track, info };
  } finally {
    await context.close();
  }
}

/** Times `repeats` rank(given) or recommend({ k: 10 }) calls after WARM_UP_CALLS untimed ones. */
async function timeCalls(page: Page, call: 'rank' | 'recommend', given: string[], repeats: number): Promise<number[]> {
  return page.evaluate(
    async ({ call, given, repeats, warmUp }) => {
      const run = () => (call === 'rank' ? window.aisle.rank(given) : window.aisle.recommend({ k: 10 }));
      for (let i = 0; i < warmUp; i++) await run();
      const samples: number[] = [];
      for (let i = 0; i < repeats; i++) {
        const start = performance.now();
        const result = await run();
        samples.push(performance.now() - start);
        if (result.degraded) throw new Error(`${call} was degraded during the benchmark: ${result.degraded.reason}`);
      }
      return samples;
    },
    { call, given, repeats, warmUp: WARM_UP_CALLS },
  );
}

/** Times one track() of each id; each call returns after the user vector and profile are updated. */
async function timeTracks(page: Page, itemIds: string[]): Promise<number[]> {
  return page.evaluate(async (ids) => {
    const samples: number[] = [];
    for (const itemId of ids) {
      const start = performance.now();
      const result = await window.aisle.track({ type: 'view', itemId });
      samples.push(performance.now() - start);
      if (result.degraded) throw new Error(`track was degraded during the benchmark: ${result.degraded.reason}`);
    }
    return samples;
  }, itemIds);
}
