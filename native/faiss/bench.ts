/**
 * Measures build time, search time and recall@10 of Flat, HNSW32 and IVF1024 on seeded clustered
 * data, through the same FaissIndex wrapper the companion uses. Not a test: times depend on the
 * machine. Flat is the exact oracle for recall.
 *
 *   npm run build:native && npx tsx native/faiss/bench.ts [n=100000] [nq=1000] [dim=64]
 */
import { availableParallelism, cpus } from 'node:os';
import { performance } from 'node:perf_hooks';

import { AnnBatcher } from '../../src/server/ann/batcher.js';
import { FaissIndex, type SearchOptions, type SearchResult } from '../../src/server/ann/faiss.js';
import { recallAtK } from '../../src/server/ann/recall.js';
import { clusterCenters, createRandom, sampleClustered } from '../../src/server/ann/synthetic.js';

const [n = 100_000, nq = 1000, dim = 64] = process.argv.slice(2).map(Number);
const k = 10;
const repeats = 5;

interface Case {
  description: string;
  options: SearchOptions;
}

const cases: Case[] = [
  { description: 'Flat', options: {} },
  { description: 'HNSW32', options: { efSearch: 64 } },
  { description: 'IVF1024,Flat', options: { nprobe: 8 } },
];

/** Returns the median search time in ms over `repeats` calls, and the last result. */
async function timeSearch(index: FaissIndex, queries: Float32Array, options: SearchOptions): Promise<{ ms: number; result: SearchResult }> {
  const times: number[] = [];
  let result: SearchResult | undefined;
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    result = await index.search(queries, k, options);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(repeats / 2)], result: result as SearchResult };
}

/** Times nq single-query searches: one after another, then all at once through an AnnBatcher. */
async function timeSingleQueries(index: FaissIndex, queries: Float32Array, options: SearchOptions): Promise<string> {
  const dim = index.dim;
  const count = queries.length / dim;
  const queryAt = (i: number): Float32Array => queries.subarray(i * dim, (i + 1) * dim);

  let started = performance.now();
  for (let i = 0; i < count; i++) await index.search(queryAt(i), k, options);
  const sequentialMs = performance.now() - started;

  const batcher = new AnnBatcher(index, options);
  started = performance.now();
  await Promise.all(Array.from({ length: count }, (_, i) => batcher.search(queryAt(i), k)));
  const batchedMs = performance.now() - started;

  const { batches } = batcher.stats;
  return `${count} single queries: sequential ${sequentialMs.toFixed(0)} ms, concurrent through AnnBatcher ${batchedMs.toFixed(0)} ms in ${batches} search calls`;
}

async function main(): Promise<void> {
  const random = createRandom(2026);
  const centers = clusterCenters(1000, dim, random);
  const vectors = sampleClustered(centers, dim, n, 0.5, random);
  const queries = sampleClustered(centers, dim, nq, 0.5, random);
  console.log(`data: ${n}×${dim} clustered L2-normalized (1000 centers, noise 0.5), ${nq} queries, k=${k}, metric ip`);
  console.log(`machine: ${availableParallelism()} cores, ${cpus()[0]?.model ?? 'unknown CPU'}; median of ${repeats} search calls of ${nq} queries`);

  let exact: SearchResult | undefined;
  for (const { description, options } of cases) {
    const index = FaissIndex.create(dim, description);
    try {
      const started = performance.now();
      if (!index.isTrained) await index.train(vectors);
      await index.add(vectors);
      const buildMs = performance.now() - started;

      const { ms, result } = await timeSearch(index, queries, options);
      exact ??= result;
      const recall = recallAtK(result, exact, k);
      const parameters = JSON.stringify(options);
      console.log(`${description.padEnd(14)} ${parameters.padEnd(16)} build ${buildMs.toFixed(0).padStart(6)} ms  search ${ms.toFixed(1).padStart(7)} ms  (${((ms * 1000) / nq).toFixed(1)} µs/query)  recall@${k} ${recall.toFixed(4)}`);
      console.log(`${''.padEnd(31)} ${await timeSingleQueries(index, queries, options)}`);
    } finally {
      index.dispose();
    }
  }
}

await main();
