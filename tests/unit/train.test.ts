import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FEATURE_NAMES } from '../../src/core/features.js';
import { MODEL_FILES } from '../../src/core/model-dir.js';
import type { Manifest } from '../../src/core/types.js';
import { leaveOneOut } from '../../src/training/data/split.js';
import { evaluateModels } from '../../src/training/pipeline/evaluate-models.js';
import { checkSameCatalog, loadModels } from '../../src/training/pipeline/load-models.js';
import { loadTrainingData, train, type TrainResult } from '../../src/training/train.js';

let dir: string;
let result: TrainResult;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aisle-train-'));
  result = await train({ data: 'demo', out: dir, maxUsers: 250, epochs: 2, seed: 7 });
}, 120_000);

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

  it('rejects a model file whose hash changed', async () => {
    const path = join(dir, MODEL_FILES.ranker);
    const bytes = await readFile(path);
    bytes[bytes.length - 1] ^= 1;
    await writeFile(path, bytes);
    await expect(loadModels(dir)).rejects.toMatchObject({ code: 'AISLE_MODEL_CHECKSUM_MISMATCH' });
  });
});
