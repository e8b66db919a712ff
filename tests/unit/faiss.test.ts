import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { buildIndex } from '../../src/server/ann/build-index.js';
import { FaissIndex, searchRow, type SearchResult } from '../../src/server/ann/faiss.js';
import { exactScore, exactSearch, recallAtK } from '../../src/server/ann/recall.js';
import { clusterCenters, createRandom, sampleClustered } from '../../src/server/ann/synthetic.js';

const directory = mkdtempSync(join(tmpdir(), 'aisle-faiss-'));
const opened: FaissIndex[] = [];

/** Registers an index so afterEach disposes it even when an assertion fails. */
function track(index: FaissIndex): FaissIndex {
  opened.push(index);
  return index;
}

afterEach(() => {
  for (const index of opened.splice(0)) index.dispose();
});

afterAll(() => {
  rmSync(directory, { recursive: true, force: true });
});

function dataset(seed: number, n: number, nq: number, dim: number, clusters: number) {
  const random = createRandom(seed);
  const centers = clusterCenters(clusters, dim, random);
  return {
    vectors: sampleClustered(centers, dim, n, 0.5, random),
    queries: sampleClustered(centers, dim, nq, 0.5, random),
  };
}

/** Asserts that FAISS's rows match the oracle: same scores, and same ids except between tied scores. */
function expectSameNeighbours(found: SearchResult, exact: SearchResult, vectors: Float32Array, queries: Float32Array, dim: number): void {
  expect(found.nq).toBe(exact.nq);
  expect(Array.from(found.offsets)).toEqual(Array.from(exact.offsets));
  for (let q = 0; q < exact.nq; q++) {
    const got = searchRow(found, q);
    const want = searchRow(exact, q);
    const query = queries.subarray(q * dim, (q + 1) * dim);
    for (let j = 0; j < want.labels.length; j++) {
      expect(Math.abs(got.distances[j] - want.distances[j])).toBeLessThan(1e-5);
      if (got.labels[j] === want.labels[j]) continue;
      expect(Math.abs(exactScore(vectors, dim, got.labels[j], query) - want.distances[j])).toBeLessThan(1e-5);
    }
  }
}

describe('FaissIndex Flat', () => {
  it('matches the brute-force oracle', async () => {
    const dim = 32;
    const { vectors, queries } = dataset(1, 3000, 50, dim, 20);
    const index = track(FaissIndex.create(dim, 'Flat'));
    await index.add(vectors);

    const found = await index.search(queries, 10);
    const exact = exactSearch(vectors, dim, queries, 10);

    expect(index.kind).toBe('flat');
    expect(index.ntotal).toBe(3000);
    expect(found.k).toBe(10);
    expectSameNeighbours(found, exact, vectors, queries, dim);
  });

  it('matches the oracle with metric l2', async () => {
    const dim = 16;
    const { vectors, queries } = dataset(2, 1000, 20, dim, 8);
    const index = track(FaissIndex.create(dim, 'Flat', 'l2'));
    await index.add(vectors);

    const found = await index.search(queries, 5);
    const exact = exactSearch(vectors, dim, queries, 5, 'l2');

    expect(index.metric).toBe('l2');
    for (let i = 0; i < exact.labels.length; i++) {
      expect(Math.abs(found.distances[i] - exact.distances[i])).toBeLessThan(1e-5);
    }
  });

  it('returns ntotal results when k exceeds ntotal', async () => {
    const dim = 8;
    const { vectors, queries } = dataset(3, 7, 3, dim, 2);
    const index = track(FaissIndex.create(dim, 'Flat'));
    await index.add(vectors);

    const found = await index.search(queries, 50);

    expect(found.k).toBe(50);
    expect(Array.from(found.offsets)).toEqual([0, 7, 14, 21]);
    expect(found.labels.includes(-1)).toBe(false);
    expect(found.distances.every(Number.isFinite)).toBe(true);
  });

  it('returns empty rows for an empty index', async () => {
    const index = track(FaissIndex.create(4, 'Flat'));
    const found = await index.search(new Float32Array(8), 10);

    expect(found.nq).toBe(2);
    expect(Array.from(found.offsets)).toEqual([0, 0, 0]);
    expect(found.labels.length).toBe(0);
  });
});

describe('FaissIndex HNSW and IVF', () => {
  const dim = 64;
  const { vectors, queries } = dataset(4, 20_000, 200, dim, 100);
  const exact = exactSearch(vectors, dim, queries, 10);

  it('HNSW32 reaches recall@10 ≥ 0.95', async () => {
    const index = track(FaissIndex.create(dim, 'HNSW32'));
    await index.add(vectors);

    const found = await index.search(queries, 10, { efSearch: 64 });
    const recall = recallAtK(found, exact, 10);

    expect(index.kind).toBe('hnsw');
    expect(recall).toBeGreaterThanOrEqual(0.95);
    expect(found.labels.includes(-1)).toBe(false);
  });

  it('HNSW efSearch changes recall per call', async () => {
    const index = track(FaissIndex.create(dim, 'HNSW8'));
    await index.add(vectors.subarray(0, 5000 * dim));
    const truth = exactSearch(vectors.subarray(0, 5000 * dim), dim, queries, 10);

    const before = recallAtK(await index.search(queries, 10), truth, 10);
    const low = recallAtK(await index.search(queries, 10, { efSearch: 10 }), truth, 10);
    const high = recallAtK(await index.search(queries, 10, { efSearch: 200 }), truth, 10);
    const after = recallAtK(await index.search(queries, 10), truth, 10);

    expect(high).toBeGreaterThan(low);
    expect(high).toBeGreaterThanOrEqual(0.95);
    // A per-call efSearch must not stay on the index.
    expect(after).toBe(before);
  });

  it('HNSW per-call efSearch equals the index setting', async () => {
    const index = track(FaissIndex.create(dim, 'HNSW8'));
    await index.add(vectors.subarray(0, 5000 * dim));

    const perCall = await index.search(queries, 10, { efSearch: 128 });
    await index.setParameter('efSearch', 128);
    const stored = await index.search(queries, 10);

    expect(Array.from(perCall.labels)).toEqual(Array.from(stored.labels));
  });

  it('IVF recall grows with nprobe', async () => {
    const index = track(FaissIndex.create(dim, 'IVF64,Flat'));
    expect(index.isTrained).toBe(false);
    expect(index.nlist).toBe(64);
    await index.train(vectors);
    await index.add(vectors);

    const one = recallAtK(await index.search(queries, 10, { nprobe: 1 }), exact, 10);
    const eight = recallAtK(await index.search(queries, 10, { nprobe: 8 }), exact, 10);
    const all = recallAtK(await index.search(queries, 10, { nprobe: 64 }), exact, 10);

    expect(eight).toBeGreaterThan(one);
    expect(eight).toBeGreaterThanOrEqual(0.95);
    expect(all).toBeCloseTo(1, 5);
  });

  it('IVF with few vectors per list strips -1 labels', async () => {
    const small = vectors.subarray(0, 640 * dim);
    const index = track(FaissIndex.create(dim, 'IVF64,Flat'));
    await index.train(small);
    await index.add(small);

    // nprobe 1 visits one list of about 10 vectors, so most of the 50 slots are padding.
    const found = await index.search(queries.subarray(0, 20 * dim), 50, { nprobe: 1 });

    expect(found.labels.includes(-1)).toBe(false);
    expect(found.offsets[found.nq]).toBeLessThan(20 * 50);
    expect(found.distances.every(Number.isFinite)).toBe(true);
  });
});

describe('FaissIndex write and read', () => {
  const dim = 16;
  const { vectors, queries } = dataset(5, 2000, 20, dim, 10);

  it('round trip gives identical results', async () => {
    for (const description of ['Flat', 'HNSW16', 'IVF16,Flat']) {
      const path = join(directory, `${description.replace(/\W/g, '_')}.faiss`);
      const { index } = await buildIndex(vectors, dim, description);
      track(index);
      await index.write(path);
      const copy = track(await FaissIndex.read(path));
      const options = index.kind === 'hnsw' ? { efSearch: 32 } : index.kind === 'ivf' ? { nprobe: 4 } : {};

      const before = await index.search(queries, 10, options);
      const after = await copy.search(queries, 10, options);

      expect(copy.kind).toBe(index.kind);
      expect(copy.ntotal).toBe(2000);
      expect(copy.dim).toBe(dim);
      expect(Array.from(after.labels)).toEqual(Array.from(before.labels));
      expect(Array.from(after.distances)).toEqual(Array.from(before.distances));
    }
  });

  it('truncated files reject with AISLE_INDEX_LOAD_FAILED', async () => {
    const path = join(directory, 'whole.faiss');
    const { index } = await buildIndex(vectors, dim, 'IVF16,Flat');
    track(index);
    await index.write(path);
    const bytes = readFileSync(path);

    for (const length of [0, 3, 40, 300, bytes.length - 1]) {
      const truncated = join(directory, `truncated-${length}.faiss`);
      writeFileSync(truncated, bytes.subarray(0, length));
      await expect(FaissIndex.read(truncated)).rejects.toMatchObject({ code: 'AISLE_INDEX_LOAD_FAILED' });
      await expect(FaissIndex.read(truncated)).rejects.toThrow(truncated);
    }
  });

  it('garbage and missing files reject with AISLE_INDEX_LOAD_FAILED', async () => {
    const garbage = join(directory, 'garbage.faiss');
    const random = createRandom(6);
    writeFileSync(garbage, Uint8Array.from({ length: 4096 }, () => Math.floor(random() * 256)));
    const missing = join(directory, 'missing.faiss');

    await expect(FaissIndex.read(garbage)).rejects.toMatchObject({ code: 'AISLE_INDEX_LOAD_FAILED' });
    await expect(FaissIndex.read(missing)).rejects.toMatchObject({ code: 'AISLE_INDEX_LOAD_FAILED' });
    await expect(FaissIndex.read(missing)).rejects.toThrow(/missing\.faiss.*No such file/);
    await expect(FaissIndex.read(directory)).rejects.toMatchObject({ code: 'AISLE_INDEX_LOAD_FAILED' });
  });

  it('write to a missing directory rejects', async () => {
    const index = track(FaissIndex.create(dim, 'Flat'));
    await index.add(vectors.subarray(0, 10 * dim));
    const folder = join(directory, 'no-such-folder');

    await expect(index.write(join(folder, 'index.faiss'))).rejects.toMatchObject({ code: 'AISLE_INTERNAL' });
    await expect(index.write(join(folder, 'index.faiss'))).rejects.toThrow('no-such-folder');
    expect(readdirSync(directory).some((name) => name.endsWith('.tmp'))).toBe(false);
  });
});

describe('FaissIndex input checks', () => {
  it('rejects a wrong dim', async () => {
    const index = track(FaissIndex.create(8, 'Flat'));

    await expect(index.add(new Float32Array(12))).rejects.toMatchObject({ code: 'AISLE_INVALID_VECTOR' });
    await expect(index.search(new Float32Array(7), 1)).rejects.toMatchObject({ code: 'AISLE_INVALID_VECTOR' });
    await expect(index.search(new Float32Array(7), 1)).rejects.toThrow('length 7 is not a multiple of dim 8');
  });

  it('rejects non-finite values', async () => {
    const index = track(FaissIndex.create(4, 'Flat'));
    const vectors = new Float32Array(8);
    vectors[6] = Number.NaN;

    await expect(index.add(vectors)).rejects.toMatchObject({ code: 'AISLE_INVALID_VECTOR' });
    await expect(index.add(vectors)).rejects.toThrow('vector 1 has the non-finite value NaN at column 2');
  });

  it('rejects a bad k, dim, description and metric', async () => {
    const index = track(FaissIndex.create(4, 'Flat'));

    for (const k of [0, -1, 1.5, Number.NaN]) {
      await expect(index.search(new Float32Array(4), k)).rejects.toMatchObject({ code: 'AISLE_INVALID_ARGUMENT' });
    }
    expect(() => FaissIndex.create(0, 'Flat')).toThrow(expect.objectContaining({ code: 'AISLE_INVALID_ARGUMENT' }));
    expect(() => FaissIndex.create(4097, 'Flat')).toThrow('dim must be an integer in 1..4096, got 4097');
    expect(() => FaissIndex.create(4, 'NoSuchIndex')).toThrow(expect.objectContaining({ code: 'AISLE_INVALID_ARGUMENT' }));
    expect(() => FaissIndex.create(4, 'Flat', 'cosine' as 'ip')).toThrow("metric must be 'ip' or 'l2'");
  });

  it('rejects a parameter of another family', async () => {
    const index = track(FaissIndex.create(4, 'Flat'));

    await expect(index.search(new Float32Array(4), 1, { efSearch: 16 })).rejects.toThrow("efSearch=16 applies per call only to HNSW indexes, but index 'Flat' is 'flat'");
    await expect(index.search(new Float32Array(4), 1, { nprobe: 0 })).rejects.toMatchObject({ code: 'AISLE_INVALID_ARGUMENT' });
  });

  it('rejects add before train and training below nlist', async () => {
    const index = track(FaissIndex.create(4, 'IVF8,Flat'));

    await expect(index.add(new Float32Array(40))).rejects.toThrow('is not trained; call train() before add()');
    await expect(index.train(new Float32Array(28))).rejects.toThrow('needs at least nlist=8 training vectors, got 7');
  });

  it('rejects use after dispose and disposes twice', async () => {
    const index = FaissIndex.create(4, 'Flat');
    const running = index.add(new Float32Array(4));
    const queued = index.search(new Float32Array(4), 1);
    index.dispose();
    index.dispose();
    const [added, searched] = await Promise.allSettled([running, queued]);

    // The add had reached the addon before dispose(), so it completes; the search had not.
    expect(added.status).toBe('fulfilled');
    expect(searched).toMatchObject({ status: 'rejected', reason: { code: 'AISLE_DESTROYED' } });
    await expect(index.search(new Float32Array(4), 1)).rejects.toThrow('was disposed');
    expect(index.disposed).toBe(true);
  });
});

describe('buildIndex', () => {
  it('falls back to Flat when IVF has too few vectors', async () => {
    const dim = 8;
    const { vectors, queries } = dataset(7, 500, 5, dim, 4);

    const built = await buildIndex(vectors, dim, 'IVF64,Flat');
    track(built.index);
    const found = await built.index.search(queries, 3);

    expect(built.description).toBe('Flat');
    expect(built.index.kind).toBe('flat');
    expect(built.warnings).toHaveLength(1);
    expect(built.warnings[0]).toContain('needs at least 2496 vectors');
    expect(built.index.ntotal).toBe(500);
    expect(Array.from(found.labels)).toEqual(Array.from(exactSearch(vectors, dim, queries, 3).labels));
  });

  it('keeps IVF when there are enough vectors', async () => {
    const dim = 8;
    const { vectors } = dataset(8, 4 * 39, 1, dim, 4);

    const built = await buildIndex(vectors, dim, 'IVF4,Flat');
    track(built.index);

    expect(built.description).toBe('IVF4,Flat');
    expect(built.index.kind).toBe('ivf');
    expect(built.warnings).toEqual([]);
    expect(built.index.ntotal).toBe(156);
  });
});
