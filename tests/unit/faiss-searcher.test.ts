/**
 * AnnSearcher and AnnResultCache over real FAISS indexes: cached results equal uncached search,
 * a change of the index invalidates them, and batching on or off returns the same rows.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { FaissIndex, searchRow, type SearchRow } from '../../src/server/ann/faiss.js';
import { AnnResultCache } from '../../src/server/ann/result-cache.js';
import { AnnSearcher } from '../../src/server/ann/searcher.js';
import { clusterCenters, createRandom, sampleClustered } from '../../src/server/ann/synthetic.js';

const dim = 32;
const random = createRandom(23);
const centers = clusterCenters(16, dim, random);
const vectors = sampleClustered(centers, dim, 4000, 0.5, random);
const queries = sampleClustered(centers, dim, 40, 0.5, random);

function query(i: number): Float32Array {
  return queries.slice(i * dim, (i + 1) * dim);
}

function plain(row: SearchRow): { labels: number[]; distances: number[] } {
  return { labels: Array.from(row.labels), distances: Array.from(row.distances) };
}

describe('AnnResultCache', () => {
  it('maps vectors of one grid cell to one key', () => {
    const step = 2 ** -8;
    const cache = new AnnResultCache(8, step);
    // a sits on grid points, b within a quarter step of them, c one component a step away.
    const a = query(0).map((value) => Math.round(value / step) * step);
    const b = a.map((value, i) => value + (i % 2 === 0 ? step / 4 : -step / 4));
    const c = a.map((value, i) => (i === 0 ? value + step : value));

    expect(cache.key(b, 10)).toBe(cache.key(a, 10));
    expect(cache.key(c, 10)).not.toBe(cache.key(a, 10));
    expect(cache.key(a, 11)).not.toBe(cache.key(a, 10));
  });

  it('evicts the least recently used entry', async () => {
    const cache = new AnnResultCache(2);
    const row = Promise.resolve(searchRow({ k: 1, nq: 1, labels: new Int32Array([1]), distances: new Float32Array([0.5]), offsets: new Uint32Array([0, 1]) }, 0));
    cache.set('a', 0, row);
    cache.set('b', 0, row);
    expect(cache.get('a', 0)).toBe(row);
    cache.set('c', 0, row);

    expect(cache.get('b', 0)).toBeUndefined();
    expect(cache.get('a', 0)).toBe(row);
    expect(cache.get('c', 0)).toBe(row);
    expect(cache.stats).toMatchObject({ evictions: 1, entries: 2, hits: 3, misses: 1 });
  });

  it('drops an entry of another generation', () => {
    const cache = new AnnResultCache(4);
    const row = Promise.resolve({ labels: new Int32Array(0), distances: new Float32Array(0) });
    cache.set('a', 1, row);

    expect(cache.get('a', 2)).toBeUndefined();
    expect(cache.get('a', 1)).toBeUndefined();
    expect(cache.stats).toMatchObject({ stale: 1, misses: 2, entries: 0 });
  });

  it('rejects a bad size or step', () => {
    expect(() => new AnnResultCache(0)).toThrow(/maxEntries must be an integer ≥ 1, got 0/);
    expect(() => new AnnResultCache(4, 0)).toThrow(/step must be a number in \(0, 1\], got 0/);
    expect(() => new AnnResultCache(4, Number.NaN)).toThrow(/got NaN/);
  });
});

describe('FaissIndex.generation', () => {
  it('counts train, add and setParameter', async () => {
    const index = FaissIndex.create(dim, 'IVF4,Flat');
    try {
      expect(index.generation).toBe(0);
      await index.train(vectors.subarray(0, 400 * dim));
      await index.add(vectors.subarray(0, 100 * dim));
      await index.setParameter('nprobe', 2);
      expect(index.generation).toBe(3);
      await index.search(query(0), 5);
      expect(index.generation).toBe(3);
    } finally {
      index.dispose();
    }
  });
});

describe('AnnSearcher', () => {
  let hnsw: FaissIndex;

  beforeAll(async () => {
    hnsw = FaissIndex.create(dim, 'HNSW16');
    await hnsw.add(vectors);
  });

  afterAll(() => {
    hnsw.dispose();
  });

  it('cache hits equal uncached search', async () => {
    const searcher = new AnnSearcher(hnsw, { efSearch: 40, batching: false });
    for (let i = 0; i < queries.length / dim; i++) {
      const expected = plain(searchRow(await hnsw.search(query(i), 20, { efSearch: 40 }), 0));
      expect(plain(await searcher.search(query(i), 20))).toEqual(expected);
      expect(plain(await searcher.search(query(i), 20))).toEqual(expected);
    }
    expect(searcher.stats.cache).toMatchObject({ hits: 40, misses: 40 });
    expect(searcher.stats.directSearches).toBe(40);
  });

  it('keys the cache by k', async () => {
    const searcher = new AnnSearcher(hnsw, { efSearch: 40, batching: false });
    const five = await searcher.search(query(1), 5);
    const ten = await searcher.search(query(1), 10);

    expect(five.labels.length).toBe(5);
    expect(ten.labels.length).toBe(10);
    expect(searcher.stats.cache?.hits).toBe(0);
  });

  it('returns copies that callers may modify', async () => {
    const searcher = new AnnSearcher(hnsw, { efSearch: 40 });
    const first = await searcher.search(query(2), 10);
    const expected = plain(first);
    first.labels.fill(-7);
    first.distances.fill(0);

    expect(plain(await searcher.search(query(2), 10))).toEqual(expected);
  });

  it('concurrent equal queries share one search', async () => {
    const searcher = new AnnSearcher(hnsw, { efSearch: 40, batching: false });
    const rows = await Promise.all(Array.from({ length: 8 }, () => searcher.search(query(3), 10)));

    for (const row of rows) expect(plain(row)).toEqual(plain(rows[0]));
    expect(searcher.stats.directSearches).toBe(1);
    expect(searcher.stats.cache).toMatchObject({ hits: 7, misses: 1 });
  });

  it('batching on and off return equal rows', async () => {
    const batched = new AnnSearcher(hnsw, { efSearch: 40, batching: true, cacheEntries: 0 });
    const direct = new AnnSearcher(hnsw, { efSearch: 40, batching: false, cacheEntries: 0 });
    const count = queries.length / dim;

    const fromBatched = await Promise.all(Array.from({ length: count }, (_, i) => batched.search(query(i), 15)));
    const fromDirect = await Promise.all(Array.from({ length: count }, (_, i) => direct.search(query(i), 15)));

    for (let i = 0; i < count; i++) expect(plain(fromBatched[i])).toEqual(plain(fromDirect[i]));
    expect(batched.stats.batcher.queries).toBe(count);
    expect(batched.stats.batcher.batches).toBeLessThan(count);
    expect(direct.stats).toMatchObject({ batching: false, directSearches: count, cache: null });
  });

  it('rejects a negative cache size', () => {
    expect(() => new AnnSearcher(hnsw, { cacheEntries: -1 })).toThrow(/cacheEntries must be an integer ≥ 0/);
  });

  it('rejects a query of the wrong dim', async () => {
    const searcher = new AnnSearcher(hnsw);
    await expect(searcher.search(new Float32Array(dim * 2), 5)).rejects.toThrow(/expected one query vector of dim 32/);
  });
});

describe('AnnSearcher on a changing index', () => {
  it('misses after the index changes', async () => {
    const index = FaissIndex.create(dim, 'Flat');
    try {
      await index.add(vectors.subarray(0, 500 * dim));
      const searcher = new AnnSearcher(index);
      const probe = query(4);
      const before = await searcher.search(probe, 3);
      expect(Array.from(before.labels)).not.toContain(500);

      // The probe itself becomes item 500, the nearest neighbour of the probe by far.
      await index.add(probe);
      const after = await searcher.search(probe, 3);

      expect(after.labels[0]).toBe(500);
      expect(plain(after)).toEqual(plain(searchRow(await index.search(probe, 3), 0)));
      expect(searcher.stats.cache).toMatchObject({ stale: 1, hits: 0 });
    } finally {
      index.dispose();
    }
  });

  it('does not keep a failed search', async () => {
    const index = FaissIndex.create(dim, 'Flat');
    await index.add(vectors.subarray(0, 50 * dim));
    const searcher = new AnnSearcher(index, { batching: false });
    index.dispose();

    await expect(searcher.search(query(5), 3)).rejects.toMatchObject({ code: 'AISLE_DESTROYED' });
    expect(searcher.stats.cache?.entries).toBe(0);
  });
});
