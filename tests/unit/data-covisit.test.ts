import { describe, expect, it } from 'vitest';
import type { UserSequence } from '../../src/training/data/dataset.js';
import { buildCovisitation, popularity } from '../../src/training/data/covisit.js';

const sequences = (lists: number[][]): UserSequence[] => lists.map((items, u) => ({ user: `u${u}`, items: Int32Array.from(items) }));

describe('buildCovisitation', () => {
  // 0→1 three times, 0→2 once, and 1→2 twice.
  const data = sequences([[0, 1, 2], [0, 1], [0, 1, 2], [0, 2]]);

  it('counts adjacent pairs forward', () => {
    const covisit = buildCovisitation(data, 4, { window: 1 });
    const row = covisit.neighbors(0);
    expect([...row.items]).toEqual([1, 2]);
    expect([...row.scores]).toEqual([1, Math.fround(1 / 3)]);
    expect([...covisit.neighbors(1).items]).toEqual([2]);
    expect(covisit.neighbors(2).items).toHaveLength(0);
    expect(covisit.neighbors(3).items).toHaveLength(0);
  });

  it('weights pairs by distance', () => {
    // Window 2 adds 0→2 at distance 2 twice (weight 1/2 each): 0→2 = 1 + 1 = 2 vs 0→1 = 3.
    const row = buildCovisitation(data, 4, { window: 2 }).neighbors(0);
    expect([...row.items]).toEqual([1, 2]);
    expect(row.scores[1]).toBeCloseTo(2 / 3, 6);
  });

  it('adds backward pairs when asked', () => {
    const row = buildCovisitation(data, 4, { window: 1, backward: 0.5 }).neighbors(2);
    // 2←1 twice and 2←0 once, each at weight 0.5.
    expect([...row.items]).toEqual([1, 0]);
    expect([...row.scores]).toEqual([1, 0.5]);
  });

  it('keeps top M with ties by index', () => {
    const row = buildCovisitation(sequences([[5, 3], [5, 1], [5, 4], [5, 4]]), 6, { window: 1, topM: 2 }).neighbors(5);
    expect([...row.items]).toEqual([4, 1]);
    expect([...row.scores]).toEqual([1, 0.5]);
  });

  it('ignores self pairs', () => {
    const row = buildCovisitation(sequences([[1, 1, 2]]), 3, { window: 1 }).neighbors(1);
    expect([...row.items]).toEqual([2]);
  });

  it('keeps scores in (0, 1]', () => {
    const covisit = buildCovisitation(sequences([[0, 1, 2, 3, 0, 2, 1, 3], [3, 2, 1, 0]]), 4, { window: 3, backward: 1 });
    for (let item = 0; item < 4; item++) {
      const { scores } = covisit.neighbors(item);
      expect(scores[0]).toBe(1);
      for (const score of scores) expect(score > 0 && score <= 1).toBe(true);
    }
  });
});

describe('popularity', () => {
  it('scales log counts to [0, 1]', () => {
    const result = popularity(sequences([[0, 1, 1], [1, 2], [1]]), 4);
    expect([...result.counts]).toEqual([1, 4, 1, 0]);
    expect(result.scores[1]).toBe(1);
    expect(result.scores[0]).toBeCloseTo(Math.log1p(1) / Math.log1p(4), 6);
    expect(result.scores[3]).toBe(0);
    expect([...result.popular]).toEqual([1, 0, 2, 3]);
  });

  it('is all zero without events', () => {
    const result = popularity([], 3);
    expect([...result.scores]).toEqual([0, 0, 0]);
    expect([...result.popular]).toEqual([0, 1, 2]);
  });
});
