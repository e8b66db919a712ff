import { beforeAll, describe, expect, it } from 'vitest';
import { initTensorflow } from '../../src/training/models/tf.js';
import type { Dataset } from '../../src/training/data/dataset.js';
import { hideAttributes, isTagHeldOut, TAG_HOLDOUT_MODULUS, tagHeldOutItems, tagModelText } from '../../src/training/tags/holdout.js';
import { knnTagScores, titleNeighbours, vectorNeighbours } from '../../src/training/tags/knn.js';
import { tagPrecisionRecall, tagVocabulary, topIndices } from '../../src/training/tags/metrics.js';
import { predictTagScores, trainTagModel } from '../../src/training/tags/tag-model.js';

describe('tagPrecisionRecall', () => {
  it('matches hand-computed values', () => {
    const predicted = [
      ['a', 'b', 'c'], // 2 hits of 3 true tags: P 2/3, R 2/3
      ['x', 'y', 'z'], // 0 hits: P 0, R 0
      ['d', 'e', 'f'], // 1 hit of 1 true tag: P 1/3, R 1
    ];
    const truth = [['a', 'c', 'q'], ['a'], ['f']];
    const metrics = tagPrecisionRecall(predicted, truth, 3);
    expect(metrics.items).toBe(3);
    expect(metrics.precision).toBeCloseTo((2 / 3 + 0 + 1 / 3) / 3, 12);
    expect(metrics.recall).toBeCloseTo((2 / 3 + 0 + 1) / 3, 12);
  });

  it('divides precision by k when fewer are predicted', () => {
    const metrics = tagPrecisionRecall([['a']], [['a', 'b']], 3);
    expect(metrics.precision).toBeCloseTo(1 / 3, 12);
    expect(metrics.recall).toBeCloseTo(1 / 2, 12);
  });

  it('reads only the top k', () => {
    const metrics = tagPrecisionRecall([['x', 'y', 'z', 'a']], [['a']], 3);
    expect(metrics.precision).toBe(0);
    expect(metrics.recall).toBe(0);
  });

  it('skips items without true tags', () => {
    const metrics = tagPrecisionRecall([['a', 'b', 'c'], ['a', 'b', 'c']], [[], ['b']], 3);
    expect(metrics.items).toBe(1);
    expect(metrics.precision).toBeCloseTo(1 / 3, 12);
    expect(metrics.recall).toBe(1);
    expect(tagPrecisionRecall([['a']], [[]], 3)).toEqual({ precision: 0, recall: 0, items: 0 });
  });

  it('counts a repeated prediction once', () => {
    expect(tagPrecisionRecall([['a', 'a', 'a']], [['a']], 3).precision).toBeCloseTo(1 / 3, 12);
  });

  it('rejects mismatched lists and a bad k', () => {
    expect(() => tagPrecisionRecall([['a']], [], 3)).toThrow(/1 predictions for 0 items/);
    expect(() => tagPrecisionRecall([['a']], [['a']], 0)).toThrow(/k must be a positive integer, got 0/);
  });
});

describe('tagVocabulary and topIndices', () => {
  it('keeps tags of at least minItems items', () => {
    const tags = [['a', 'b'], ['a', 'a'], ['b', 'c'], ['a', 'c'], ['c']];
    // Item 4 is not among the counted items, so 'c' has 2 of them.
    expect(tagVocabulary(tags, [0, 1, 2, 3], 2)).toEqual(['a', 'b', 'c']);
    expect(tagVocabulary(tags, [0, 1, 2, 3], 3)).toEqual(['a']);
    expect(tagVocabulary([undefined, ['z']], [0, 1], 1)).toEqual(['z']);
  });

  it('orders best first, ties by index', () => {
    expect(topIndices([0.2, 0.9, 0.2, 0.5], 3)).toEqual([1, 3, 0]);
  });
});

function dataset(items: Dataset['items'], itemText: string[]): Dataset {
  return { name: 'tiny', items, itemText, sequences: [], hasTimestamps: false, orderNote: '' };
}

describe('tags hold-out split', () => {
  const ids = Array.from({ length: 20_000 }, (_, i) => `B${String(i).padStart(9, '0')}`);

  it('hides about one item in five', () => {
    const hidden = tagHeldOutItems(ids);
    expect(TAG_HOLDOUT_MODULUS).toBe(5);
    expect(hidden.size / ids.length).toBeGreaterThan(0.19);
    expect(hidden.size / ids.length).toBeLessThan(0.21);
  });

  it('depends only on the item id', () => {
    const hidden = tagHeldOutItems(ids);
    const reversed = tagHeldOutItems([...ids].reverse());
    expect([...reversed].map((index) => ids.length - 1 - index).sort((a, b) => a - b)).toEqual([...hidden].sort((a, b) => a - b));
    for (const index of [...hidden].slice(0, 50)) expect(isTagHeldOut(ids[index])).toBe(true);
    // Golden values of the FNV-1a hash, so a change of the split shows up here.
    const sample = ['B0000223SI', 'B0000223SK', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'];
    expect(sample.filter(isTagHeldOut)).toEqual(['3', '9']);
  });

  it('removes attributes of hidden items only', () => {
    const items = [
      { id: 'p1', title: 'Blue mug', category: 'Kitchen Mugs', brand: 'Acme', tags: ['Kitchen', 'Mugs', 'Acme'], price: 3 },
      { id: 'p2', title: 'Red pan', category: 'Kitchen Pans', brand: 'Lumen', tags: ['Kitchen', 'Pans', 'Lumen'] },
      { id: 'p3', tags: ['a17', 'a4'] },
    ];
    const text = ['Blue mug. Kitchen Mugs. Acme.', 'Red pan. Kitchen Pans. Lumen.', 'a17 a4'];
    const original = dataset(items, text);
    const masked = hideAttributes(original, new Set([0, 2]));
    expect(masked.items[0]).toEqual({ id: 'p1', title: 'Blue mug', price: 3 });
    expect(masked.itemText[0]).toBe('Blue mug');
    expect(masked.items[1]).toBe(items[1]);
    expect(masked.itemText[1]).toBe(text[1]);
    expect(masked.items[2]).toEqual({ id: 'p3' });
    expect(masked.itemText[2]).toBe('');
    expect(original.items[0].tags).toEqual(['Kitchen', 'Mugs', 'Acme']);
    expect(tagModelText(items[0])).toBe('Blue mug');
  });
});

describe('knnTagScores', () => {
  beforeAll(() => initTensorflow());

  it('votes with similarity weights', () => {
    // Query item 0; sources 1, 2 and 3 with inner products 0.8, 0.6, 0 (the last does not vote).
    const vectors = Float32Array.from([1, 0, 0.8, 0.6, 0.6, 0.8, 0, 1]);
    const tags = [[], ['a', 'b'], ['a'], ['c']];
    const scores = knnTagScores([0], vectorNeighbours(vectors, 2, [1, 2, 3], [0]), tags, ['a', 'b', 'c'], 20);
    expect(scores[0]).toBeCloseTo(1, 6);
    expect(scores[1]).toBeCloseTo(0.8 / 1.4, 6);
    expect(scores[2]).toBe(0);
  });

  it('keeps only k neighbours and never the item itself', () => {
    const vectors = Float32Array.from([1, 0, 0.8, 0.6, 0.6, 0.8]);
    const tags = [['self'], ['a'], ['b']];
    const scores = knnTagScores([0], vectorNeighbours(vectors, 2, [0, 1, 2], [0]), tags, ['self', 'a', 'b'], 1);
    expect(Array.from(scores)).toEqual([0, 1, 0]);
  });

  it('finds neighbours by shared title pieces', () => {
    const titles = ['gorilla glue gel', 'gorilla glue original', 'sanding roll grit', 'glue stick'];
    const tags = [[], ['Adhesives', 'Gorilla'], ['Abrasives'], ['Adhesives']];
    const find = titleNeighbours(titles, [1, 2, 3]);
    expect(find(0, 3).map(([index]) => index)).toEqual([1, 3]);
    const scores = knnTagScores([0], find, tags, ['Adhesives', 'Gorilla', 'Abrasives']);
    expect(scores[0]).toBeCloseTo(1, 6);
    expect(scores[1]).toBeGreaterThan(0.5);
    expect(scores[2]).toBe(0);
  });
});

describe('trainTagModel', () => {
  beforeAll(() => initTensorflow());

  it('learns tags from title words and vectors', () => {
    // Tag 'glue' follows the word glue in the title, tag 'fast' follows vector dimension 0.
    const titles: string[] = [];
    const tags: string[][] = [];
    const vectors = new Float32Array(200 * 2);
    for (let i = 0; i < 200; i++) {
      const glue = i % 2 === 0;
      const fast = i % 3 === 0;
      titles.push(`${glue ? 'glue' : 'tape'} item${i}`);
      vectors.set(fast ? [1, 0] : [0, 1], i * 2);
      tags.push([glue ? 'glue' : 'tape', ...(fast ? ['fast'] : [])]);
    }
    const train = Array.from({ length: 160 }, (_, i) => i);
    const test = Array.from({ length: 40 }, (_, i) => 160 + i);
    const vocabulary = ['glue', 'tape', 'fast'];
    const inputs = { titles, vectors, dim: 2 };
    const model = trainTagModel(inputs, tags, train, vocabulary, { hidden: 16, epochs: 30, batchSize: 32, learningRate: 0.02, dropout: 0, patience: 30, seed: 3 });
    try {
      const scores = predictTagScores(model, inputs, test);
      test.forEach((item, row) => {
        const [glue, tape, fast] = scores.subarray(row * 3, row * 3 + 3);
        expect(glue > tape).toBe(item % 2 === 0);
        expect(fast > 0.5).toBe(item % 3 === 0);
      });
    } finally {
      model.dispose();
    }
  });
});
