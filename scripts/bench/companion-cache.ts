/**
 * Measurements of the ANN result cache. In this process: the latency of a hit against a miss, and
 * the result a hit returns for a query that only rounds to the same key. Through HTTP (driven from
 * companion-http.ts): hit ratio and throughput on a stream of queries that repeat the way cold
 * shoppers' queries do.
 */
import { performance } from 'node:perf_hooks';

import { createRandom } from '../../src/core/random.js';
import { encodeVector } from '../../src/core/vector.js';
import type { FaissIndex, SearchOptions } from '../../src/server/ann/faiss.js';
import { searchRow } from '../../src/server/ann/faiss.js';
import { AnnResultCache, DEFAULT_CACHE_ENTRIES, DEFAULT_CACHE_STEP } from '../../src/server/ann/result-cache.js';
import { AnnSearcher } from '../../src/server/ann/searcher.js';
import { normalizeRows } from '../../src/server/ann/synthetic.js';
import type { Catalog } from '../../src/server/catalog.js';

/** Latency of one search with the cache, in microseconds (medians). */
export interface CacheLatency {
  missUs: number;
  hitUs: number;
}

/** Agreement of a hit with the own search of a query that differs from the cached one but has the same key. */
export interface QuantizationCheck {
  /** Largest change of a component, uniform in [-noise, noise]. */
  noise: number;
  /** Perturbed queries that kept their key. */
  sameKeyShare: number;
  /** Mean overlap@k between the cached result and the perturbed query's own search, over those. */
  overlapAtK: number;
}

/** Returns the median of a list of numbers. */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

/**
 * Times `count` queries through an AnnSearcher with the cache on and batching off: each query once
 * (a miss), then again (a hit).
 */
export async function measureCacheLatency(index: FaissIndex, queries: Float32Array, k: number, options: SearchOptions, count: number): Promise<CacheLatency> {
  const searcher = new AnnSearcher(index, { ...options, batching: false });
  const dim = index.dim;
  const miss: number[] = [];
  const hit: number[] = [];
  for (let q = 0; q < count; q++) {
    const query = queries.subarray(q * dim, (q + 1) * dim);
    let started = performance.now();
    await searcher.search(query, k);
    miss.push(performance.now() - started);
    started = performance.now();
    await searcher.search(query, k);
    hit.push(performance.now() - started);
  }
  return { missUs: median(miss) * 1000, hitUs: median(hit) * 1000 };
}

/**
 * Perturbs each query by uniform noise of at most `noise` per component and renormalizes it. For
 * those that keep their key, compares the result a hit would return (the original query's) with
 * the perturbed query's own search. A noise of 1e-6 is about the size of float32 rounding
 * differences between two backends that run the same model (an estimate).
 */
export async function checkQuantization(index: FaissIndex, queries: Float32Array, k: number, options: SearchOptions, count: number, noise: number): Promise<QuantizationCheck> {
  const dim = index.dim;
  const cache = new AnnResultCache(1, DEFAULT_CACHE_STEP);
  const random = createRandom(99);
  let sameKey = 0;
  let overlapSum = 0;

  for (let q = 0; q < count; q++) {
    const query = queries.slice(q * dim, (q + 1) * dim);
    const perturbed = normalizeRows(query.map((value) => value + (2 * random.next() - 1) * noise), dim);
    if (cache.key(perturbed, k) !== cache.key(query, k)) continue;

    sameKey += 1;
    const cached = new Set(searchRow(await index.search(query, k, options), 0).labels);
    const own = searchRow(await index.search(perturbed, k, options), 0).labels;
    let common = 0;
    for (const label of own) if (cached.has(label)) common += 1;
    overlapSum += common / Math.max(1, own.length);
  }
  return { noise, sameKeyShare: sameKey / count, overlapAtK: sameKey === 0 ? Number.NaN : overlapSum / sameKey };
}

/** A request stream that models cold shoppers, as JSON bodies of /v1/candidates. */
export interface ColdShopperStream {
  bodies: string[];
  /** Share of requests whose vector appeared earlier in the stream: the hit ratio of an unbounded cache. */
  repeatShare: number;
  /** Entries of the server's cache, for the record. */
  cacheEntries: number;
}

/**
 * Builds `count` requests, each the vector of one item drawn by popularity rank with probability
 * proportional to 1 / (rank + 1): a shopper whose first view was that item. The user tower maps
 * one viewed item to one user vector, so equal first items give equal queries.
 * NOTE: the share of such one-item shoppers in real traffic is not measured here, so the hit ratio
 * of a real stream is between 0 (every vector unique) and this stream's.
 */
export function coldShopperStream(catalog: Catalog, count: number, k: number): ColdShopperStream {
  const weights = new Float64Array(catalog.size);
  let total = 0;
  catalog.byPopularity.forEach((index, rank) => {
    total += 1 / (rank + 1);
    weights[index] = total;
  });
  const cumulative = catalog.byPopularity.map((index) => weights[index]);
  const random = createRandom(77);
  const seen = new Set<number>();
  let repeats = 0;
  const bodies: string[] = [];

  for (let i = 0; i < count; i++) {
    // Binary search of the first rank whose cumulative weight passes the draw.
    const target = random.next() * total;
    let low = 0;
    let high = cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (cumulative[middle] < target) low = middle + 1;
      else high = middle;
    }
    const index = catalog.byPopularity[low];
    if (seen.has(index)) repeats += 1;
    seen.add(index);
    bodies.push(JSON.stringify({ vector: encodeVector(catalog.vector(index)), k }));
  }
  return { bodies, repeatShare: repeats / count, cacheEntries: DEFAULT_CACHE_ENTRIES };
}
