import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { AnnBatcher } from '../../src/server/ann/batcher.js';
import { FaissIndex, searchRow } from '../../src/server/ann/faiss.js';
import { clusterCenters, createRandom, sampleClustered } from '../../src/server/ann/synthetic.js';

const dim = 32;
const random = createRandom(11);
const centers = clusterCenters(16, dim, random);
const vectors = sampleClustered(centers, dim, 5000, 0.5, random);
const queries = sampleClustered(centers, dim, 50, 0.5, random);

function query(i: number): Float32Array {
  return queries.slice(i * dim, (i + 1) * dim);
}

describe('AnnBatcher', () => {
  let hnsw: FaissIndex;

  beforeAll(async () => {
    hnsw = FaissIndex.create(dim, 'HNSW16');
    await hnsw.add(vectors);
  });

  afterAll(() => {
    hnsw.dispose();
  });

  it('50 concurrent queries equal sequential ones', async () => {
    const batcher = new AnnBatcher(hnsw, { efSearch: 48 });
    const sequential = [];
    for (let i = 0; i < 50; i++) sequential.push(searchRow(await hnsw.search(query(i), 10, { efSearch: 48 }), 0));

    const concurrent = await Promise.all(Array.from({ length: 50 }, (_, i) => batcher.search(query(i), 10)));

    for (let i = 0; i < 50; i++) {
      expect(Array.from(concurrent[i].labels)).toEqual(Array.from(sequential[i].labels));
      expect(Array.from(concurrent[i].distances)).toEqual(Array.from(sequential[i].distances));
    }
    expect(batcher.stats).toEqual({ batches: 1, queries: 50, failedBatches: 0 });
  });

  it('splits at maxBatch', async () => {
    const batcher = new AnnBatcher(hnsw, { maxBatch: 16 });

    const rows = await Promise.all(Array.from({ length: 50 }, (_, i) => batcher.search(query(i), 5)));

    expect(rows.every((row) => row.labels.length === 5)).toBe(true);
    expect(batcher.stats).toEqual({ batches: 4, queries: 50, failedBatches: 0 });
  });

  it('groups queries by k', async () => {
    const batcher = new AnnBatcher(hnsw, { efSearch: 48 });

    const [three, seven] = await Promise.all([batcher.search(query(0), 3), batcher.search(query(0), 7)]);
    const direct = searchRow(await hnsw.search(query(0), 7, { efSearch: 48 }), 0);

    expect(three.labels.length).toBe(3);
    expect(Array.from(seven.labels)).toEqual(Array.from(direct.labels));
    expect(batcher.stats.batches).toBe(2);
  });

  it('merges queries within windowMs', async () => {
    const batcher = new AnnBatcher(hnsw, { windowMs: 1 });

    const first = batcher.search(query(0), 4);
    await Promise.resolve();
    const second = batcher.search(query(1), 4);
    await Promise.all([first, second]);

    expect(batcher.stats).toEqual({ batches: 1, queries: 2, failedBatches: 0 });
  });

  it('rejects a bad query alone', async () => {
    const batcher = new AnnBatcher(hnsw);

    const results = await Promise.allSettled([
      batcher.search(query(0), 4),
      batcher.search(new Float32Array(dim + 1), 4),
      batcher.search(query(1), 0),
      batcher.search(query(2), 4),
    ]);

    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(results[1]).toMatchObject({ reason: { code: 'AISLE_INVALID_VECTOR' } });
    expect(results[2]).toMatchObject({ reason: { code: 'AISLE_INVALID_ARGUMENT' } });
    expect(batcher.stats).toEqual({ batches: 1, queries: 2, failedBatches: 0 });
  });

  it('passes nprobe only to IVF indexes', async () => {
    const flat = FaissIndex.create(dim, 'Flat');
    try {
      await flat.add(vectors.subarray(0, 100 * dim));
      const batcher = new AnnBatcher(flat, { efSearch: 64, nprobe: 8 });

      const row = await batcher.search(query(0), 200);

      expect(row.labels.length).toBe(100);
      expect(row.labels.includes(-1)).toBe(false);
    } finally {
      flat.dispose();
    }
  });

  it('rejects the whole batch after dispose', async () => {
    const index = FaissIndex.create(dim, 'Flat');
    await index.add(vectors.subarray(0, 10 * dim));
    const batcher = new AnnBatcher(index);

    const pending = [batcher.search(query(0), 2), batcher.search(query(1), 2)];
    index.dispose();
    const results = await Promise.allSettled(pending);

    expect(results).toMatchObject([
      { status: 'rejected', reason: { code: 'AISLE_DESTROYED' } },
      { status: 'rejected', reason: { code: 'AISLE_DESTROYED' } },
    ]);
    expect(batcher.stats).toEqual({ batches: 0, queries: 0, failedBatches: 1 });
  });

  it('rejects bad options', () => {
    expect(() => new AnnBatcher(hnsw, { maxBatch: 0 })).toThrow('maxBatch must be an integer ≥ 1, got 0');
    expect(() => new AnnBatcher(hnsw, { windowMs: -1 })).toThrow(expect.objectContaining({ code: 'AISLE_INVALID_ARGUMENT' }));
    expect(() => new AnnBatcher(hnsw, { efSearch: 2.5 })).toThrow('efSearch must be an integer');
  });
});
