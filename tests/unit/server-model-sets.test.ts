/**
 * Extra model sets: a real companion on 127.0.0.1 serves two models directories of one catalog
 * (the same item ids, other item vectors and FAISS indexes), the default at the root and the
 * other under /versions/<version>. Each returns candidates from its own index, checked against
 * an exact search of its vectors, while both read one store of live counters.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveSignals } from '../../src/core/live-events.js';
import type { CandidatesResponse, ErrorBody, ItemsResponse, ItemWire, SearchResponse } from '../../src/core/types.js';
import { encodeVector } from '../../src/core/vector.js';
import { createServer } from '../../src/server/app.js';
import { parseConfig } from '../../src/server/config.js';
import { DecayedCounterStore } from '../../src/server/live/decayed-counters.js';
import { InProcessEventSink } from '../../src/server/live/event-sink.js';
import type { ExperimentsResponse } from '../../src/server/routes/experiments.js';
import type { HealthResponse } from '../../src/server/routes/health.js';
import { unitVector, writeModelsDir, type ModelsFixture } from '../support/companion-models.js';
import { listenOnLoopback } from './helpers/companion-fixture.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 11, 5, 12, 0, 0);
const ITEMS = 60;
const DIM = 8;

let root: string;
let setA: ModelsFixture;
let setB: ModelsFixture;
let app: FastifyInstance;
let base: string;
let sink: InProcessEventSink;

async function post<T>(path: string, body: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as T };
}

async function get<T>(path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${base}${path}`);
  return { status: response.status, body: (await response.json()) as T };
}

/** Ids of the k items with the largest inner product with `query`, by an exact scan. */
function exactTop(fixture: ModelsFixture, query: Float32Array, k: number): string[] {
  const scored = fixture.items.map((item, row) => {
    let score = 0;
    for (let d = 0; d < DIM; d++) score += fixture.vectors[row * DIM + d] * query[d];
    return { id: item.id, score };
  });
  return scored.sort((a, b) => b.score - a.score).slice(0, k).map((entry) => entry.id);
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'aisle-model-sets-'));
  setA = await writeModelsDir(join(root, 'models-a'), { items: ITEMS, dim: DIM, seed: 11, version: 'set-a', idPrefix: 'sku' });
  setB = await writeModelsDir(join(root, 'models-b'), { items: ITEMS, dim: DIM, seed: 22, version: 'set-b', idPrefix: 'sku' });
  // The config names the extra set by a path relative to the config file, as an operator writes it.
  const config = parseConfig(
    {
      experiments: [{ name: 'models', salt: 's', variants: [{ name: 'current', changes: { modelVersion: 'set-a' } }, { name: 'candidate', changes: { modelVersion: 'set-b' } }] }],
      modelSets: { 'set-b': 'models-b' },
    },
    join(root, 'companion.json'),
  );
  expect(config.modelSets).toEqual({ 'set-b': setB.dir });

  const ids = setA.items.map((item) => item.id);
  const store = new DecayedCounterStore({ size: ids.length, idAt: (i) => ids[i], indexOf: (id) => (ids.includes(id) ? ids.indexOf(id) : undefined) }, {
    halfLivesMs: { view: HOUR, click: HOUR, add_to_cart: HOUR, purchase: HOUR },
    trendingShortMs: HOUR,
    trendingLongMs: 4 * HOUR,
    trendingPrior: 0,
    minTrendingCount: 3,
    minTrendingScore: 1,
  });
  sink = new InProcessEventSink(store, { now: () => T0, timer: false });
  app = await createServer({ modelsDir: setA.dir, modelSets: config.modelSets, metrics: { processMetrics: false }, textSearch: 'inline', live: { ...config.live, now: () => T0, store, sink } });
  base = await listenOnLoopback(app);
});

afterAll(async () => {
  await app?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('two model sets', () => {
  it('lists every served version at GET /v1/experiments', async () => {
    const { body } = await get<ExperimentsResponse>('/v1/experiments');
    expect(body.modelVersion).toBe('set-a');
    expect(body.modelVersions).toEqual(['set-a', 'set-b']);
    expect(body.experiments[0].variants.map((variant) => variant.changes.modelVersion)).toEqual(['set-a', 'set-b']);
  });

  it('returns candidates from each set index', async () => {
    const query = unitVector(DIM, 5);
    const request = { vector: encodeVector(query), k: 10 };
    const fromA = await post<CandidatesResponse>('/v1/candidates', request);
    const fromB = await post<CandidatesResponse>('/versions/set-b/v1/candidates', request);
    expect(fromA.status).toBe(200);
    expect(fromB.status).toBe(200);

    const idsA = fromA.body.items.map((item) => item.id);
    const idsB = fromB.body.items.map((item) => item.id);
    expect(idsA).toEqual(exactTop(setA, query, 10));
    expect(idsB).toEqual(exactTop(setB, query, 10));
    expect(idsB).not.toEqual(idsA);
    expect(fromA.body.index).toEqual({ type: 'Flat', version: 'set-a', ntotal: ITEMS });
    expect(fromB.body.index).toEqual({ type: 'Flat', version: 'set-b', ntotal: ITEMS });

    // The same id carries the item vector of its own set.
    const row = setB.items.findIndex((item) => item.id === idsB[0]);
    const itemB = fromB.body.items[0];
    expect(itemB.vector).toBe(encodeVector(setB.vectors.subarray(row * DIM, (row + 1) * DIM)));
  });

  it('serves the manifest, items and health of each set', async () => {
    const manifestB = await get<{ version: string }>('/versions/set-b/models/manifest.json');
    expect(manifestB).toEqual({ status: 200, body: expect.objectContaining({ version: 'set-b' }) });
    expect((await get<{ version: string }>('/models/manifest.json')).body.version).toBe('set-a');
    expect((await get<HealthResponse>('/versions/set-b/healthz')).body).toEqual({ status: 'ok', items: ITEMS, dim: DIM, index: { type: 'Flat', ntotal: ITEMS }, version: 'set-b' });
    expect((await get<HealthResponse>('/healthz')).body.version).toBe('set-a');

    const items = await get<ItemsResponse>('/versions/set-b/v1/items?ids=sku-item-7,nope');
    expect(items.status).toBe(200);
    expect(items.body.missing).toEqual(['nope']);
    expect(items.body.items[0].vector).toBe(encodeVector(setB.vectors.subarray(7 * DIM, 8 * DIM)));
    expect(items.body.items[0].title).toBe(setB.items[7].title);

    const search = await post<SearchResponse>('/versions/set-b/v1/search', { query: setB.items[3].title, k: 3 });
    expect(search.status).toBe(200);
    expect(search.body.items[0].id).toBe('sku-item-3');
  });

  it('shares one store of live counters', async () => {
    const events = Array.from({ length: 4 }, () => ({ item: 'sku-item-42', type: 'view', time: T0 }));
    expect((await post<{ accepted: number }>('/v1/events', { events })).body.accepted).toBe(4);
    await sink.flush();

    const fromA = await get<ItemsResponse>('/v1/items?ids=sku-item-42');
    const fromB = await get<ItemsResponse>('/versions/set-b/v1/items?ids=sku-item-42');
    const liveA = (fromA.body.items[0] as ItemWire & { live: LiveSignals }).live;
    const liveB = (fromB.body.items[0] as ItemWire & { live: LiveSignals }).live;
    expect(liveA.views).toBeCloseTo(4, 6);
    expect(liveB).toEqual(liveA);

    // The trending item leads the cold-start list of both sets.
    const trendingB = await get<{ items: ItemWire[] }>('/versions/set-b/v1/trending?k=3');
    expect(trendingB.body.items[0].id).toBe('sku-item-42');
    expect(trendingB.body.items[0].vector).toBe(encodeVector(setB.vectors.subarray(42 * DIM, 43 * DIM)));
    expect((await get<{ items: ItemWire[] }>('/v1/trending?k=3')).body.items[0].id).toBe('sku-item-42');

    // Events and experiments exist at the root only.
    const versioned = await post<ErrorBody>('/versions/set-b/v1/events', { events });
    expect(versioned.status).toBe(404);
    expect((await get<ErrorBody>('/versions/set-b/v1/experiments')).status).toBe(404);
    expect((await get<ErrorBody>('/versions/set-c/v1/items?ids=sku-item-1')).status).toBe(404);
  });

  it('reports the index of each set in /metrics', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('aisle_index_vectors{type="Flat",version="set-a"} 60');
    expect(text).toContain('aisle_index_vectors{type="Flat",version="set-b"} 60');
  });
});

describe('model set errors', () => {
  it('rejects a directory whose version differs from its key', async () => {
    await expect(createServer({ modelsDir: setA.dir, modelSets: { 'set-c': setB.dir }, metrics: false, textSearch: 'inline' })).rejects.toMatchObject({
      code: 'AISLE_MANIFEST_INVALID',
      message: `The models directory ${setB.dir} is configured as model set "set-c" (modelSets), but its manifest.json has version "set-b". Rename the key to "set-b" or point "set-c" at the directory of that version.`,
      details: { modelsDir: setB.dir, expected: 'set-c', actual: 'set-b' },
    });
  });

  it('rejects the version of the default set', async () => {
    await expect(createServer({ modelsDir: setA.dir, modelSets: { 'set-a': setA.dir }, metrics: false, textSearch: 'inline' })).rejects.toMatchObject({
      code: 'AISLE_INVALID_ARGUMENT',
      message: `modelSets lists version "set-a" (${setA.dir}), which is the version of the default models directory; the default set is served at the root already. Remove that entry from modelSets.`,
    });
  });

  it('rejects a version that cannot be a path segment', async () => {
    await expect(createServer({ modelsDir: setA.dir, modelSets: { '../b': setB.dir }, metrics: false, textSearch: 'inline' })).rejects.toMatchObject({
      code: 'AISLE_INVALID_ARGUMENT',
      message: 'ServerOptions.modelSets: model set version "../b" cannot name a served model set; use 1 to 64 letters, digits or _.- starting with a letter or digit, as the manifest of `aisle train` has.',
    });
  });

  it('rejects a missing directory after the sets loaded before it', async () => {
    await expect(createServer({ modelsDir: setA.dir, modelSets: { 'set-b': setB.dir, 'set-d': join(root, 'missing') }, metrics: false, textSearch: 'inline' })).rejects.toMatchObject({ code: 'AISLE_MANIFEST_INVALID' });
  });
});

/** Runs `aisle serve` until `stop` resolves for its output, or until it exits; returns the exit code and the output. */
async function runServe(args: string[], stop?: (output: string) => Promise<boolean>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['bin/aisle.mjs', 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, AISLE_ADMIN_TOKEN: '' } });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (stop) {
    for (let i = 0; i < 600 && child.exitCode === null; i++) {
      if (await stop(output)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGTERM');
  }
  return { code: await exited, output };
}

describe('aisle serve --config with modelSets', () => {
  it('serves the extra set under its prefix', async () => {
    const config = join(root, 'serve-good.json');
    await writeFile(config, JSON.stringify({ modelSets: { 'set-b': 'models-b' } }));
    let health: HealthResponse | undefined;
    const { code } = await runServe(['--models', setA.dir, '--config', config, '--port', '0'], async (output) => {
      const port = /"port":(\d+)/.exec(output)?.[1];
      if (port === undefined) return false;
      health = (await (await fetch(`http://127.0.0.1:${port}/versions/set-b/healthz`)).json()) as HealthResponse;
      return true;
    });
    expect(health?.version).toBe('set-b');
    expect(code).toBe(0);
  });

  it('exits 1 on a set of another version', async () => {
    const config = join(root, 'serve-bad.json');
    await writeFile(config, JSON.stringify({ modelSets: { 'set-c': 'models-b' } }));
    const { code, output } = await runServe(['--models', setA.dir, '--config', config, '--port', '0', '--log-level', 'silent']);
    expect(code).toBe(1);
    expect(output).toContain('AISLE_MANIFEST_INVALID');
    expect(output).toContain(`The models directory ${setB.dir} is configured as model set "set-c" (modelSets), but its manifest.json has version "set-b".`);
  });
});
