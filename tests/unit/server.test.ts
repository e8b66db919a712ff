/**
 * The companion service end to end. Each run generates a small models directory in a tmp dir:
 * seeded L2-normalized vectors, a Flat FAISS index written by the real binding and dummy .onnx
 * files with their sha256. The real server listens on a free port and every route is called
 * with fetch.
 */
import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogFileEntry } from '../../src/core/model-dir.js';
import type { CandidatesResponse, ErrorBody, ItemsResponse, Manifest, SearchResponse } from '../../src/core/types.js';
import { createRandom, type Random } from '../../src/core/random.js';
import { decodeVector, encodeVector, normalize } from '../../src/core/vector.js';
import { FaissIndex } from '../../src/server/ann/faiss.js';
import { createServer, startServer } from '../../src/server/app.js';
import { retrieveCandidates } from '../../src/server/retrieval.js';
import { loadServerState } from '../../src/server/state.js';

const ITEMS = 500;
const DIM = 16;
const CATEGORIES = ['Lipstick', 'Mascara', 'Foundation', 'Blush', 'Serum'];
const BRANDS = ['Acme', 'Lumen', 'Nova', 'Orchid'];
const WORDS = ['matte', 'glossy', 'velvet', 'hydrating', 'long', 'wear', 'sheer', 'bold', 'natural', 'radiant', 'silky', 'tinted'];

function randomUnitVector(random: Random): Float32Array {
  const vector = new Float32Array(DIM);
  for (let i = 0; i < DIM; i++) vector[i] = random.normal();
  return normalize(vector);
}

interface Fixture {
  dir: string;
  items: CatalogFileEntry[];
  vectors: Float32Array;
  onnx: Buffer;
}

function buildItems(random: () => number): CatalogFileEntry[] {
  return Array.from({ length: ITEMS }, (_, i) => {
    const words = [WORDS[Math.floor(random() * WORDS.length)], WORDS[Math.floor(random() * WORDS.length)]];
    const category = CATEGORIES[i % CATEGORIES.length];
    return {
      id: `item-${i}`,
      title: `${words.join(' ')} ${category.toLowerCase()} ${i}`,
      category,
      brand: BRANDS[i % BRANDS.length],
      price: 5 + (i % 40),
      tags: [category, words[0]],
      stats: { popularity: random(), trending: 0 },
    };
  });
}

async function buildModelsDir(): Promise<Fixture> {
  const random = createRandom(20261204);
  const dir = await mkdtemp(join(tmpdir(), 'aisle-server-'));
  const items = buildItems(random.next);
  // Two items with distinctive titles for the text search tests.
  items[7].title = 'Aurora Velvet Lipstick';
  items[7].predictedTags = [['gift', 0.9], ['vegan', 0.3]];
  items[8].title = 'Ｆｕｌｌｗｉｄｔｈ Shimmer Palette';

  const vectors = new Float32Array(ITEMS * DIM);
  for (let i = 0; i < ITEMS; i++) vectors.set(randomUnitVector(random), i * DIM);

  const index = await FaissIndex.create(DIM, 'Flat', 'ip');
  await index.add(vectors);
  await index.write(join(dir, 'items.faiss'));
  index.dispose();

  const onnx = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 37) % 256));
  const entry = (file: string) => ({ file, sha256: createHash('sha256').update(onnx).digest('hex'), bytes: onnx.length });
  const manifest: Manifest = {
    format: 1,
    version: 'test-1',
    dataset: 'synthetic',
    createdAt: '2026-12-04T00:00:00Z',
    dim: DIM,
    seqLen: 20,
    usesAges: false,
    features: ['annScore'],
    models: { userTower: entry('user_tower.onnx'), ranker: entry('ranker.onnx') },
    catalog: { items: ITEMS, itemsFile: 'items.json', vectorsFile: 'item_vectors.f32', indexFile: 'items.faiss', indexType: 'Flat' },
  };

  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  await writeFile(join(dir, 'items.json'), JSON.stringify(items));
  await writeFile(join(dir, 'item_vectors.f32'), Buffer.from(vectors.buffer));
  await writeFile(join(dir, 'user_tower.onnx'), onnx);
  await writeFile(join(dir, 'ranker.onnx'), onnx);
  return { dir, items, vectors, onnx };
}

/** Exact top-k by inner product over the fixture: the oracle the server must match. */
function bruteForceTopK(fixture: Fixture, query: Float32Array, k: number, keep: (index: number) => boolean = () => true) {
  const scored: Array<{ id: string; score: number }> = [];
  for (let i = 0; i < ITEMS; i++) {
    if (!keep(i)) continue;
    let score = 0;
    for (let d = 0; d < DIM; d++) score += query[d] * fixture.vectors[i * DIM + d];
    scored.push({ id: fixture.items[i].id, score });
  }
  return scored.sort((a, b) => b.score - a.score).slice(0, k);
}

let fixture: Fixture;
let app: FastifyInstance;
let base: string;

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

async function expectError(response: Response, status: number, code: string): Promise<ErrorBody> {
  const body = (await response.json()) as ErrorBody;
  expect(body.error?.code).toBe(code);
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
  return body;
}

function expectSameRanking(actual: Array<{ id: string; annScore: number }>, expected: Array<{ id: string; score: number }>): void {
  expect(actual.map((item) => item.id)).toEqual(expected.map((item) => item.id));
  actual.forEach((item, i) => expect(Math.abs(item.annScore - expected[i].score)).toBeLessThan(1e-5));
}

beforeAll(async () => {
  fixture = await buildModelsDir();
  app = await createServer({ modelsDir: fixture.dir });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('server has no TCP address');
  base = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await app?.close();
  if (fixture) await rm(fixture.dir, { recursive: true, force: true });
});

describe('POST /v1/candidates', () => {
  it('matches the brute-force top-k', async () => {
    const random = createRandom(7);
    for (let q = 0; q < 5; q++) {
      const query = randomUnitVector(random);
      const response = await post('/v1/candidates', { vector: encodeVector(query), k: 10 });
      expect(response.status).toBe(200);
      const body = (await response.json()) as CandidatesResponse;
      expectSameRanking(body.items, bruteForceTopK(fixture, query, 10));
      expect(body.index).toEqual({ type: 'Flat', version: 'test-1', ntotal: ITEMS });
    }
  });

  it('matches the oracle under concurrent requests', async () => {
    const random = createRandom(11);
    const queries = Array.from({ length: 24 }, () => randomUnitVector(random));
    const bodies = await Promise.all(
      queries.map(async (query) => (await post('/v1/candidates', { vector: encodeVector(query), k: 5 })).json() as Promise<CandidatesResponse>),
    );
    bodies.forEach((body, i) => expectSameRanking(body.items, bruteForceTopK(fixture, queries[i], 5)));
  });

  it('returns item vectors, stats and the popular list', async () => {
    const query = randomUnitVector(createRandom(3));
    const body = (await (await post('/v1/candidates', { vector: encodeVector(query), k: 3 })).json()) as CandidatesResponse;
    const first = body.items[0];
    const index = Number(first.id.slice('item-'.length));
    expect(Array.from(decodeVector(first.vector) ?? [])).toEqual(Array.from(fixture.vectors.subarray(index * DIM, (index + 1) * DIM)));
    expect(first.stats).toEqual(fixture.items[index].stats);
    expect(first.title).toBe(fixture.items[index].title);

    const popular = [...fixture.items].sort((a, b) => b.stats.popularity - a.stats.popularity).slice(0, 50);
    expect(body.popular?.map((item) => item.id)).toEqual(popular.map((item) => item.id));
  });

  it('drops excluded ids from items and popular', async () => {
    const query = randomUnitVector(createRandom(5));
    const oracle = bruteForceTopK(fixture, query, 13);
    const topPopular = [...fixture.items].sort((a, b) => b.stats.popularity - a.stats.popularity)[0].id;
    const exclude = [oracle[0].id, oracle[2].id, oracle[4].id, topPopular, 'not-in-catalog'];

    const body = (await (await post('/v1/candidates', { vector: encodeVector(query), k: 10, exclude })).json()) as CandidatesResponse;
    const expected = oracle.filter((hit) => !exclude.includes(hit.id)).slice(0, 10);
    expectSameRanking(body.items, expected);
    expect(body.popular?.some((item) => exclude.includes(item.id))).toBe(false);
    expect(body.popular).toHaveLength(50);
  });

  it('returns ntotal items when k exceeds ntotal', async () => {
    const query = randomUnitVector(createRandom(9));
    const body = (await (await post('/v1/candidates', { vector: encodeVector(query), k: 1000 })).json()) as CandidatesResponse;
    expect(body.items).toHaveLength(ITEMS);
    expect(new Set(body.items.map((item) => item.id)).size).toBe(ITEMS);
    expect(body.items.every((item) => item.annScore >= -1 && item.annScore <= 1)).toBe(true);
  });

  it('applies category and brand filters exactly', async () => {
    const query = randomUnitVector(createRandom(13));
    const filter = { category: 'Mascara', brand: 'Lumen' };
    const keep = (i: number) => fixture.items[i].category === filter.category && fixture.items[i].brand === filter.brand;
    const body = (await (await post('/v1/candidates', { vector: encodeVector(query), k: 8, filter })).json()) as CandidatesResponse;
    expectSameRanking(body.items, bruteForceTopK(fixture, query, 8, keep));
    expect(body.items).toHaveLength(8);
  });

  it('filters large match sets through ANN over-fetch', async () => {
    const state = await loadServerState(fixture.dir, { textSearch: 'inline' });
    try {
      const random = createRandom(17);
      for (const filter of [{ category: 'Serum' }, { brand: 'Nova' }]) {
        const query = randomUnitVector(random);
        const keep = (i: number) => (filter.category === undefined || fixture.items[i].category === filter.category) && (filter.brand === undefined || fixture.items[i].brand === filter.brand);
        // An exact-scan limit of 0 forces the ANN path that large catalogs take.
        const hits = await retrieveCandidates(state.catalog, state.ann, { vector: query, k: 8, excluded: new Set(), filter }, 0);
        const actual = hits.map((hit) => ({ id: fixture.items[hit.index].id, annScore: hit.score }));
        expectSameRanking(actual, bruteForceTopK(fixture, query, 8, keep));
      }
    } finally {
      await state.text.close();
      state.ann.dispose();
    }
  });

  it('rejects bad vectors with AISLE_INVALID_VECTOR', async () => {
    const withNaN = randomUnitVector(createRandom(1));
    withNaN[3] = Number.NaN;
    const withInfinity = randomUnitVector(createRandom(1));
    withInfinity[0] = Number.POSITIVE_INFINITY;
    const cases: Array<[string, string]> = [
      [encodeVector(withNaN), 'non_finite'],
      [encodeVector(withInfinity), 'non_finite'],
      [encodeVector(new Float32Array(DIM)), 'zero_norm'],
      [encodeVector(randomUnitVector(createRandom(2)).subarray(0, DIM - 1)), 'wrong_dim'],
      [encodeVector(new Float32Array(DIM + 1).fill(0.25)), 'wrong_dim'],
      ['@@@@not base64!', 'not_base64'],
      ['AAAAAAA', 'not_base64'],
      ['AAAA', 'wrong_dim'],
    ];
    for (const [vector, reason] of cases) {
      const body = await expectError(await post('/v1/candidates', { vector, k: 5 }), 400, 'AISLE_INVALID_VECTOR');
      expect(body.error.details).toMatchObject({ field: 'vector', reason });
    }
  });

  it('rejects schema failures with AISLE_INVALID_REQUEST', async () => {
    const vector = encodeVector(randomUnitVector(createRandom(4)));
    const cases: Array<[unknown, string]> = [
      [{ vector, k: 0 }, 'body.k'],
      [{ vector, k: 1001 }, 'body.k'],
      [{ vector, k: 2.5 }, 'body.k'],
      [{ vector }, 'body'],
      [{ k: 5 }, 'body'],
      [{ vector, k: 5, exclude: Array.from({ length: 1001 }, (_, i) => `x${i}`) }, 'body.exclude'],
      [{ vector, k: 5, exclude: ['x'.repeat(257)] }, 'body.exclude.0'],
      [{ vector, k: 5, filter: { color: 'red' } }, 'body.filter'],
      [{ vector: 'A'.repeat(10_000), k: 5 }, 'body.vector'],
    ];
    for (const [request, field] of cases) {
      const body = await expectError(await post('/v1/candidates', request), 400, 'AISLE_INVALID_REQUEST');
      expect(body.error.message).toContain(`\`${field}\``);
    }
  });

  it('rejects values of the wrong type', async () => {
    const vector = encodeVector(randomUnitVector(createRandom(4)));
    const cases: Array<[string, unknown, string, string]> = [
      ['/v1/candidates', { vector, k: true }, 'body.k', 'must be integer'],
      ['/v1/candidates', { vector, k: '5' }, 'body.k', 'must be integer'],
      ['/v1/candidates', { vector: [vector], k: 5 }, 'body.vector', 'must be string'],
      ['/v1/search', { query: 'mug', k: true }, 'body.k', 'must be integer'],
      ['/v1/search', { query: ['mug'], k: 5 }, 'body.query', 'must be string'],
      ['/v1/search', { query: null, k: 5 }, 'body.query', 'must be string'],
      ['/v1/search', { query: 42, k: 5 }, 'body.query', 'must be string'],
    ];
    for (const [path, request, field, problem] of cases) {
      const body = await expectError(await post(path, request), 400, 'AISLE_INVALID_REQUEST');
      expect(body.error.message).toContain(`\`${field}\` ${problem}`);
    }
  });

  it('names the rejected value', async () => {
    const vector = encodeVector(randomUnitVector(createRandom(4)));
    const cases: Array<[string, unknown, string]> = [
      ['/v1/search', { query: 'mug', k: 5, fusion: 'linear' }, '`body.fusion` must be one of "rrf", "weighted", "learned"; got "linear".'],
      ['/v1/search', { query: 'mug', k: 0 }, '`body.k` must be >= 1; got 0.'],
      ['/v1/search', { query: 'mug', k: 5, weights: { bm25: 2, vector: 0 } }, '`body.weights.bm25` must be <= 1; got 2.'],
      ['/v1/search', { query: 'x'.repeat(600), k: 5 }, '`body.query` must NOT have more than 512 characters; got a string of 600 characters.'],
      ['/v1/candidates', { vector, k: '5' }, '`body.k` must be integer; got "5".'],
      ['/v1/candidates', { vector, k: 5, exclude: Array.from({ length: 1001 }, (_, i) => `x${i}`) }, '`body.exclude` must NOT have more than 1000 items; got an array of 1001 items.'],
    ];
    for (const [path, request, message] of cases) {
      const body = await expectError(await post(path, request), 400, 'AISLE_INVALID_REQUEST');
      expect(body.error.message).toBe(`Invalid request: ${message}`);
    }
  });

  it('names a forbidden prototype key', async () => {
    const vector = encodeVector(randomUnitVector(createRandom(4)));
    const cases: Array<[string, string]> = [
      [`{"vector":"${vector}","k":5,"__proto__":{"k":1}}`, 'body.__proto__'],
      [`{"vector":"${vector}","k":5,"filter":{"constructor":{"prototype":{}}}}`, 'body.filter.constructor'],
    ];
    for (const [text, field] of cases) {
      const body = await expectError(await post('/v1/candidates', text), 400, 'AISLE_INVALID_REQUEST');
      expect(body.error.message).toContain(`\`${field}\``);
      expect(body.error.message).toContain('prototype poisoning');
      expect(body.error.message).not.toContain('not valid JSON');
    }
  });

  it('rejects malformed JSON and oversized bodies', async () => {
    await expectError(await post('/v1/candidates', '{"vector": '), 400, 'AISLE_INVALID_REQUEST');
    const huge = { vector: 'A', k: 5, exclude: ['x'.repeat(300 * 1024)] };
    const body = await expectError(await post('/v1/candidates', huge), 413, 'AISLE_PAYLOAD_TOO_LARGE');
    expect(body.error.message).toContain(`${256 * 1024} bytes`);
    expect(body.error.message).toContain('`exclude`');
  });
});

describe('GET /v1/items and /v1/trending', () => {
  it('returns found items and lists missing ids', async () => {
    const response = await fetch(`${base}/v1/items?ids=item-3,nope,item-42,item-3,other`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as ItemsResponse;
    expect(body.items.map((item) => item.id)).toEqual(['item-3', 'item-42']);
    expect(body.missing).toEqual(['nope', 'other']);
    expect(decodeVector(body.items[1].vector)).toEqual(fixture.vectors.slice(42 * DIM, 43 * DIM));
  });

  it('rejects too many or no ids', async () => {
    const ids = Array.from({ length: 501 }, (_, i) => `item-${i}`).join(',');
    await expectError(await fetch(`${base}/v1/items?ids=${ids}`), 400, 'AISLE_INVALID_REQUEST');
    await expectError(await fetch(`${base}/v1/items`), 400, 'AISLE_INVALID_REQUEST');
    await expectError(await fetch(`${base}/v1/items?ids=,,`), 400, 'AISLE_INVALID_REQUEST');
  });

  it('rejects a trending k that is not an integer', async () => {
    for (const k of ['abc', '2.5', '0', '1001', 'true']) {
      const body = await expectError(await fetch(`${base}/v1/trending?k=${k}`), 400, 'AISLE_INVALID_REQUEST');
      expect(body.error.message).toContain('`querystring.k`');
    }
  });

  it('returns the popular list as trending', async () => {
    const body = (await (await fetch(`${base}/v1/trending?k=5`)).json()) as { items: Array<{ id: string }> };
    const popular = [...fixture.items].sort((a, b) => b.stats.popularity - a.stats.popularity).slice(0, 5);
    expect(body.items.map((item) => item.id)).toEqual(popular.map((item) => item.id));
  });
});

describe('POST /v1/search', () => {
  async function search(query: string, extra: Record<string, unknown> = {}): Promise<SearchResponse> {
    const response = await post('/v1/search', { query, k: 10, ...extra });
    expect(response.status).toBe(200);
    return (await response.json()) as SearchResponse;
  }

  it('finds an item by its title words', async () => {
    const body = await search('aurora velvet lipstick');
    expect(body.items[0].id).toBe('item-7');
    expect(body.items.every((item) => Number.isFinite(item.searchScore) && item.searchScore > 0)).toBe(true);
  });

  it('finds an item despite a one-letter typo', async () => {
    const body = await search('auroa');
    expect(body.items[0].id).toBe('item-7');
  });

  it('matches NFKC-equivalent text', async () => {
    const body = await search('fullwidth');
    expect(body.items[0].id).toBe('item-8');
  });

  it('returns no items for empty and emoji queries', async () => {
    for (const query of ['', '   ', '💄✨', '!!!']) {
      const body = await search(query);
      expect(body.items).toEqual([]);
    }
  });

  it('fuses BM25 and ANN for a query vector', async () => {
    const vector = fixture.vectors.slice(100 * DIM, 101 * DIM);
    const body = await search('aurora', { vector: encodeVector(vector) });
    const ids = body.items.map((item) => item.id);
    expect(ids).toContain('item-7');
    expect(ids).toContain('item-100');
    expect(body.items.every((item) => Number.isFinite(item.searchScore))).toBe(true);
  });

  it('counts tag facets of the matching items and filters by tags', async () => {
    const body = await search('velvet', { k: 1000 });
    const matching = fixture.items.filter((item) => /velvet/i.test(item.title ?? ''));
    expect(body.items.map((item) => item.id).sort()).toEqual(matching.map((item) => item.id).sort());
    // Each item's tags are [category, first title word]; item-7 adds its confident predicted tag.
    const expected = new Map<string, number>();
    for (const item of matching) for (const tag of new Set(item.tags)) expected.set(tag, (expected.get(tag) ?? 0) + 1);
    expected.set('gift', 1);
    const sorted = [...expected.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 12);
    expect(body.facets).toEqual(sorted);

    const lipstick = await search('velvet', { k: 1000, tags: ['Lipstick'] });
    expect(lipstick.items.length).toBe(matching.filter((item) => item.tags?.includes('Lipstick')).length);
    expect(lipstick.facets[0]).toEqual(['Lipstick', lipstick.items.length]);
    // A predicted tag counts from confidence 0.5 on.
    expect((await search('velvet', { tags: ['gift'] })).items.map((item) => item.id)).toEqual(['item-7']);
    expect((await search('velvet', { tags: ['vegan'] })).items).toEqual([]);
    await expectError(await post('/v1/search', { query: 'velvet', k: 5, tags: [''] }), 400, 'AISLE_INVALID_REQUEST');
  });

  it('filters tags before the cut', async () => {
    // 'zzz' matches no text, so the order is the vector list's. An exact scan of the tagged items
    // is the oracle: a filter after the cut to the top 100 would miss the tagged items below it.
    const query = fixture.vectors.slice(3 * DIM, 4 * DIM);
    const vector = encodeVector(query);
    const cosine = (index: number) => fixture.vectors.slice(index * DIM, (index + 1) * DIM).reduce((sum, value, j) => sum + value * query[j], 0);
    for (const tags of [['Serum', 'matte'], ['Serum']]) {
      const tagged = fixture.items.flatMap((item, index) => (tags.every((tag) => item.tags?.includes(tag)) ? [index] : []));
      const expected = tagged.sort((a, b) => cosine(b) - cosine(a)).slice(0, 5).map((index) => `item-${index}`);
      const body = await search('zzz', { k: 5, vector, tags });
      expect(body.debug.method, tags.join()).toBe('vector');
      expect(body.items.map((item) => item.id), tags.join()).toEqual(expected);
    }

    // Four categories match the text; the tagged items are all found at k 5 as at k 1000.
    const text = 'lipstick mascara foundation blush';
    const all = await search(text, { k: 1000, tags: ['Blush', 'tinted'] });
    const blushTinted = fixture.items.filter((item) => item.tags?.[0] === 'Blush' && item.tags[1] === 'tinted').map((item) => item.id);
    expect(all.items.map((item) => item.id).sort()).toEqual(blushTinted.sort());
    const top = await search(text, { k: 5, tags: ['Blush', 'tinted'] });
    expect(top.items.map((item) => item.id)).toEqual(all.items.slice(0, 5).map((item) => item.id));
  });

  it('names the request fields it ignored', async () => {
    const body = await search('velvet', { tag: ['Lipstick'], clientVersion: '9' });
    expect(body.debug.ignoredFields).toEqual(['tag', 'clientVersion']);
    expect((await search('velvet')).debug.ignoredFields).toBeUndefined();
  });

  it('rejects a long query and a bad vector', async () => {
    await expectError(await post('/v1/search', { query: 'x'.repeat(513), k: 5 }), 400, 'AISLE_INVALID_REQUEST');
    await expectError(await post('/v1/search', { query: 'matte', k: 5, vector: encodeVector(new Float32Array(DIM)) }), 400, 'AISLE_INVALID_VECTOR');
  });

  it('rejects weights without fusion weighted', async () => {
    const weights = { bm25: 0.3, vector: 0.7 };
    for (const fusion of ['rrf', 'learned', undefined]) {
      const body = await expectError(await post('/v1/search', { query: 'velvet', k: 5, fusion, weights }), 400, 'AISLE_INVALID_REQUEST');
      expect(body.error.message, String(fusion)).toContain(`got fusion ${JSON.stringify(fusion ?? null)}`);
      expect(body.error.details, String(fusion)).toEqual({ field: 'body.weights' });
    }
    const vector = encodeVector(fixture.vectors.slice(100 * DIM, 101 * DIM));
    const weighted = await search('aurora', { vector, fusion: 'weighted', weights });
    expect(weighted.debug).toMatchObject({ method: 'weighted', weights });
  });
});

describe('GET /models/:file', () => {
  it('serves manifest.json with no-cache and an ETag', async () => {
    const response = await fetch(`${base}/models/manifest.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const etag = response.headers.get('etag');
    expect(etag).toMatch(/^".+"$/);
    const text = await response.text();
    expect(text).toBe(await readFile(join(fixture.dir, 'manifest.json'), 'utf8'));
    expect(Number(response.headers.get('content-length'))).toBe(Buffer.byteLength(text));

    const revalidated = await fetch(`${base}/models/manifest.json`, { headers: { 'if-none-match': etag ?? '' } });
    expect(revalidated.status).toBe(304);
    const listed = await fetch(`${base}/models/manifest.json`, { headers: { 'if-none-match': `"stale", W/${etag}` } });
    expect(listed.status).toBe(304);
    const stale = await fetch(`${base}/models/manifest.json`, { headers: { 'if-none-match': '"stale"' } });
    expect(stale.status).toBe(200);
  });

  it('serves listed .onnx files as immutable bytes', async () => {
    const response = await fetch(`${base}/models/ranker.onnx`);
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(Number(response.headers.get('content-length'))).toBe(fixture.onnx.length);
    expect(Buffer.from(await response.arrayBuffer()).equals(fixture.onnx)).toBe(true);

    const sha256 = createHash('sha256').update(fixture.onnx).digest('hex');
    expect(response.headers.get('etag')).toBe(`"${sha256}"`);
    const revalidated = await fetch(`${base}/models/ranker.onnx`, { headers: { 'if-none-match': `"${sha256}"` } });
    expect(revalidated.status).toBe(304);
    const head = await fetch(`${base}/models/ranker.onnx`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(fixture.onnx.length);
  });

  it('rejects other files and traversal with 404', async () => {
    await writeFile(join(fixture.dir, 'unlisted.onnx'), fixture.onnx);
    for (const path of ['/models/unlisted.onnx', '/models/items.json', '/models/..%2Fitems.json', '/models/%2E%2E%2Fmanifest.json', '/models/items.faiss', '/models/../package.json', '/models/']) {
      await expectError(await fetch(`${base}${path}`), 404, 'AISLE_NOT_FOUND');
    }
  });
});

describe('service routes', () => {
  it('reports health', async () => {
    const body = await (await fetch(`${base}/healthz`)).json();
    expect(body).toEqual({ status: 'ok', items: ITEMS, dim: DIM, index: { type: 'Flat', ntotal: ITEMS }, version: 'test-1' });
  });

  it('returns JSON 404 for unknown routes', async () => {
    await expectError(await fetch(`${base}/v2/nothing`), 404, 'AISLE_NOT_FOUND');
  });

  it('returns 405 with Allow for a wrong method', async () => {
    const cases: Array<[string, string, string]> = [
      ['GET', '/v1/candidates', 'POST'],
      ['DELETE', '/v1/search', 'POST'],
      ['PUT', '/v1/items', 'GET, HEAD, POST'],
      ['PUT', '/models/manifest.json', 'GET, HEAD'],
    ];
    for (const [method, path, allow] of cases) {
      const response = await fetch(`${base}${path}`, { method });
      const body = await expectError(response, 405, 'AISLE_METHOD_NOT_ALLOWED');
      expect(response.headers.get('allow')).toBe(allow);
      expect(body.error.message).toContain(`${method} ${path}`);
      expect(body.error.message).toContain(allow);
    }
  });

  it('returns a JSON 431 for an oversized URL', async () => {
    const response = await fetch(`${base}/v1/items?ids=${'a'.repeat(100 * 1024)}`);
    const body = await expectError(response, 431, 'AISLE_HEADERS_TOO_LARGE');
    expect(body.error.message).toMatch(/\d+ bytes/);
  });

  it('rejects a badly encoded path', async () => {
    await expectError(await fetch(`${base}/models/%E0%A4%A`), 400, 'AISLE_INVALID_REQUEST');
  });

  it('allows cross-origin calls', async () => {
    const response = await fetch(`${base}/healthz`, { headers: { origin: 'https://shop.example' } });
    expect(response.headers.get('access-control-allow-origin')).toBe('*');
    const preflight = await fetch(`${base}/v1/candidates`, {
      method: 'OPTIONS',
      headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
  });
});

describe('createServer options', () => {
  it('restricts CORS to listed origins', async () => {
    const restricted = await createServer({ modelsDir: fixture.dir, cors: ['https://shop.example'] });
    try {
      const allowed = await restricted.inject({ method: 'GET', url: '/healthz', headers: { origin: 'https://shop.example' } });
      expect(allowed.headers['access-control-allow-origin']).toBe('https://shop.example');
      const other = await restricted.inject({ method: 'GET', url: '/healthz', headers: { origin: 'https://evil.example' } });
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await restricted.close();
    }
  });

  it('reports a port in use', async () => {
    const port = Number(new URL(base).port);
    await expect(startServer({ modelsDir: fixture.dir, host: '127.0.0.1', port })).rejects.toMatchObject({ code: 'AISLE_INVALID_ARGUMENT' });
  });

  it('applies a smaller body limit', async () => {
    const small = await createServer({ modelsDir: fixture.dir, limits: { bodyLimit: 64 } });
    try {
      const response = await small.inject({ method: 'POST', url: '/v1/search', payload: { query: 'x'.repeat(100), k: 5 } });
      expect(response.statusCode).toBe(413);
      expect(response.json().error.code).toBe('AISLE_PAYLOAD_TOO_LARGE');
      expect(response.json().error.message).toContain('POST /v1/search');
      expect(response.json().error.message).toContain('64 bytes');
      expect(response.json().error.message).not.toContain('fewer ids');
    } finally {
      await small.close();
    }
  });
});

describe('createServer start-up checks', () => {
  async function copyFixture(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'aisle-server-bad-'));
    await cp(fixture.dir, dir, { recursive: true });
    return dir;
  }

  async function expectStartFailure(mutate: (dir: string) => Promise<void>, code: string): Promise<Error & { details?: unknown }> {
    const dir = await copyFixture();
    try {
      await mutate(dir);
      const failure = createServer({ modelsDir: dir });
      await expect(failure).rejects.toMatchObject({ code });
      return (await failure.catch((error: unknown) => error)) as Error & { details?: unknown };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('rejects a truncated items.faiss', async () => {
    const error = await expectStartFailure(async (dir) => {
      const path = join(dir, 'items.faiss');
      await truncate(path, 100);
    }, 'AISLE_INDEX_LOAD_FAILED');
    expect(error.message).toContain('items.faiss');
  });

  it('rejects a garbage items.faiss', async () => {
    await expectStartFailure((dir) => writeFile(join(dir, 'items.faiss'), Buffer.alloc(4096, 7)), 'AISLE_INDEX_LOAD_FAILED');
  });

  it('rejects an index with the L2 metric', async () => {
    const error = await expectStartFailure(async (dir) => {
      const index = FaissIndex.create(DIM, 'Flat', 'l2');
      await index.add(fixture.vectors);
      await index.write(join(dir, 'items.faiss'));
      index.dispose();
    }, 'AISLE_INDEX_LOAD_FAILED');
    expect(error.message).toContain('metric l2');
  });

  it('rejects an index of another size', async () => {
    const error = await expectStartFailure(async (dir) => {
      const index = FaissIndex.create(DIM, 'Flat', 'ip');
      await index.add(fixture.vectors.subarray(0, 10 * DIM));
      await index.write(join(dir, 'items.faiss'));
      index.dispose();
    }, 'AISLE_INDEX_LOAD_FAILED');
    expect(error.message).toContain('10 vectors');
  });

  it('rejects a manifest without dim', async () => {
    const error = await expectStartFailure(async (dir) => {
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
      delete manifest.dim;
      await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
    }, 'AISLE_MANIFEST_INVALID');
    expect(error.details).toMatchObject({ field: 'dim' });
  });

  it('rejects manifest file names outside the directory', async () => {
    const error = await expectStartFailure(async (dir) => {
      const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
      manifest.catalog.itemsFile = '../items.json';
      await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
    }, 'AISLE_MANIFEST_INVALID');
    expect(error.details).toMatchObject({ field: 'catalog.itemsFile' });
  });

  it('rejects malformed items.json entries', async () => {
    const mutations: Array<(items: CatalogFileEntry[]) => void> = [
      (items) => { items[3].id = items[2].id; },
      (items) => { (items[4].stats as { popularity: unknown }).popularity = 'high'; },
      (items) => { (items[5] as { neighbors: unknown }).neighbors = [['item-1']]; },
      (items) => { items.pop(); },
    ];
    for (const mutate of mutations) {
      await expectStartFailure(async (dir) => {
        const items = JSON.parse(await readFile(join(dir, 'items.json'), 'utf8')) as CatalogFileEntry[];
        mutate(items);
        await writeFile(join(dir, 'items.json'), JSON.stringify(items));
      }, 'AISLE_MODEL_LOAD_FAILED');
    }
  });

  it('rejects a short vectors file', async () => {
    const error = await expectStartFailure((dir) => truncate(join(dir, 'item_vectors.f32'), ITEMS * DIM * 4 - 4), 'AISLE_MODEL_LOAD_FAILED');
    expect(error.message).toContain(`${ITEMS * DIM * 4}`);
  });

  it('rejects a model file that differs from its sha256', async () => {
    await expectStartFailure((dir) => writeFile(join(dir, 'ranker.onnx'), Buffer.from('changed')), 'AISLE_MODEL_CHECKSUM_MISMATCH');
  });
});
