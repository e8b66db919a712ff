/**
 * Builds FAISS indexes for the benchmark, or reads them back from `.cache/bench/indexes/` when a
 * file built from the same vectors exists, so a rerun skips minutes of HNSW and IVF building.
 * A JSON file next to each index keeps its build time and a sha256 of the vectors it was built from.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { FaissIndex } from '../../src/server/ann/faiss.js';
import type { VectorSet } from './faiss-data.js';

/** One index configuration of the benchmark. */
export interface IndexSpec {
  /** Name in tables and cache file names, for example 'HNSW32 efC80'. */
  label: string;
  /** FAISS index_factory string. */
  description: string;
  family: 'flat' | 'hnsw' | 'ivf';
  /** HNSW only: efConstruction set before adding vectors; FAISS's index_factory uses 40. */
  efConstruction?: number;
}

/** An index ready to search, with what building or reading it cost. */
export interface PreparedIndex {
  spec: IndexSpec;
  index: FaissIndex;
  /** Wall-clock milliseconds of train + add when the index was built (now or in an earlier run). */
  buildMs: number;
  /** True when the index was read from the cache instead of built in this run. */
  fromCache: boolean;
  /** Bytes of the index file, close to the index's own memory for Flat, HNSW and IVF. */
  indexBytes: number;
  /** Resident set growth of this process while building or reading the index, in bytes. */
  rssDeltaBytes: number;
  /** The cached index file; undefined for Flat, which is not cached. */
  path?: string;
}

interface Sidecar {
  vectorsSha256: string;
  description: string;
  efConstruction?: number;
  n: number;
  dim: number;
  buildMs: number;
  builtAt: string;
}

/** Returns the sha256 of a vector set's bytes; cached indexes are valid only for the same bytes. */
export function vectorsSha256(vectors: Float32Array): string {
  return createHash('sha256').update(new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength)).digest('hex');
}

function cacheName(set: VectorSet, spec: IndexSpec): string {
  return `${set.name}-d${set.dim}-${spec.label.replace(/[^A-Za-z0-9]+/g, '_')}`;
}

async function readSidecar(path: string): Promise<Sidecar | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Sidecar;
  } catch {
    return undefined;
  }
}

async function buildFresh(set: VectorSet, spec: IndexSpec, log: (line: string) => void): Promise<{ index: FaissIndex; buildMs: number }> {
  const index = FaissIndex.create(set.dim, spec.description, 'ip');
  try {
    const started = performance.now();
    if (spec.efConstruction !== undefined) await index.setParameter('efConstruction', spec.efConstruction);
    if (!index.isTrained) {
      log(`  training ${spec.label} on ${set.n} vectors`);
      await index.train(set.vectors);
    }
    log(`  adding ${set.n} vectors to ${spec.label}`);
    await index.add(set.vectors);
    return { index, buildMs: performance.now() - started };
  } catch (error) {
    index.dispose();
    throw error;
  }
}

/**
 * Returns the index of `spec` over `set`: read from cacheDir when a file built from the same
 * vectors exists there, else built and written there. Flat indexes are never cached, because
 * adding vectors to Flat is a copy. The caller disposes the index.
 */
export async function prepareIndex(set: VectorSet, spec: IndexSpec, cacheDir: string, sha256: string, log: (line: string) => void): Promise<PreparedIndex> {
  const rssBefore = process.memoryUsage().rss;
  if (spec.family === 'flat') {
    const { index, buildMs } = await buildFresh(set, spec, log);
    return { spec, index, buildMs, fromCache: false, indexBytes: set.vectors.byteLength, rssDeltaBytes: process.memoryUsage().rss - rssBefore };
  }

  await mkdir(cacheDir, { recursive: true });
  const base = join(cacheDir, cacheName(set, spec));
  const sidecar = await readSidecar(`${base}.json`);
  const matches = sidecar?.vectorsSha256 === sha256 && sidecar.description === spec.description && sidecar.efConstruction === spec.efConstruction;

  if (sidecar && matches) {
    try {
      const index = await FaissIndex.read(`${base}.faiss`);
      if (index.ntotal === set.n && index.dim === set.dim) {
        log(`  read ${spec.label} from ${base}.faiss (built in ${(sidecar.buildMs / 1000).toFixed(1)} s on ${sidecar.builtAt})`);
        const indexBytes = (await stat(`${base}.faiss`)).size;
        return { spec, index, buildMs: sidecar.buildMs, fromCache: true, indexBytes, rssDeltaBytes: process.memoryUsage().rss - rssBefore, path: `${base}.faiss` };
      }
      index.dispose();
    } catch (error) {
      log(`  cached ${base}.faiss is unreadable (${(error as Error).message}); building again`);
    }
  }

  log(`  building ${spec.label} (${spec.description}${spec.efConstruction ? `, efConstruction ${spec.efConstruction}` : ''}) over ${set.n}×${set.dim}`);
  const { index, buildMs } = await buildFresh(set, spec, log);
  const rssDeltaBytes = process.memoryUsage().rss - rssBefore;
  await index.write(`${base}.faiss`);
  const record: Sidecar = { vectorsSha256: sha256, description: spec.description, efConstruction: spec.efConstruction, n: set.n, dim: set.dim, buildMs, builtAt: new Date().toISOString() };
  await writeFile(`${base}.json`, `${JSON.stringify(record, null, 2)}\n`);
  log(`  built ${spec.label} in ${(buildMs / 1000).toFixed(1)} s, wrote ${base}.faiss`);
  return { spec, index, buildMs, fromCache: false, indexBytes: (await stat(`${base}.faiss`)).size, rssDeltaBytes, path: `${base}.faiss` };
}
