/**
 * The seeded generators of core/random.ts. The SDK's worker times its two rankers on a matrix drawn
 * from mulberry32, and the data and test code draws from createRandom. Both must give the same
 * Mulberry32 sequence, so that a seed means the same numbers everywhere.
 */
import { describe, expect, it } from 'vitest';
import { createRandom, mulberry32 } from '../../src/core/random.js';

describe('mulberry32', () => {
  it('keeps the first outputs of seed 1', () => {
    const next = mulberry32(1);
    expect([next(), next(), next()]).toEqual([0.6270739405881613, 0.002735721180215478, 0.5274470399599522]);
  });

  it('gives the sequence of createRandom(seed).next()', () => {
    for (const seed of [0, 200, 2 ** 32 - 1, -7]) {
      const next = mulberry32(seed);
      const random = createRandom(seed);
      const fromNext = Array.from({ length: 1000 }, () => next());
      const fromRandom = Array.from({ length: 1000 }, () => random.next());
      expect(fromNext).toEqual(fromRandom);
      expect(fromNext.every((value) => value >= 0 && value < 1)).toBe(true);
    }
  });
});
