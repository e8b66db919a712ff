/**
 * The FAISS part of the companion benchmark: for one vector set, exact Flat search as the recall
 * oracle, then HNSW and IVF indexes swept over efSearch and nprobe. Every point reports recall@10
 * and recall@100 against Flat and queries per second of one batched search call over all queries.
 */
import { performance } from 'node:perf_hooks';

import { type FaissIndex, type SearchOptions, type SearchResult } from '../../src/server/ann/faiss.js';
import { recallAtK } from '../../src/server/ann/recall.js';
import type { VectorSet } from './faiss-data.js';
import { type IndexSpec, prepareIndex, vectorsSha256 } from './faiss-index-cache.js';

/** Recall target and speed target of the ANN setting. */
export const TARGET = { recall100: 0.95, speedupVsFlat: 10 } as const;

/** k of the recall search: recall@10 uses the first 10 entries of the same rows. */
const RECALL_K = 100;

/** One measured setting of one index. */
export interface SweepPoint {
  /** Search parameter swept ('efSearch' or 'nprobe'), or null for Flat. */
  parameter: 'efSearch' | 'nprobe' | null;
  value: number | null;
  recall10: number;
  recall100: number;
  /** Queries per second of one search call over all nq queries, median of the repeats. */
  qps: number;
  /** qps over Flat's qps in the same run. */
  speedupVsFlat: number;
}

/** One index of a vector set: its build cost and its sweep. */
export interface IndexReport {
  label: string;
  description: string;
  family: IndexSpec['family'];
  efConstruction?: number;
  buildMs: number;
  fromCache: boolean;
  indexBytes: number;
  rssDeltaBytes: number;
  /** Cache file of the index, for the HTTP benchmark; undefined for Flat. */
  path?: string;
  points: SweepPoint[];
}

/** The smallest setting of an index that reaches the recall target. */
export interface ChosenSetting extends SweepPoint {
  label: string;
  description: string;
  path?: string;
  meetsTarget: boolean;
}

/** Everything measured on one vector set. */
export interface SetReport {
  name: string;
  description: string;
  n: number;
  nq: number;
  dim: number;
  flatQps: number;
  indexes: IndexReport[];
  /**
   * The fastest setting that reaches recall@100 ≥ 0.95, preferring one that also reaches 10× Flat;
   * undefined when no swept setting reaches the recall target.
   */
  chosen?: ChosenSetting;
}

/** Options of benchVectorSet. */
export interface SweepOptions {
  cacheDir: string;
  /** Timed search calls per point, Flat included; the median counts. */
  repeats: number;
  log: (line: string) => void;
}

/** efSearch values swept; FAISS searches with max(efSearch, k), so values below k = 100 are left out. */
export const EF_SEARCH_VALUES = [100, 128, 160, 192, 256, 320, 384, 512, 768, 1024];
export const NPROBE_VALUES = [1, 2, 3, 4, 5, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128];

/**
 * Stops a sweep once recall@100 reaches this value, because larger settings only cost time. A
 * sweep also stops at the first setting slower than Flat, which no one would choose.
 */
const SWEEP_STOP_RECALL = 0.999;

/**
 * Returns the IVF list count for n vectors: the power of two nearest to 4·√n, halved until every
 * list gets at least 39 training vectors, below which FAISS 1.7.3's k-means warns.
 */
export function ivfListCount(n: number): number {
  let nlist = 2 ** Math.max(0, Math.round(Math.log2(4 * Math.sqrt(n))));
  while (nlist > 1 && n / nlist < 39) nlist /= 2;
  return nlist;
}

/** Returns the index configurations measured on a set of n vectors. */
export function indexSpecs(n: number): IndexSpec[] {
  const nlist = ivfListCount(n);
  return [
    { label: 'Flat', description: 'Flat', family: 'flat' },
    { label: 'HNSW32', description: 'HNSW32', family: 'hnsw' },
    { label: 'HNSW32 efC80', description: 'HNSW32', family: 'hnsw', efConstruction: 80 },
    { label: `IVF${nlist},Flat`, description: `IVF${nlist},Flat`, family: 'ivf' },
  ];
}

async function timeSearch(index: FaissIndex, queries: Float32Array, options: SearchOptions, repeats: number): Promise<{ ms: number; result: SearchResult }> {
  const times: number[] = [];
  let result: SearchResult | undefined;
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    result = await index.search(queries, RECALL_K, options);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor((times.length - 1) / 2)], result: result as SearchResult };
}

function sweepValues(spec: IndexSpec): Array<{ parameter: 'efSearch' | 'nprobe'; value: number; options: SearchOptions }> {
  if (spec.family === 'hnsw') return EF_SEARCH_VALUES.map((value) => ({ parameter: 'efSearch', value, options: { efSearch: value } }));
  return NPROBE_VALUES.map((value) => ({ parameter: 'nprobe', value, options: { nprobe: value } }));
}

async function sweepIndex(set: VectorSet, index: FaissIndex, spec: IndexSpec, exact: SearchResult, flatQps: number, options: SweepOptions): Promise<SweepPoint[]> {
  // Untimed warm-up, so page faults of a freshly read index do not count against the first point.
  await index.search(set.queries.subarray(0, Math.min(set.nq, 100) * set.dim), RECALL_K, spec.family === 'hnsw' ? { efSearch: RECALL_K } : { nprobe: 1 });

  const points: SweepPoint[] = [];
  for (const { parameter, value, options: searchOptions } of sweepValues(spec)) {
    if (parameter === 'nprobe' && value > index.nlist) break;
    const { ms, result } = await timeSearch(index, set.queries, searchOptions, options.repeats);
    const qps = (set.nq * 1000) / ms;
    const point: SweepPoint = { parameter, value, recall10: recallAtK(result, exact, 10), recall100: recallAtK(result, exact, RECALL_K), qps, speedupVsFlat: qps / flatQps };
    points.push(point);
    options.log(`    ${spec.label} ${parameter}=${value}: recall@10 ${point.recall10.toFixed(4)}, recall@100 ${point.recall100.toFixed(4)}, ${qps.toFixed(0)} QPS (${point.speedupVsFlat.toFixed(1)}× Flat)`);
    if (point.recall100 >= SWEEP_STOP_RECALL || point.speedupVsFlat < 1) break;
  }
  return points;
}

/**
 * Picks, per index, the smallest swept value that reaches recall@100 ≥ TARGET.recall100, then the
 * fastest of those, preferring settings that also reach TARGET.speedupVsFlat.
 */
export function chooseSetting(indexes: readonly IndexReport[]): ChosenSetting | undefined {
  const candidates: ChosenSetting[] = [];
  for (const report of indexes) {
    if (report.family === 'flat') continue;
    const point = report.points.find((p) => p.recall100 >= TARGET.recall100);
    if (!point) continue;
    const meetsTarget = point.speedupVsFlat >= TARGET.speedupVsFlat;
    candidates.push({ ...point, label: report.label, description: report.description, path: report.path, meetsTarget });
  }
  candidates.sort((a, b) => Number(b.meetsTarget) - Number(a.meetsTarget) || b.qps - a.qps);
  return candidates[0];
}

/**
 * Measures Flat, HNSW and IVF on one vector set. Indexes other than Flat are cached in
 * options.cacheDir; every index is disposed before this returns.
 */
export async function benchVectorSet(set: VectorSet, options: SweepOptions): Promise<SetReport> {
  const { log } = options;
  log(`FAISS: ${set.name}: ${set.n}×${set.dim}, ${set.nq} queries, k=${RECALL_K}: ${set.description}`);
  const sha256 = vectorsSha256(set.vectors);
  const specs = indexSpecs(set.n);

  const flat = await prepareIndex(set, specs[0], options.cacheDir, sha256, log);
  let exact: SearchResult;
  let flatQps: number;
  try {
    const { ms, result } = await timeSearch(flat.index, set.queries, {}, options.repeats);
    exact = result;
    flatQps = (set.nq * 1000) / ms;
    log(`    Flat: ${flatQps.toFixed(0)} QPS (exact, the recall oracle)`);
  } finally {
    flat.index.dispose();
  }

  const indexes: IndexReport[] = [
    { label: 'Flat', description: 'Flat', family: 'flat', buildMs: flat.buildMs, fromCache: false, indexBytes: flat.indexBytes, rssDeltaBytes: flat.rssDeltaBytes, points: [{ parameter: null, value: null, recall10: 1, recall100: 1, qps: flatQps, speedupVsFlat: 1 }] },
  ];
  for (const spec of specs.slice(1)) {
    const prepared = await prepareIndex(set, spec, options.cacheDir, sha256, log);
    try {
      const points = await sweepIndex(set, prepared.index, spec, exact, flatQps, options);
      indexes.push({ label: spec.label, description: spec.description, family: spec.family, efConstruction: spec.efConstruction, buildMs: prepared.buildMs, fromCache: prepared.fromCache, indexBytes: prepared.indexBytes, rssDeltaBytes: prepared.rssDeltaBytes, path: prepared.path, points });
    } finally {
      prepared.index.dispose();
    }
  }

  return { name: set.name, description: set.description, n: set.n, nq: set.nq, dim: set.dim, flatQps, indexes, chosen: chooseSetting(indexes) };
}
