/**
 * The device cache of recommend(): a call after a track() that moved the user vector past
 * CANDIDATE_REUSE_DISTANCE asks the companion for candidates (cold), and the same call repeated
 * reuses them (cached). Both rerank. The companion's request counter confirms which calls
 * reached it. A second part measures, on the catalog's item vectors, how many of the top 200
 * items two user vectors CANDIDATE_REUSE_DISTANCE apart share, the cost of reusing candidates.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RETRIEVAL } from '../../src/core/candidates.js';
import { createRandom } from '../../src/core/random.js';
import { CANDIDATE_REUSE_DISTANCE } from '../../src/worker/retrieval.js';
import type { BrowserBenchEnv, Log } from './browser-environment.js';
import { newBenchContext, openEngine, trackViews, waitForOrt } from './browser-environment.js';
import { shuffledIds } from './browser-latency.js';
import { median } from './browser-stats.js';

/** Cold and cached recommend() times and the overlap of candidates at the reuse distance. */
export interface CacheResult {
  coldMs: number[];
  cachedMs: number[];
  coldMedianMs: number;
  cachedMedianMs: number;
  /** Cold median over cached median. */
  speedup: number;
  /** POST /v1/candidates requests during the cold calls and during the cached calls. */
  companionCalls: { cold: number; cached: number };
  /** Mean share of the top RETRIEVAL.annK items kept at the reuse distance. */
  reuseOverlap: number;
}

const HISTORY_EVENTS = 5;

/** Measures `rounds` pairs of cold and cached recommend() calls. */
export async function measureCache(env: BrowserBenchEnv, rounds: number, log: Log): Promise<CacheResult> {
  const context = await newBenchContext(env.browser);
  try {
    const page = await openEngine(context, env, { dbName: 'aisle-bench-cache' });
    await page.evaluate(() => window.aisle.forget());
    const ids = shuffledIds(env, 11);
    await trackViews(page, ids.slice(0, HISTORY_EVENTS));
    await waitForOrt(page);
    await page.evaluate(() => window.aisle.recommend({ k: 10 }));

    const coldMs: number[] = [];
    const cachedMs: number[] = [];
    const companionCalls = { cold: 0, cached: 0 };
    const candidateRequests = () => env.companion.requests.get('/v1/candidates') ?? 0;
    for (let round = 0; round < rounds; round++) {
      // A purchase of a catalog item far down the shuffled list moves the vector past the threshold.
      await page.evaluate((itemId) => window.aisle.track({ type: 'purchase', itemId }), ids[HISTORY_EVENTS + round]);
      const before = candidateRequests();
      coldMs.push(await timeRecommend(page));
      const between = candidateRequests();
      cachedMs.push(await timeRecommend(page));
      companionCalls.cold += between - before;
      companionCalls.cached += candidateRequests() - between;
    }
    await page.evaluate(() => window.aisle.destroy());

    const result: CacheResult = {
      coldMs,
      cachedMs,
      coldMedianMs: median(coldMs),
      cachedMedianMs: median(cachedMs),
      speedup: median(coldMs) / median(cachedMs),
      companionCalls,
      reuseOverlap: reuseOverlap(env.modelsDir, env.manifest.dim),
    };
    log(`browser: recommend cold (companion) p50 ${result.coldMedianMs.toFixed(2)} ms, cached p50 ${result.cachedMedianMs.toFixed(2)} ms, speedup ${result.speedup.toFixed(2)}x; companion calls cold ${companionCalls.cold}/${rounds}, cached ${companionCalls.cached}/${rounds}`);
    log(`browser: vectors ${CANDIDATE_REUSE_DISTANCE} apart share ${(100 * result.reuseOverlap).toFixed(1)}% of their top ${RETRIEVAL.annK} items`);
    return result;
  } finally {
    await context.close();
  }
}

async function timeRecommend(page: import('playwright-core').Page): Promise<number> {
  return page.evaluate(async () => {
    const start = performance.now();
    const result = await window.aisle.recommend({ k: 10 });
    if (result.degraded) throw new Error(`recommend was degraded during the benchmark: ${result.degraded.reason}`);
    return performance.now() - start;
  });
}

/**
 * Returns the mean share of the top RETRIEVAL.annK items (exact inner-product search over the
 * item vectors) that two vectors CANDIDATE_REUSE_DISTANCE apart have in common. Each first vector
 * is the normalized mean of 5 random item vectors, like a short history. The second is the first
 * turned by the angle of that distance in a random direction. Seeded, 30 trials.
 */
export function reuseOverlap(modelsDir: string, dim: number, trials = 30): number {
  const bytes = readFileSync(join(modelsDir, 'item_vectors.f32'));
  const vectors = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
  const count = vectors.length / dim;
  const random = createRandom(2026);
  const angle = Math.acos(1 - CANDIDATE_REUSE_DISTANCE);
  let shared = 0;
  for (let trial = 0; trial < trials; trial++) {
    const user = new Float64Array(dim);
    for (let pick = 0; pick < 5; pick++) {
      const row = random.int(count);
      for (let j = 0; j < dim; j++) user[j] += vectors[row * dim + j];
    }
    const a = unit(user);
    const noise = Float64Array.from({ length: dim }, () => random.normal());
    const along = dotProduct(noise, a);
    const across = unit(noise.map((value, j) => value - along * a[j]));
    const b = a.map((value, j) => Math.cos(angle) * value + Math.sin(angle) * across[j]);
    const first = new Set(topIds(vectors, dim, a, RETRIEVAL.annK));
    shared += topIds(vectors, dim, b, RETRIEVAL.annK).filter((id) => first.has(id)).length / RETRIEVAL.annK;
  }
  return shared / trials;
}

function topIds(vectors: Float32Array, dim: number, query: Float64Array, k: number): number[] {
  const scores = Array.from({ length: vectors.length / dim }, (_, row) => {
    let score = 0;
    for (let j = 0; j < dim; j++) score += query[j] * vectors[row * dim + j];
    return [score, row] as const;
  });
  return scores
    .sort((x, y) => y[0] - x[0])
    .slice(0, k)
    .map(([, row]) => row);
}

function unit(values: Float64Array): Float64Array {
  const length = Math.sqrt(dotProduct(values, values));
  return values.map((value) => value / length);
}

function dotProduct(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}
