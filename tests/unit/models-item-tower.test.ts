import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/training/data/dataset.js';
import { createRandom } from '../../src/core/random.js';
import { buildItemContent, hashToken, textTokens } from '../../src/training/models/item-content.js';
import { allItemVectors, createItemTower } from '../../src/training/models/item-tower.js';
import { initTensorflow } from '../../src/training/models/tf.js';

beforeAll(async () => {
  await initTensorflow();
});

function catalog(): Dataset {
  return {
    name: 'tiny',
    items: [
      { id: 'a', category: 'Lipstick', brand: 'Acme', tags: ['red'] },
      { id: 'b', category: 'Lipstick', brand: 'Acme', tags: ['red'] },
      { id: 'c', category: 'Shampoo' },
    ],
    itemText: ['Matte red lipstick', 'Matte red lipstick', ''],
    sequences: [],
    hasTimestamps: false,
    orderNote: 'synthetic',
  };
}

describe('item content', () => {
  it('splits text into lower-case words', () => {
    expect(textTokens('Matte RED lip-stick, 2 x 4g')).toEqual(['matte', 'red', 'lip', 'stick', '4g']);
  });

  it('hashes tokens into the bucket range', () => {
    for (const token of ['red', 'cat:Lipstick', 'brand:Acme', '']) {
      const bucket = hashToken(token, 97);
      expect(bucket).toBeGreaterThanOrEqual(0);
      expect(bucket).toBeLessThan(97);
    }
  });

  it('weights each item token by one over the count', () => {
    const content = buildItemContent(catalog(), 1024, 8);
    const weightsOf = (item: number) => Array.from(content.weights.subarray(item * 8, (item + 1) * 8));
    // Item a: tag, category, brand and three words; item c: its category only.
    expect(weightsOf(0).filter((w) => w > 0)).toHaveLength(6);
    expect(weightsOf(0).reduce((sum, w) => sum + w, 0)).toBeCloseTo(1, 6);
    expect(weightsOf(2).filter((w) => w > 0)).toEqual([1]);
  });
});

describe('item tower', () => {
  it('gives cold items unit vectors from content', () => {
    const dataset = catalog();
    const content = buildItemContent(dataset, 1024, 8);
    const tower = createItemTower(3, content, 16, createRandom(1));
    const vectors = allItemVectors(tower, content, 3);
    const row = (item: number) => Array.from(vectors.subarray(item * 16, (item + 1) * 16));
    for (let item = 0; item < 3; item++) expect(Math.hypot(...row(item))).toBeCloseTo(1, 5);
    // Id embeddings start at zero, so items with the same content start with the same vector.
    expect(row(0)).toEqual(row(1));
    expect(row(0)).not.toEqual(row(2));
  });
});
