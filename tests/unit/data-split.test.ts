import { describe, expect, it } from 'vitest';
import type { Dataset } from '../../src/training/data/dataset.js';
import { historyFor, leaveOneOut, splitLeaveOneOut, subsetDataset, trainSequences } from '../../src/training/data/split.js';

function dataset(sequences: number[][], nItems = 10): Dataset {
  return {
    name: 'tiny',
    items: Array.from({ length: nItems }, (_, i) => ({ id: `i${i}`, tags: [`t${i}`] })),
    itemText: Array.from({ length: nItems }, (_, i) => `text ${i}`),
    sequences: sequences.map((items, u) => ({
      user: `u${u}`,
      items: Int32Array.from(items),
      types: items.map((_, k) => (k === items.length - 2 ? 'purchase' : 'view')),
      timestamps: Float64Array.from(items, (_, k) => 1000 * (k + 1)),
    })),
    hasTimestamps: true,
    orderNote: '',
  };
}

describe('leaveOneOut', () => {
  it('splits last two items off', () => {
    const [user] = leaveOneOut(dataset([[4, 2, 7, 1]]));
    expect([...user.train.items]).toEqual([4, 2]);
    expect(user.valid).toBe(7);
    expect(user.test).toBe(1);
    expect(Array.from(user.train.timestamps ?? [])).toEqual([1000, 2000]);
    expect(user.train.types).toEqual(['view', 'view']);
  });

  it('drops users under 3 items', () => {
    const split = splitLeaveOneOut(dataset([[1, 2], [3], [1, 2, 3], []]));
    expect(split.users.map((user) => user.user)).toEqual(['u2']);
    expect(split.dropped).toBe(3);
  });

  it('test history keeps valid event', () => {
    const [user] = leaveOneOut(dataset([[4, 2, 7, 1]]));
    const history = historyFor(user, 'test');
    expect([...history.items]).toEqual([4, 2, 7]);
    expect(history.types).toEqual(['view', 'view', 'purchase']);
    expect(Array.from(history.timestamps ?? [])).toEqual([1000, 2000, 3000]);
    expect(historyFor(user, 'valid')).toBe(user.train);
  });

  it('trainSequences returns prefixes only', () => {
    const users = leaveOneOut(dataset([[4, 2, 7, 1], [5, 6, 8]]));
    expect(trainSequences(users).map((s) => [...s.items])).toEqual([[4, 2], [5]]);
  });
});

describe('subsetDataset', () => {
  const full = dataset([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 1, 3], [2, 4, 6]]);

  it('keeps the requested number of users', () => {
    const subset = subsetDataset(full, { users: 2, seed: 5 });
    expect(subset.sequences).toHaveLength(2);
    expect(subset.name).toBe('tiny-subset-2-seed-5');
  });

  it('re-indexes items to those used', () => {
    const subset = subsetDataset(full, { users: 2, seed: 5 });
    const used = new Set(subset.sequences.flatMap((s) => [...s.items]));
    expect(used.size).toBe(subset.items.length);
    expect([...used].every((item) => item >= 0 && item < subset.items.length)).toBe(true);
    // Every remapped item is the same public item as before.
    for (const sequence of subset.sequences) {
      const original = full.sequences.find((s) => s.user === sequence.user);
      expect([...sequence.items].map((i) => subset.items[i].id)).toEqual([...(original?.items ?? [])].map((i) => full.items[i].id));
      expect(Array.from(sequence.timestamps ?? [])).toEqual(Array.from(original?.timestamps ?? []));
    }
    expect(subset.itemText).toEqual(subset.items.map((item) => `text ${item.id.slice(1)}`));
  });

  it('keeps original item and user order', () => {
    const subset = subsetDataset(full, { users: 3, seed: 1 });
    const userOrder = subset.sequences.map((s) => Number(s.user.slice(1)));
    expect(userOrder).toEqual([...userOrder].sort((a, b) => a - b));
    const itemOrder = subset.items.map((item) => Number(item.id.slice(1)));
    expect(itemOrder).toEqual([...itemOrder].sort((a, b) => a - b));
  });

  it('is deterministic per seed', () => {
    const users = (seed: number): string[] => subsetDataset(full, { users: 2, seed }).sequences.map((s) => s.user);
    expect(users(3)).toEqual(users(3));
    const draws = new Set([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => users(seed).join(',')));
    expect(draws.size).toBeGreaterThan(1);
  });

  it('does not share item objects', () => {
    const subset = subsetDataset(full, { users: 5, seed: 0 });
    subset.items[0].tags?.push('changed');
    expect(full.items[0].tags).toEqual(['t0']);
  });

  it('rejects a non-positive size', () => {
    expect(() => subsetDataset(full, { users: 0, seed: 1 })).toThrow(expect.objectContaining({ code: 'AISLE_INVALID_ARGUMENT' }));
  });
});
