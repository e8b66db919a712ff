/**
 * The companion's caches and text-assembled responses, through the real server on 127.0.0.1 with
 * real FAISS. Bodies must equal those built as objects from Catalog.toWire. Servers with the ANN
 * result cache, batching and the item JSON cache on or off must return the same bodies.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { CatalogFileEntry } from '../../src/core/model-dir.js';
import { createRandom } from '../../src/core/random.js';
import type { Manifest } from '../../src/core/types.js';
import { encodeVector } from '../../src/core/vector.js';
import { FaissIndex } from '../../src/server/ann/faiss.js';
import { clusterCenters, sampleClustered } from '../../src/server/ann/synthetic.js';
import { companionStats, createServer, type ServerOptions } from '../../src/server/app.js';
import { Catalog, encodeVectorBase64, POPULAR_LIST_SIZE } from '../../src/server/catalog.js';
import { ItemJsonCache, JsonBody } from '../../src/server/item-json.js';
import { retrieveCandidates } from '../../src/server/retrieval.js';
import { loadServerState, type ServerState } from '../../src/server/state.js';

const ITEMS = 300;
const DIM = 16;
const random = createRandom(4711);
const centers = clusterCenters(12, DIM, random.next);
const vectors = sampleClustered(centers, DIM, ITEMS, 0.5, random.next);
const queries = sampleClustered(centers, DIM, 12, 0.5, random.next);

function query(i: number): Float32Array {
  return queries.slice(i * DIM, (i + 1) * DIM);
}

function buildItems(): CatalogFileEntry[] {
  return Array.from({ length: ITEMS }, (_, i) => ({
    id: `sku-${i}`,
    title: `Item "${i}" with a quote and ünïcode`,
    category: ['Mugs', 'Plates', 'Bowls'][i % 3],
    brand: i % 4 === 0 ? undefined : `Brand ${i % 5}`,
    price: 3 + (i % 17) * 0.25,
    tags: i % 2 === 0 ? ['ceramic', `t${i % 7}`] : undefined,
    stats: { popularity: random.next(), trending: i % 11 === 0 ? 0.5 : 0 },
    neighbors: i % 3 === 0 ? [[`sku-${(i + 1) % ITEMS}`, 0.75], [`sku-${(i + 2) % ITEMS}`, 1 / 3]] : undefined,
  }));
}

async function buildModelsDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'aisle-server-caches-'));
  const index = FaissIndex.create(DIM, 'Flat');
  await index.add(vectors);
  await index.write(join(dir, 'items.faiss'));
  index.dispose();

  const model = Buffer.from('placeholder model bytes');
  const entry = (file: string) => ({ file, sha256: createHash('sha256').update(model).digest('hex'), bytes: model.length });
  const manifest: Manifest = {
    format: 1,
    version: 'caches-1',
    dataset: 'synthetic',
    createdAt: '2026-12-04T00:00:00Z',
    dim: DIM,
    seqLen: 20,
    usesAges: false,
    features: [],
    models: { userTower: entry('user_tower.onnx'), ranker: entry('ranker.onnx') },
    catalog: { items: ITEMS, itemsFile: 'items.json', vectorsFile: 'item_vectors.f32', indexFile: 'items.faiss', indexType: 'Flat' },
  };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
  await writeFile(join(dir, 'items.json'), JSON.stringify(buildItems()));
  await writeFile(join(dir, 'item_vectors.f32'), Buffer.from(vectors.buffer));
  await writeFile(join(dir, 'user_tower.onnx'), model);
  await writeFile(join(dir, 'ranker.onnx'), model);
  return dir;
}

interface Running {
  app: FastifyInstance;
  base: string;
}

async function start(options: Omit<ServerOptions, 'modelsDir'>): Promise<Running> {
  // One fixed clock for every server, so the time in their live signals is the same.
  const app = await createServer({ modelsDir: dir, textSearch: 'inline', live: { now: () => Date.UTC(2026, 11, 5) }, ...options });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('server has no TCP address');
  return { app, base: `http://127.0.0.1:${address.port}` };
}

async function postText(server: Running, body: unknown): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(`${server.base}/v1/candidates`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

/** Live signals of an item without events, as every item of these servers has. */
const NO_LIVE = { views: 0, clicks: 0, addToCart: 0, purchases: 0, trending: 0, lastEventAt: null, at: expect.any(Number) };

/** Adds the `live` field to a wire item that went through JSON. */
function withLive<T extends object>(item: T): T & { live: typeof NO_LIVE } {
  const { annScore, ...rest } = item as T & { annScore?: number };
  return (annScore === undefined ? { ...rest, live: NO_LIVE } : { ...rest, annScore, live: NO_LIVE }) as T & { live: typeof NO_LIVE };
}

/** Builds the body as the route built it before responses were assembled from cached text. */
async function referenceBody(state: ServerState, vector: Float32Array, k: number, exclude: string[] = []): Promise<unknown> {
  const excluded = new Set(exclude);
  const normalized = vector.map((value) => value / Math.hypot(...vector));
  const hits = await retrieveCandidates(state.catalog, state.ann, { vector: normalized, k, excluded });
  const body = {
    items: hits.map((hit) => ({ ...state.catalog.toWire(hit.index), annScore: hit.score })),
    popular: state.catalog.popular(POPULAR_LIST_SIZE, excluded).map((index) => state.catalog.toWire(index)),
    index: { type: state.ann.type, version: state.manifest.version, ntotal: state.ann.ntotal },
  };
  const parsed = JSON.parse(JSON.stringify(body)) as typeof body;
  return { ...parsed, items: parsed.items.map(withLive), popular: parsed.popular.map(withLive) };
}

let dir: string;
let cached: Running;
let uncached: Running;
let state: ServerState;

beforeAll(async () => {
  dir = await buildModelsDir();
  cached = await start({});
  uncached = await start({ ann: { batching: false, cacheEntries: 0 }, itemJsonCache: false });
  state = await loadServerState(dir, { textSearch: 'inline', ann: { cacheEntries: 0 } });
});

afterAll(async () => {
  await cached?.app.close();
  await uncached?.app.close();
  await state?.text.close();
  state?.ann.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('POST /v1/candidates bodies', () => {
  it('equal the object-built body', async () => {
    for (let q = 0; q < 4; q++) {
      const response = await postText(cached, { vector: encodeVector(query(q)), k: 25 });

      expect(response.status).toBe(200);
      expect(response.type).toBe('application/json; charset=utf-8');
      expect(JSON.parse(response.text)).toEqual(await referenceBody(state, query(q), 25));
    }
  });

  it('drop excluded popular items like the object-built body', async () => {
    const exclude = state.catalog.popular(3).map((index) => state.catalog.items[index].id);
    const response = await postText(cached, { vector: encodeVector(query(5)), k: 10, exclude });
    const body = JSON.parse(response.text) as { popular: Array<{ id: string }> };

    expect(body).toEqual(await referenceBody(state, query(5), 10, exclude));
    expect(body.popular.map((item) => item.id)).not.toContain(exclude[0]);
    expect(body.popular.length).toBe(POPULAR_LIST_SIZE);
  });

  it('repeat byte for byte from the caches', async () => {
    const request = { vector: encodeVector(query(6)), k: 40 };
    const first = await postText(cached, request);
    const before = companionStats(cached.app);
    const second = await postText(cached, request);
    const after = companionStats(cached.app);

    expect(second.text).toBe(first.text);
    expect((after?.ann.cache?.hits ?? 0) - (before?.ann.cache?.hits ?? 0)).toBe(1);
    expect((after?.itemJson.hits ?? 0) - (before?.itemJson.hits ?? 0)).toBeGreaterThanOrEqual(40);
  });

  it('are equal with caches and batching off', async () => {
    const requests = Array.from({ length: 12 }, (_, q) => ({ vector: encodeVector(query(q)), k: 30 }));
    const withCaches = await Promise.all(requests.map((request) => postText(cached, request)));
    const without = await Promise.all(requests.map((request) => postText(uncached, request)));

    for (let q = 0; q < requests.length; q++) expect(without[q].text).toBe(withCaches[q].text);
    const stats = companionStats(uncached.app);
    expect(stats?.ann).toMatchObject({ batching: false, cache: null });
    expect(stats?.ann.directSearches).toBeGreaterThanOrEqual(12);
    expect(stats?.itemJson.items).toBe(0);
  });
});

describe('GET /v1/items and /v1/trending bodies', () => {
  it('equal the object-built bodies', async () => {
    const items = await fetch(`${cached.base}/v1/items?ids=sku-4,nope,sku-9`);
    expect(items.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await items.json()).toEqual({ items: [state.catalog.toWire(4), state.catalog.toWire(9)].map((item) => withLive(JSON.parse(JSON.stringify(item)))), missing: ['nope'] });

    for (const k of [3, 50, 300]) {
      const trending = await fetch(`${cached.base}/v1/trending?k=${k}`);
      expect(await trending.json()).toEqual({ items: state.catalog.popular(k).map((index) => withLive(JSON.parse(JSON.stringify(state.catalog.toWire(index))))) });
    }
  });
});

describe('ItemJsonCache', () => {
  it('serializes each item once', () => {
    const cache = new ItemJsonCache(state.catalog);
    const first = Array.from({ length: 25 }, (_, i) => cache.bytes(i).toString());
    const again = Array.from({ length: 25 }, (_, i) => cache.bytes(i).toString());

    expect(again).toEqual(first);
    expect(cache.stats).toEqual({ hits: 25, misses: 25, items: 25, bytes: first.reduce((sum, text) => sum + Buffer.byteLength(text), 0), segments: 1 });
  });

  it('keeps earlier bytes when storage grows', () => {
    const cache = new ItemJsonCache(state.catalog, { segmentBytes: 2048 });
    const views = Array.from({ length: ITEMS }, (_, i) => cache.bytes(i));

    expect(cache.stats.segments).toBeGreaterThan(10);
    views.forEach((view, i) => expect(JSON.parse(view.toString())).toEqual(JSON.parse(JSON.stringify(state.catalog.toWire(i)))));
    expect(JSON.parse(cache.bytes(0).toString())).toEqual(JSON.parse(views[0].toString()));
  });

  it('stores nothing when disabled', () => {
    const cache = new ItemJsonCache(state.catalog, { enabled: false });
    expect(cache.bytes(3).toString()).toBe(cache.bytes(3).toString());
    expect(cache.stats).toEqual({ hits: 0, misses: 2, items: 0, bytes: 0, segments: 0 });
  });

  it('appends a field to the item JSON', () => {
    const cache = new ItemJsonCache(state.catalog);
    const body = new JsonBody().array([7, 8], (part, index) => cache.appendWith(part, index, 'annScore', -0.25));
    const wire = (index: number) => ({ ...JSON.parse(JSON.stringify(state.catalog.toWire(index))), annScore: -0.25 });

    expect(JSON.parse(body.toBuffer().toString())).toEqual([wire(7), wire(8)]);
  });

  it('replaces a stored vector key', () => {
    const entry = { id: 'odd', vector: 'stale text', stats: { popularity: 1, trending: 0 } } as CatalogFileEntry;
    const catalog = new Catalog([entry], vectors.slice(0, DIM), DIM);
    const item = JSON.parse(new ItemJsonCache(catalog).bytes(0).toString()) as { vector: string };

    expect(item).toEqual(JSON.parse(JSON.stringify(catalog.toWire(0))));
    expect(item.vector).toBe(encodeVector(vectors.subarray(0, DIM)));
  });
});

describe('encodeVectorBase64', () => {
  it('equals the portable codec', () => {
    const special = new Float32Array([0, -0, 1e-45, -3.4e38, 3.4e38, 1 / 3, -1, 0.1]);
    expect(encodeVectorBase64(special)).toBe(encodeVector(special));
    for (let i = 0; i < 20; i++) {
      const vector = vectors.subarray(i * DIM, (i + 1) * DIM);
      expect(encodeVectorBase64(vector)).toBe(encodeVector(vector));
    }
    expect(encodeVectorBase64(new Float32Array(3))).toBe(encodeVector(new Float32Array(3)));
  });
});
