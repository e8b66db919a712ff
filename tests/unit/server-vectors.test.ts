/**
 * Vector checks of the companion. Bad request vectors and bad catalog vectors are rejected with
 * their reason (and item id). FAISS's -1 padding never reaches a client, and k above the index
 * size returns what exists. Scores stay cosines in [-1, 1]. IVF falls back to Flat when trained on
 * too few vectors.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CandidatesResponse, ErrorBody, SearchResponse } from '../../src/core/types.js';
import { encodeVector } from '../../src/core/vector.js';
import { FaissIndex } from '../../src/server/ann/faiss.js';
import { createServer } from '../../src/server/app.js';
import { buildCatalogIndex } from '../../src/training/pipeline/catalog-index.js';
import { unitVector, writeModelsDir } from '../support/companion-models.js';

const DIM = 8;

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'aisle-vectors-'));
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

async function post(app: FastifyInstance, url: string, payload: unknown) {
  await app.ready();
  const response = await app.inject({ method: 'POST', url, payload: payload as object });
  return { status: response.statusCode, body: response.json() as unknown };
}

async function writeVectors(dir: string, vectors: Float32Array): Promise<void> {
  await writeFile(join(dir, 'item_vectors.f32'), Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength));
}

describe('request vectors', () => {
  let app: FastifyInstance;

  beforeAll(async () => {
    const fixture = await writeModelsDir(join(root, 'plain'), { items: 50, dim: DIM, seed: 5, version: 'plain' });
    app = await createServer({ modelsDir: fixture.dir, textSearch: 'inline' });
  });

  afterAll(async () => {
    await app?.close();
  });

  const withNaN = unitVector(DIM, 1);
  withNaN[2] = Number.NaN;
  const withInfinity = unitVector(DIM, 1);
  withInfinity[5] = Number.NEGATIVE_INFINITY;
  const cases: Array<[string, string, string]> = [
    ['NaN', encodeVector(withNaN), 'non_finite'],
    ['infinity', encodeVector(withInfinity), 'non_finite'],
    ['zero norm', encodeVector(new Float32Array(DIM)), 'zero_norm'],
    ['short', encodeVector(unitVector(DIM - 1, 2)), 'wrong_dim'],
    ['long', encodeVector(unitVector(DIM + 1, 2)), 'wrong_dim'],
    ['not base64', '!!!!', 'not_base64'],
  ];

  for (const route of ['/v1/candidates', '/v1/search']) {
    it(`${route} names each reason`, async () => {
      for (const [name, vector, reason] of cases) {
        const { status, body } = await post(app, route, { vector, k: 5, query: 'matte' });
        expect(status, name).toBe(400);
        expect((body as ErrorBody).error, name).toMatchObject({ code: 'AISLE_INVALID_VECTOR', details: { field: 'vector', reason } });
      }
    });
  }

  it('returns what exists when k exceeds ntotal', async () => {
    const { status, body } = await post(app, '/v1/candidates', { vector: encodeVector(unitVector(DIM, 3)), k: 1000 });
    expect(status).toBe(200);
    const ids = (body as CandidatesResponse).items.map((item) => item.id);
    expect(ids).toHaveLength(50);
    expect(new Set(ids).size).toBe(50);
  });
});

describe('catalog vectors', () => {
  it('names each invalid item at start-up', async () => {
    const fixture = await writeModelsDir(join(root, 'bad-rows'), { items: 30, dim: DIM, seed: 6, version: 'bad' });
    const vectors = fixture.vectors.slice();
    vectors[3 * DIM + 1] = Number.NaN;
    vectors.fill(0, 7 * DIM, 8 * DIM);
    for (let d = 0; d < DIM; d++) vectors[12 * DIM + d] *= 2.5;
    await writeVectors(fixture.dir, vectors);

    const failure = createServer({ modelsDir: fixture.dir, textSearch: 'inline' });
    await expect(failure).rejects.toMatchObject({
      code: 'AISLE_MODEL_LOAD_FAILED',
      details: {
        file: join(fixture.dir, 'item_vectors.f32'),
        invalid: [
          { id: 'bad-item-3', reason: 'non_finite' },
          { id: 'bad-item-7', reason: 'zero_norm', norm: 0 },
          { id: 'bad-item-12', reason: 'not_normalized' },
        ],
      },
    });
    await expect(failure).rejects.toThrow('"bad-item-3" (non_finite), "bad-item-7" (zero_norm), "bad-item-12" (not_normalized, norm 2.500)');
  });

  it('clamps rounding past 1 to a cosine of 1', async () => {
    // Norms of 1.0008 pass the catalog check (tolerance 1e-3) but give FAISS scores above 1.
    const fixture = await writeModelsDir(join(root, 'long-rows'), { items: 40, dim: DIM, seed: 7, version: 'long' });
    const vectors = fixture.vectors.map((value) => value * 1.0008);
    await writeVectors(fixture.dir, vectors);
    const index = FaissIndex.create(DIM, 'Flat', 'ip');
    await index.add(vectors);
    await index.write(join(fixture.dir, 'items.faiss'));
    index.dispose();

    const app = await createServer({ modelsDir: fixture.dir, textSearch: 'inline' });
    try {
      const query = encodeVector(fixture.vectors.slice(0, DIM));
      const { body } = await post(app, '/v1/candidates', { vector: query, k: 40 });
      const scores = (body as CandidatesResponse).items.map((item) => item.annScore);
      expect((body as CandidatesResponse).items[0].id).toBe('long-item-0');
      expect(scores[0]).toBe(1);
      for (const score of scores) expect(Math.abs(score)).toBeLessThanOrEqual(1);

      const search = await post(app, '/v1/search', { query: 'zzzz', vector: query, k: 40 });
      for (const item of (search.body as SearchResponse).items) expect(Math.abs(item.searchScore ?? 0)).toBeLessThanOrEqual(1);
    } finally {
      await app.close();
    }
  });
});

describe('IVF indexes', () => {
  it('never return padding with nprobe 1', async () => {
    // 8 lists of about 50 vectors and nprobe 1: FAISS pads a k=400 row with -1 labels.
    const fixture = await writeModelsDir(join(root, 'ivf'), { items: 400, dim: DIM, seed: 8, version: 'ivf', index: 'IVF8,Flat' });
    const app = await createServer({ modelsDir: fixture.dir, textSearch: 'inline', ann: { nprobe: 1, cacheEntries: 0 } });
    try {
      const { status, body } = await post(app, '/v1/candidates', { vector: encodeVector(unitVector(DIM, 9)), k: 400 });
      expect(status).toBe(200);
      const items = (body as CandidatesResponse).items;
      expect(items.length).toBeGreaterThan(0);
      expect(items.length).toBeLessThan(400);
      expect(new Set(items.map((item) => item.id)).size).toBe(items.length);
      for (const item of items) {
        expect(item.id).toMatch(/^ivf-item-\d+$/);
        expect(Number.isFinite(item.annScore)).toBe(true);
        expect(Math.abs(item.annScore)).toBeLessThanOrEqual(1);
      }
    } finally {
      await app.close();
    }
  });

  it('fall back to Flat with a training-log warning', async () => {
    const vectors = new Float32Array(300 * DIM);
    for (let i = 0; i < 300; i++) vectors.set(unitVector(DIM, 100 + i), i * DIM);
    const lines: string[] = [];
    const built = await buildCatalogIndex(vectors, DIM, 'IVF64,Flat', (line) => lines.push(line));
    try {
      expect(built.description).toBe('Flat');
      expect(built.index.ntotal).toBe(300);
      expect(lines).toEqual([expect.stringMatching(/^warning: buildIndex: 'IVF64,Flat' has nlist=64 and needs at least 2496 vectors .* got 300; built exact 'Flat' instead\.$/)]);
    } finally {
      built.index.dispose();
    }
  });
});
