import { createHash } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../../src/core/features.js';
import { MODEL_FILES } from '../../src/core/model-dir.js';
import type { CatalogFileEntry } from '../../src/core/model-dir.js';
import type { ItemsResponse, Manifest, SearchResponse } from '../../src/core/types.js';
import { decodeVector } from '../../src/core/vector.js';
import { createServer } from '../../src/server/app.js';
import { DEFAULT_FUSION_WEIGHTS } from '../../src/server/fusion.js';
import { leaveOneOut } from '../../src/training/data/split.js';
import { evaluateModels } from '../../src/training/pipeline/evaluate-models.js';
import { checkSameCatalog, loadModels } from '../../src/training/pipeline/load-models.js';
import { addQueryEncoder, loadTrainingData, train, type TrainResult } from '../../src/training/train.js';
import { evaluateDataset } from '../../src/training/eval-run.js';
import { writeReport } from '../../src/training/report/report.js';
import { MAX_PREDICTED_TAGS, PREDICTED_TAG_MIN_CONFIDENCE } from '../../src/training/tags/predicted-tags.js';
import { LEARNED_WEIGHT_GRID } from '../../src/training/search/tune-personal.js';

let dir: string;
let result: TrainResult;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aisle-train-'));
  result = await train({ data: 'demo', out: dir, maxUsers: 250, epochs: 2, seed: 7, queryEncoderSteps: 30, searchRankerItems: 150 });
}, 300_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function sha256Of(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(join(dir, file))).digest('hex');
}

describe('aisle train on a demo subset', () => {
  it('writes every file of the models directory', async () => {
    for (const file of Object.values(MODEL_FILES)) {
      const info = await stat(join(dir, file));
      expect(info.size, file).toBeGreaterThan(0);
    }
  });

  it('writes a manifest with matching hashes and sizes', async () => {
    const manifest = JSON.parse(await readFile(join(dir, MODEL_FILES.manifest), 'utf8')) as Manifest;
    expect(manifest).toEqual(result.manifest);
    expect(manifest.format).toBe(1);
    expect(manifest.dataset).toBe('demo-subset-250-seed-7');
    expect(manifest.dim).toBe(32);
    expect(manifest.seqLen).toBe(20);
    expect(manifest.usesAges).toBe(true);
    expect(manifest.features).toEqual([...FEATURE_NAMES]);
    expect(manifest.version).toMatch(/^[0-9a-f]{16}$/);
    expect(manifest.catalog.indexType).toBe('HNSW32,Flat');

    const entries = [manifest.models.userTower, manifest.models.ranker, manifest.models.rankerFp32!];
    expect(entries.map((entry) => entry.file)).toEqual([MODEL_FILES.userTower, MODEL_FILES.ranker, MODEL_FILES.rankerFp32]);
    for (const entry of entries) {
      expect(await sha256Of(entry.file), entry.file).toBe(entry.sha256);
      expect((await stat(join(dir, entry.file))).size, entry.file).toBe(entry.bytes);
    }
  });

  it('writes one item vector and one items.json entry per catalog item', async () => {
    const items = JSON.parse(await readFile(join(dir, MODEL_FILES.items), 'utf8')) as Array<{ id: string; stats: { popularity: number; trending: number } }>;
    const vectors = await readFile(join(dir, MODEL_FILES.vectors));
    expect(items.length).toBe(result.manifest.catalog.items);
    expect(vectors.byteLength).toBe(items.length * result.manifest.dim * 4);
    expect(items.every((item) => item.stats.trending === 0 && item.stats.popularity >= 0 && item.stats.popularity <= 1)).toBe(true);

    const first = new Float32Array(vectors.buffer.slice(vectors.byteOffset, vectors.byteOffset + result.manifest.dim * 4));
    expect(Math.hypot(...first)).toBeCloseTo(1, 5);
  });

  it('reports the five model rows and beats popularity', async () => {
    const report = JSON.parse(await readFile(join(dir, MODEL_FILES.eval), 'utf8')) as TrainResult['results'];
    const names = report.rows.map((row) => row.model);
    for (const name of ['popularity', 'item-knn', 'teacher', 'student', 'student-int8']) expect(names).toContain(name);
    const ndcg = (name: string) => report.rows.find((row) => row.model === name)!['NDCG@10'];
    expect(ndcg('student-int8')).toBeGreaterThan(ndcg('popularity'));
    expect(report.rows).toEqual(result.results.rows);
  });

  it('re-evaluates the saved models identically', async () => {
    const dataset = await loadTrainingData('demo', 250, 7);
    const models = await loadModels(dir);
    try {
      checkSameCatalog(dataset, models.catalog);
      const { rows } = await evaluateModels(leaveOneOut(dataset), { ...models, usesAges: models.manifest.usesAges });
      expect(rows).toEqual(result.results.rows);
    } finally {
      await models.dispose();
    }
  });

  it('reports sampled rows, curves, distillation', () => {
    const { results } = result;
    expect(results.sampled?.rows.map((row) => row.model)).toEqual(results.rows.map((row) => row.model));
    expect(results.ndcgAtK?.k).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    for (const row of results.rows) {
      const curve = results.ndcgAtK!.models[row.model];
      expect(curve[9], row.model).toBeCloseTo(row['NDCG@10'], 12);
      expect(curve[19], row.model).toBeCloseTo(row['NDCG@20'], 12);
      // Sampled ranking ranks against 99 items instead of all, so it can only be easier.
      expect(results.sampled!.rows.find((s) => s.model === row.model)!['HR@10']).toBeGreaterThanOrEqual(row['HR@10']);
    }
    const ndcg = (name: string) => results.rows.find((row) => row.model === name)!['NDCG@10'];
    expect(results.distillation?.teacher).toBeCloseTo(ndcg('teacher'), 12);
    expect(results.distillation?.served).toBeCloseTo(ndcg('student-int8'), 12);
    expect(results.distillation?.relativeLoss).toBeCloseTo(1 - ndcg('student-int8') / ndcg('teacher'), 12);
    expect(results.distillation?.standardError).toBeGreaterThan(0);
    expect(results.cold?.maxInteractions).toBe(4);
    expect(results.cold?.rows.map((row) => row.model)).toEqual(results.rows.map((row) => row.model));
  });

  it('reuses models and writes report', async () => {
    const reportDir = join(dir, 'report');
    const report = await evaluateDataset({ data: 'demo', models: dir, modelsRoot: dir, retrain: false, maxUsers: 250, seed: 7, command: 'aisle eval --data demo', log: () => {} });
    expect(report.results.rows).toEqual(result.results.rows);
    expect(report.trainSeconds).toBeCloseTo(result.seconds.total, 6);
    const files = await writeReport(reportDir, [report]);
    const markdown = await readFile(files.markdown, 'utf8');
    const served = result.results.rows.find((row) => row.model === 'student-int8')!;
    expect(markdown).toContain(`| **student-int8 (served)** | **${served['HR@10'].toFixed(4)}** | **${served['NDCG@10'].toFixed(4)}**`);
    expect(markdown).toContain('![NDCG@k on demo-subset-250-seed-7](ndcg-at-k-demo-subset-250-seed-7.svg)');
    const svg = await readFile(files.charts[0], 'utf8');
    expect(svg.match(/<polyline /g)).toHaveLength(result.results.rows.length);
    expect(await readFile(files.html, 'utf8')).toContain('<svg');
  });

  it('serves text queries with the encoder', async () => {
    const manifest = JSON.parse(await readFile(join(dir, MODEL_FILES.manifest), 'utf8')) as Manifest;
    expect(manifest.models.queryEncoder?.file).toBe(MODEL_FILES.queryEncoder);
    const app = await createServer({ modelsDir: dir, textSearch: 'inline' });
    try {
      const search = async (body: object) => (await app.inject({ method: 'POST', url: '/v1/search', payload: body })).json() as SearchResponse;
      const items = JSON.parse(await readFile(join(dir, MODEL_FILES.items), 'utf8')) as Array<{ title?: string }>;
      const query = (items[0].title ?? '').split(' ').slice(0, 2).join(' ');

      const rrf = await search({ query, k: 5, fusion: 'rrf' });
      expect(rrf.debug).toMatchObject({ method: 'rrf', vector: 'companion', space: 'text' });
      expect(rrf.debug.vectorHits).toBeGreaterThan(0);
      expect(rrf.items).toHaveLength(5);
      const weighted = await search({ query, k: 5, fusion: 'weighted', weights: { bm25: 0.2, vector: 0.8 } });
      expect(weighted.debug).toEqual({ method: 'weighted', vector: 'companion', space: 'text', weights: { bm25: 0.2, vector: 0.8 }, bm25Hits: rrf.debug.bm25Hits, vectorHits: rrf.debug.vectorHits });
      const scores = weighted.items.map((item) => item.searchScore);
      expect([...scores].sort((a, b) => b - a)).toEqual(scores);
      // With a search ranker in the models, the default fusion is the learned one.
      expect(manifest.models.searchRanker?.file).toBe(MODEL_FILES.searchRanker);
      const learned = await search({ query, k: 5 });
      expect(learned.debug).toEqual({ method: 'learned', vector: 'companion', space: 'text', bm25Hits: rrf.debug.bm25Hits, vectorHits: rrf.debug.vectorHits });
      expect(learned.items[0].searchScore).toBe(1);
      // The personal weight `aisle train` chose for the search ranker travels with its results, and only with them.
      const rankerFile = JSON.parse(await readFile(join(dir, MODEL_FILES.searchRanker), 'utf8')) as { personalWeight?: number };
      expect(LEARNED_WEIGHT_GRID).toContain(rankerFile.personalWeight);
      expect(learned.personalWeight).toBe(rankerFile.personalWeight);
      expect(rrf.personalWeight).toBeUndefined();
      const learnedScores = learned.items.map((item) => item.searchScore);
      expect([...learnedScores].sort((a, b) => b - a)).toEqual(learnedScores);
      expect(learnedScores.every((score) => score > 0 && score <= 1)).toBe(true);
      expect((await search({ query, k: 5, fusion: 'learned' })).items).toEqual(learned.items);
      // Symbols alone have no words for BM25 or the encoder.
      expect(await search({ query: '!!! ---', k: 5 })).toEqual({ items: [], facets: [], debug: { method: 'bm25', vector: 'none', space: 'text', bm25Hits: 0, vectorHits: 0 } });
      const bad = await app.inject({ method: 'POST', url: '/v1/search', payload: { query, k: 5, fusion: 'max' } });
      expect(bad.statusCode).toBe(400);
    } finally {
      await app.close();
    }
  });

  it('runs the weighted fusion, with a note, for models without a search ranker', async () => {
    const older = await mkdtemp(join(tmpdir(), 'aisle-older-'));
    await cp(dir, older, { recursive: true, filter: (source) => !source.startsWith(join(dir, 'report')) });
    const manifest = JSON.parse(await readFile(join(older, MODEL_FILES.manifest), 'utf8')) as Manifest;
    delete manifest.models.searchRanker;
    await writeFile(join(older, MODEL_FILES.manifest), JSON.stringify(manifest));
    const app = await createServer({ modelsDir: older, textSearch: 'inline' });
    try {
      const search = async (body: object) => (await app.inject({ method: 'POST', url: '/v1/search', payload: body })).json() as SearchResponse;
      expect((await search({ query: 'mug', k: 5 })).debug).toMatchObject({ method: 'weighted', weights: DEFAULT_FUSION_WEIGHTS });
      const requested = await search({ query: 'mug', k: 5, fusion: 'learned' });
      expect(requested.debug).toMatchObject({ method: 'weighted', weights: DEFAULT_FUSION_WEIGHTS });
      expect(requested.debug.note).toBe(`fusion 'learned' needs a search ranker, which these models (version ${manifest.version}) lack, so 'weighted' ran; retrain with \`aisle train --only search-ranker\`.`);
    } finally {
      await app.close();
      await rm(older, { recursive: true, force: true });
    }
  });

  it('adds a searchable new item', async () => {
    const token = 'test-admin-token-0123456789';
    const app = await createServer({ modelsDir: dir, textSearch: 'worker', adminToken: token });
    const item = { id: 'new-lamp-1', title: 'Brass Zeppelin Reading Lamp', category: 'Lighting', brand: 'Lumen', price: 42, tags: ['lamp', 'brass'] };
    const items = JSON.parse(await readFile(join(dir, MODEL_FILES.items), 'utf8')) as Array<{ tags?: string[] }>;
    const add = (body: object, authorization?: string) =>
      app.inject({ method: 'POST', url: '/v1/items', payload: body, headers: authorization ? { authorization } : {} });
    try {
      // Refused without the token, with a wrong one, and for bad bodies.
      expect((await add({ items: [item] })).json()).toMatchObject({ error: { code: 'AISLE_UNAUTHORIZED' } });
      expect((await add({ items: [item] }, 'Bearer nope')).statusCode).toBe(401);
      expect((await add({ items: [{ id: 'x', price: 3 }] }, `Bearer ${token}`)).json()).toMatchObject({ error: { code: 'AISLE_INVALID_REQUEST', details: { ids: ['x'] } } });
      expect((await add({ items: [{ id: 'y', title: 'a', color: 'red' }] }, `Bearer ${token}`)).statusCode).toBe(400);
      const searchNew = async () => (await app.inject({ method: 'POST', url: '/v1/search', payload: { query: 'brass zeppelin lamp', k: 5 } })).json() as SearchResponse;
      expect((await searchNew()).items.map((found) => found.id)).not.toContain(item.id);

      const added = await add({ items: [item] }, `Bearer ${token}`);
      expect(added.statusCode).toBe(200);
      const wire = (added.json() as { items: Array<{ id: string; vector: string; stats: object }> }).items;
      expect(wire.map((entry) => entry.id)).toEqual([item.id]);
      expect(wire[0].stats).toEqual({ popularity: 0, trending: 0 });
      // Tags voted by the catalog items nearest in text, each one a tag of the catalog.
      const catalogTags = new Set(items.flatMap((entry) => entry.tags ?? []));
      const predicted = (wire[0] as { predictedTags?: Array<[string, number]> }).predictedTags ?? [];
      expect(predicted.length).toBeGreaterThan(0);
      for (const [tag, confidence] of predicted) {
        expect(catalogTags.has(tag), tag).toBe(true);
        expect(confidence).toBeGreaterThanOrEqual(0.4);
      }
      const vector = decodeVector(wire[0].vector) as Float32Array;
      expect(vector).toHaveLength(32);
      expect(Math.hypot(...vector)).toBeCloseTo(1, 4);

      // Found first by its title words, and with a typo by the text vectors.
      const found = await searchNew();
      expect(found.items[0].id).toBe(item.id);
      const typo = (await app.inject({ method: 'POST', url: '/v1/search', payload: { query: 'zepelin', k: 5, fusion: 'weighted' } })).json() as SearchResponse;
      expect(typo.items.map((entry) => entry.id)).toContain(item.id);
      // Served by id, and retrieved by ANN for a user vector equal to its own vector.
      const byId = (await app.inject({ method: 'GET', url: `/v1/items?ids=${item.id}` })).json() as { items: Array<{ id: string; title: string }> };
      expect(byId.items.map((entry) => entry.title)).toEqual([item.title]);
      const candidates = (await app.inject({ method: 'POST', url: '/v1/candidates', payload: { vector: wire[0].vector, k: 10 } })).json() as { items: Array<{ id: string }> };
      expect(candidates.items.map((entry) => entry.id)).toContain(item.id);
      // Adding it again is a conflict that names the id.
      expect((await add({ items: [item] }, `Bearer ${token}`)).json()).toMatchObject({ error: { code: 'AISLE_CONFLICT', details: { ids: [item.id] } } });
    } finally {
      await app.close();
    }
  });

  it('serves predicted tags in /v1/items', async () => {
    const items = JSON.parse(await readFile(join(dir, MODEL_FILES.items), 'utf8')) as CatalogFileEntry[];
    const withTags = items.filter((item) => item.predictedTags !== undefined);
    expect(withTags.length).toBeGreaterThan(items.length / 2);
    for (const item of withTags) {
      const tags = item.predictedTags ?? [];
      expect(tags.length).toBeGreaterThan(0);
      expect(tags.length).toBeLessThanOrEqual(MAX_PREDICTED_TAGS);
      const confidences = tags.map(([, confidence]) => confidence);
      expect([...confidences].sort((a, b) => b - a)).toEqual(confidences);
      for (const confidence of confidences) {
        expect(confidence).toBeGreaterThanOrEqual(PREDICTED_TAG_MIN_CONFIDENCE);
        expect(confidence).toBeLessThanOrEqual(1);
      }
    }
    // Demo items share their category, brand and noun tags with many others, so neighbours
    // by title predict most of an item's own tags.
    const agreeing = withTags.filter((item) => (item.predictedTags ?? []).some(([tag]) => item.tags?.includes(tag)));
    expect(agreeing.length / withTags.length).toBeGreaterThan(0.9);

    const app = await createServer({ modelsDir: dir, textSearch: 'inline' });
    try {
      const sample = withTags.slice(0, 3);
      const response = await app.inject({ method: 'GET', url: `/v1/items?ids=${sample.map((item) => item.id).join(',')}` });
      expect(response.statusCode).toBe(200);
      const body = response.json() as ItemsResponse;
      expect(body.items.map((item) => item.id)).toEqual(sample.map((item) => item.id));
      body.items.forEach((item, i) => expect(item.predictedTags).toEqual(sample[i].predictedTags));
    } finally {
      await app.close();
    }
  });

  it('retrains the search ranker of a user subset', async () => {
    const copy = await mkdtemp(join(tmpdir(), 'aisle-train-only-'));
    try {
      await cp(dir, copy, { recursive: true });
      const before = JSON.parse(await readFile(join(copy, MODEL_FILES.manifest), 'utf8')) as Manifest;
      const manifest = await addQueryEncoder({ only: 'search-ranker', data: 'demo', out: copy, maxUsers: 250, seed: 7, searchRankerItems: 150 });
      // The same data, items and seed as `aisle train` reproduce its search ranker and personal weight.
      expect(manifest.models.queryEncoder).toEqual(before.models.queryEncoder);
      expect(manifest.models.searchRanker).toEqual(before.models.searchRanker);
      expect(manifest.version).toBe(before.version);
      const ranker = JSON.parse(await readFile(join(copy, MODEL_FILES.searchRanker), 'utf8')) as { personalWeight?: number };
      expect(LEARNED_WEIGHT_GRID).toContain(ranker.personalWeight);
      // Without the subset the catalog differs from the directory's, which is refused before any training.
      await expect(addQueryEncoder({ only: 'search-ranker', data: 'demo', out: copy, seed: 7 })).rejects.toMatchObject({ code: 'AISLE_INVALID_ARGUMENT' });
    } finally {
      await rm(copy, { recursive: true, force: true });
    }
  }, 300_000);

  it('rejects a model file whose hash changed', async () => {
    const path = join(dir, MODEL_FILES.ranker);
    const bytes = await readFile(path);
    bytes[bytes.length - 1] ^= 1;
    await writeFile(path, bytes);
    await expect(loadModels(dir)).rejects.toMatchObject({ code: 'AISLE_MODEL_CHECKSUM_MISMATCH' });
  });
});
