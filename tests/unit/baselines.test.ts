import { describe, expect, it } from 'vitest';
import { itemKnnScorer } from '../../src/training/baselines/item-knn.js';
import { popularityScorer } from '../../src/training/baselines/popularity.js';
import type { Dataset } from '../../src/training/data/dataset.js';
import { generateDemoStore } from '../../src/training/data/demo.js';
import { leaveOneOut } from '../../src/training/data/split.js';
import { evaluate } from '../../src/training/evaluate.js';

function dataset(sequences: number[][], nItems: number): Dataset {
  return {
    name: 'tiny',
    items: Array.from({ length: nItems }, (_, i) => ({ id: `i${i}` })),
    itemText: Array.from({ length: nItems }, () => ''),
    sequences: sequences.map((items, u) => ({ user: `u${u}`, items: Int32Array.from(items) })),
    hasTimestamps: false,
    orderNote: '',
  };
}

describe('popularityScorer', () => {
  it('counts training prefixes only', () => {
    // Item 3 is every user's test target and item 2 every valid target: neither may count.
    const users = leaveOneOut(dataset([[0, 1, 2, 3], [1, 2, 3], [0, 1, 0, 2, 3]], 4));
    const scores = popularityScorer(users, 4)(users[0].train, 'test');
    expect([...scores]).toEqual([3, 3, 0, 0]);
  });

  it('ignores the history', () => {
    const users = leaveOneOut(dataset([[0, 1, 2], [1, 0, 2]], 3));
    const scorer = popularityScorer(users, 3);
    expect(scorer(users[0].train, 'test')).toEqual(scorer(users[1].train, 'valid'));
  });
});

describe('itemKnnScorer', () => {
  it('scores followers of last item', () => {
    // In training prefixes 4 follows 1 twice and 5 follows 1 once.
    const users = leaveOneOut(dataset([[1, 4, 0, 0], [1, 4, 2, 3], [1, 5, 6, 7], [0, 1, 8, 9]], 10));
    const scores = itemKnnScorer(users, 10, { backward: 0 })({ user: 'x', items: Int32Array.from([0, 1]) }, 'test');
    expect(scores[4]).toBeGreaterThan(scores[5]);
    expect(scores[5]).toBeGreaterThan(scores[6]);
    expect(scores[4]).toBeCloseTo(1, 3);
    expect(scores[5]).toBeCloseTo(0.5, 3);
  });

  it('breaks ties by popularity', () => {
    const users = leaveOneOut(dataset([[2, 2, 2, 9, 9], [3, 9, 9], [1, 9, 9]], 10));
    const scores = itemKnnScorer(users, 10)({ user: 'x', items: Int32Array.from([7]) }, 'test');
    expect(scores[2]).toBeGreaterThan(scores[3]);
    expect(scores[3]).toBe(scores[1]);
    expect(scores[3]).toBeGreaterThan(scores[8]);
  });

  it('beats popularity on the demo store', async () => {
    const store = generateDemoStore({ items: 600, shoppers: 800, seed: 5 });
    const users = leaveOneOut(store);
    const n = store.items.length;
    const popular = await evaluate(users, n, popularityScorer(users, n), { split: 'test' });
    const knn = await evaluate(users, n, itemKnnScorer(users, n), { split: 'test' });
    expect(knn['NDCG@10']).toBeGreaterThan(2 * popular['NDCG@10']);
    expect(knn['HR@10']).toBeGreaterThan(popular['HR@10']);
  });
});
