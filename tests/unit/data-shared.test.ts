/**
 * Checks the adapters on the real datasets against the counts their publishers state. The
 * datasets are not part of the repository: set AISLE_DATA_DIR, or keep them in ../shared/data
 * next to the repository. Each suite is skipped, with a message, when its directory is absent.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/training/data/dataset.js';
import { loadDataset } from '../../src/training/data/index.js';
import { splitLeaveOneOut } from '../../src/training/data/split.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const DATA_DIR = process.env.AISLE_DATA_DIR ?? resolve(REPO_ROOT, '../shared/data');

/** Returns the dataset directory, or undefined after printing why its suite is skipped. */
function datasetDir(name: string): string | undefined {
  const dir = join(DATA_DIR, name);
  if (existsSync(dir)) return dir;
  console.warn(`Skipping ${name} checks: ${dir} not found (set AISLE_DATA_DIR to the folder of the datasets).`);
  return undefined;
}

function interactions(dataset: Dataset): number {
  return dataset.sequences.reduce((sum, sequence) => sum + sequence.items.length, 0);
}

const beautyDir = datasetDir('amazon-beauty');
describe.skipIf(beautyDir === undefined)('amazon-beauty files', () => {
  it('matches published counts', async () => {
    const dataset = await loadDataset(beautyDir as string);
    expect(dataset.name).toBe('amazon-beauty');
    expect(dataset.sequences).toHaveLength(22_363);
    expect(dataset.items).toHaveLength(12_101);
    expect(interactions(dataset)).toBe(198_502);
    expect(dataset.items[0]).toEqual({ id: '1', tags: ['a173', 'a1', 'a162', 'a171'] });
    expect([...dataset.sequences[0].items]).toEqual([0, 1, 2, 3, 4]);
    expect(splitLeaveOneOut(dataset).dropped).toBe(0);
  });
});

const scientificDir = datasetDir('amazon-scientific');
describe.skipIf(scientificDir === undefined)('amazon-scientific files', () => {
  it('matches published counts', async () => {
    const dataset = await loadDataset(scientificDir as string);
    expect(dataset.sequences).toHaveLength(8_442);
    expect(dataset.items).toHaveLength(4_385);
    expect(interactions(dataset)).toBe(59_427);
    expect(Math.max(...dataset.sequences.map((s) => s.items.length))).toBe(80);
    expect(dataset.items[0].id).toBe('B00TNNWMXI');
  });

  it('parses item text parts', async () => {
    const dataset = await loadDataset(scientificDir as string);
    const sanding = dataset.items.find((item) => item.id === 'B0000223SI');
    expect(sanding).toMatchObject({
      title: 'PORTER-CABLE 740000801 4 1/2-Inch x 10yd 80 Grit Adhesive-Backed Sanding Roll',
      category: 'Abrasive & Finishing Products Manual Sanding Products Sanding Rolls',
      brand: 'PORTER-CABLE',
    });
    const withBrand = dataset.items.filter((item) => item.brand).length;
    const withCategory = dataset.items.filter((item) => item.category).length;
    expect(withBrand / dataset.items.length).toBeGreaterThan(0.99);
    // 134 of 4,385 texts have an empty category segment.
    expect(withCategory).toBe(4_385 - 134);
  });
});

const movieLensDir = datasetDir('ml-100k');
describe.skipIf(movieLensDir === undefined)('ml-100k files', () => {
  it('matches published counts', async () => {
    const dataset = await loadDataset(movieLensDir as string);
    expect(dataset.sequences).toHaveLength(943);
    expect(dataset.items).toHaveLength(1_682);
    expect(interactions(dataset)).toBe(100_000);
    expect(dataset.items[0]).toEqual({ id: '1', title: 'Toy Story (1995)', category: 'Animation', tags: ['Animation', "Children's", 'Comedy'] });
    for (const sequence of dataset.sequences) {
      const times = sequence.timestamps as Float64Array;
      expect(times.every((time, i) => i === 0 || time >= times[i - 1])).toBe(true);
    }
  });
});

const digineticaDir = datasetDir('diginetica-sample');
describe.skipIf(digineticaDir === undefined)('diginetica-sample files', () => {
  it('keeps sessions of 3+ views', async () => {
    const dataset = await loadDataset(digineticaDir as string);
    // Counted independently with awk on the views file: 1,527 sessions with >= 3 views,
    // 10,406 views, 6,279 distinct items.
    expect(dataset.sequences).toHaveLength(1_527);
    expect(interactions(dataset)).toBe(10_406);
    expect(dataset.items).toHaveLength(6_279);
    expect(dataset.items.every((item) => item.category !== undefined)).toBe(true);
  });
});
