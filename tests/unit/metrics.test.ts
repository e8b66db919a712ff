import { describe, expect, it } from 'vitest';
import { hitRate, ndcg, ndcgCurve, rankOfTarget, reciprocalRank, summarizeRanks } from '../../src/core/metrics.js';
import { createRandom } from '../../src/core/random.js';

/** Independent reference: sort all candidates, ties placed before the target, then find it. */
function bruteForceRank(scores: ArrayLike<number>, target: number, excluded: ReadonlySet<number>): number {
  if (excluded.has(target)) return -1;
  const candidates = Array.from({ length: scores.length }, (_, i) => i).filter((i) => !excluded.has(i));
  const key = (i: number): number => (Number.isNaN(scores[i]) ? Infinity : scores[i]);
  const tieOrder = (a: number, b: number): number => {
    if (a === target) return 1;
    if (b === target) return -1;
    return a - b;
  };
  candidates.sort((a, b) => key(b) - key(a) || tieOrder(a, b));
  return candidates.indexOf(target);
}

describe('ranking metrics', () => {
  it('rank 0 gives full credit', () => {
    expect(hitRate(0, 10)).toBe(1);
    expect(ndcg(0, 10)).toBe(1);
    expect(reciprocalRank(0)).toBe(1);
  });

  it('rank 2 gives NDCG 0.5', () => {
    expect(ndcg(2, 10)).toBeCloseTo(1 / Math.log2(4), 12);
    expect(ndcg(2, 10)).toBeCloseTo(0.5, 12);
    expect(reciprocalRank(2)).toBeCloseTo(1 / 3, 12);
  });

  it('rank at cutoff gets no credit', () => {
    expect(hitRate(10, 10)).toBe(0);
    expect(ndcg(10, 10)).toBe(0);
    expect(hitRate(9, 10)).toBe(1);
    expect(ndcg(9, 10)).toBeCloseTo(1 / Math.log2(11), 12);
  });

  it('rank -1 counts as a miss', () => {
    expect(hitRate(-1, 10)).toBe(0);
    expect(ndcg(-1, 10)).toBe(0);
    expect(reciprocalRank(-1)).toBe(0);
  });

  it('summary averages hand-computed ranks', () => {
    const row = summarizeRanks([0, 2, 15, -1]);
    expect(row['HR@10']).toBeCloseTo(2 / 4, 12);
    expect(row['HR@20']).toBeCloseTo(3 / 4, 12);
    expect(row['NDCG@10']).toBeCloseTo((1 + 0.5) / 4, 12);
    expect(row['NDCG@20']).toBeCloseTo((1 + 0.5 + 1 / Math.log2(17)) / 4, 12);
    expect(row.MRR).toBeCloseTo((1 + 1 / 3 + 1 / 16) / 4, 12);
  });

  it('summary of no ranks is zero', () => {
    expect(summarizeRanks([])).toEqual({ 'HR@10': 0, 'NDCG@10': 0, 'HR@20': 0, 'NDCG@20': 0, MRR: 0 });
  });
});

describe('rankOfTarget', () => {
  it('counts higher scores above target', () => {
    expect(rankOfTarget([0.1, 0.9, 0.5, 0.3], 2, new Set())).toBe(1);
    expect(rankOfTarget([0.1, 0.9, 0.5, 0.3], 1, new Set())).toBe(0);
    expect(rankOfTarget([0.1, 0.9, 0.5, 0.3], 0, new Set())).toBe(3);
  });

  it('ties count against target', () => {
    expect(rankOfTarget([0.5, 0.5, 0.5, 0.5], 2, new Set())).toBe(3);
    expect(rankOfTarget([0.5, 0.7, 0.5, 0.1], 0, new Set())).toBe(2);
  });

  it('skips excluded items', () => {
    expect(rankOfTarget([0.9, 0.8, 0.5, 0.3], 2, new Set([0]))).toBe(1);
    expect(rankOfTarget([0.9, 0.8, 0.5, 0.3], 2, new Set([0, 1]))).toBe(0);
  });

  it('excluded target returns -1', () => {
    expect(rankOfTarget([0.9, 0.8, 0.5], 1, new Set([1]))).toBe(-1);
  });

  it('NaN scores rank above target', () => {
    expect(rankOfTarget([Number.NaN, 0.2, 0.5], 2, new Set())).toBe(1);
  });

  it('matches brute-force sort on random cases', () => {
    const random = createRandom(7);
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + random.int(60);
      // Few distinct values so that ties are common.
      const scores = Float32Array.from({ length: n }, () => random.int(6) / 5);
      const excluded = new Set(Array.from({ length: random.int(n) }, () => random.int(n)));
      const target = random.int(n);
      expect(rankOfTarget(scores, target, excluded), `trial ${trial}`).toBe(bruteForceRank(scores, target, excluded));
    }
  });

  it('summary matches brute-force metrics', () => {
    const random = createRandom(11);
    const ranks: number[] = [];
    for (let user = 0; user < 200; user++) {
      const scores = Float32Array.from({ length: 40 }, () => random.next());
      ranks.push(bruteForceRank(scores, random.int(40), new Set([random.int(40)])));
    }
    const hits10 = ranks.filter((rank) => rank >= 0 && rank < 10);
    const hits20 = ranks.filter((rank) => rank >= 0 && rank < 20);
    const row = summarizeRanks(ranks);
    expect(row['HR@10']).toBeCloseTo(hits10.length / ranks.length, 12);
    expect(row['HR@20']).toBeCloseTo(hits20.length / ranks.length, 12);
    expect(row['NDCG@10']).toBeCloseTo(hits10.reduce((sum, rank) => sum + 1 / Math.log2(rank + 2), 0) / ranks.length, 12);
    expect(row['NDCG@20']).toBeCloseTo(hits20.reduce((sum, rank) => sum + 1 / Math.log2(rank + 2), 0) / ranks.length, 12);
    expect(row.MRR).toBeCloseTo(ranks.filter((rank) => rank >= 0).reduce((sum, rank) => sum + 1 / (rank + 1), 0) / ranks.length, 12);
  });
});

describe('ndcgCurve', () => {
  it('gives hand-computed values', () => {
    // Ranks 0 and 2 of four users: NDCG@1 = 1/4, NDCG@3 = (1 + 0.5) / 4, flat after.
    const curve = ndcgCurve([0, 2, -1, 7], 3);
    expect(curve[0]).toBeCloseTo(0.25, 12);
    expect(curve[1]).toBeCloseTo(0.25, 12);
    expect(curve[2]).toBeCloseTo(0.375, 12);
  });

  it('matches NDCG at every k', () => {
    const random = createRandom(5);
    const ranks = Array.from({ length: 300 }, () => random.int(80) - 1);
    const curve = ndcgCurve(ranks, 50);
    for (let k = 1; k <= 50; k++) {
      expect(curve[k - 1], `k ${k}`).toBeCloseTo(ranks.reduce((sum, rank) => sum + ndcg(rank, k), 0) / ranks.length, 12);
    }
    expect(curve[9]).toBeCloseTo(summarizeRanks(ranks)['NDCG@10'], 12);
  });

  it('is zero without ranks', () => {
    expect(ndcgCurve([], 3)).toEqual([0, 0, 0]);
  });
});
