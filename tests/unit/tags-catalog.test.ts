import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEvalArgs } from '../../src/cli/eval.js';
import { formatTagsTable } from '../../src/cli/eval-tags.js';
import type { CatalogFileEntry } from '../../src/core/model-dir.js';
import type { ItemRecord, Manifest } from '../../src/core/types.js';
import { loadCatalog } from '../../src/server/catalog.js';
import { renderTagsMarkdown, tagsChart } from '../../src/training/report/tags-report.js';
import type { TagsReport } from '../../src/training/tags/run.js';
import { toItemMeta } from '../../src/worker/scoring.js';

const DIM = 4;

function manifestFor(items: number): Manifest {
  const entry = { file: 'x.onnx', sha256: '0'.repeat(64), bytes: 1 };
  return {
    format: 1, version: 'v', dataset: 'tiny', createdAt: '2026-12-05T00:00:00Z', dim: DIM, seqLen: 4, usesAges: false, features: [],
    models: { userTower: entry, ranker: entry },
    catalog: { items, itemsFile: 'items.json', vectorsFile: 'item_vectors.f32', indexFile: 'items.faiss', indexType: 'Flat' },
  };
}

describe('predictedTags in the companion catalog', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aisle-tags-catalog-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function load(items: unknown[]) {
    await writeFile(join(dir, 'items.json'), JSON.stringify(items));
    await writeFile(join(dir, 'item_vectors.f32'), Buffer.from(new Float32Array(items.length * DIM).fill(0.5).buffer));
    return loadCatalog(dir, manifestFor(items.length));
  }

  it('copies predictedTags into the wire item', async () => {
    const entry: CatalogFileEntry = { id: 'p1', tags: ['Mugs'], predictedTags: [['Mugs', 0.9], ['Acme', 0.45]], stats: { popularity: 0.1, trending: 0 } };
    const catalog = await load([entry]);
    const wire = catalog.toWire(0);
    expect(wire.predictedTags).toEqual([['Mugs', 0.9], ['Acme', 0.45]]);
    wire.predictedTags?.push(['x', 1]);
    expect(catalog.toWire(0).predictedTags).toHaveLength(2);
  });

  it('rejects malformed predictedTags', async () => {
    const stats = { popularity: 0.1, trending: 0 };
    for (const predictedTags of ['Mugs', [['Mugs']], [['Mugs', 1.5]], [['Mugs', -0.1]], [[3, 0.5]], [['Mugs', null]]]) {
      const failure = load([{ id: 'p1', predictedTags, stats }]);
      await expect(failure).rejects.toMatchObject({ code: 'AISLE_MODEL_LOAD_FAILED' });
      await expect(failure).rejects.toThrow('entry 0 ("p1") has `predictedTags` that are not [tag, confidence] pairs with a confidence in [0, 1]');
    }
  });

  it('keeps predictedTags in worker results', () => {
    const record: ItemRecord = { id: 'p1', title: 'Mug', predictedTags: [['Mugs', 0.9]], vector: new Float32Array(DIM), stats: { popularity: 0, trending: 0 } };
    const meta = toItemMeta(record);
    expect(meta).toEqual({ id: 'p1', title: 'Mug', predictedTags: [['Mugs', 0.9]] });
    meta.predictedTags?.[0].splice(1, 1, 0);
    expect(record.predictedTags).toEqual([['Mugs', 0.9]]);
  });
});

describe('aisle eval --task tags', () => {
  it('parses the tags task', () => {
    const args = parseEvalArgs(['--task', 'tags', '--data', 'd', '--json', '--report', 'r']);
    expect(args).toMatchObject({ task: 'tags', target: { data: 'd' }, json: true, report: 'r' });
  });

  it('rejects --all and --models', () => {
    expect(() => parseEvalArgs(['--task', 'tags', '--all'])).toThrow('--task tags runs on one dataset with tags; give --data instead of --all.');
    expect(() => parseEvalArgs(['--task', 'tags', '--data', 'd', '--models', 'm'])).toThrow('--task tags trains its own towers without the hidden attributes and reads no --models; use --models-root.');
    expect(() => parseEvalArgs(['--task', 'labels', '--data', 'd'])).toThrow(`--task must be 'recommend', 'search' or 'tags', got "labels".`);
  });

  const report: TagsReport = {
    dataset: 'amazon-scientific',
    rows: [
      { method: 'most-frequent', items: 864, 'P@3': 0.1373, 'R@3': 0.0802, seconds: 0.5 },
      { method: 'knn-title', items: 864, 'P@3': 0.7704, 'R@3': 0.5006, seconds: 7 },
    ],
    hidden: 864,
    vocabulary: 781,
    inputs: 'the title and an item vector',
    towerEpochs: 3,
    bestEpoch: 3,
    command: 'aisle eval --task tags --data d',
    date: '2026-12-05T02:00:00Z',
  };

  it('formats the table and the report', () => {
    expect(formatTagsTable(report.rows).split('\n')).toEqual([
      'method          items     P@3     R@3',
      'most-frequent     864  0.1373  0.0802',
      'knn-title         864  0.7704  0.5006',
    ]);
    const markdown = renderTagsMarkdown(report, 'tags-amazon-scientific.svg');
    expect(markdown).toContain('| knn-title | 864 | 0.7704 | 0.5006 | 7.0 |');
    expect(markdown).toContain('weights of epoch 3 kept');
    const svg = tagsChart(report);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<rect [^>]*fill="#/g)?.length).toBeGreaterThanOrEqual(4);
  });
});
