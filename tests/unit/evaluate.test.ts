import { describe, expect, it } from 'vitest';
import type { LeaveOneOutUser, UserSequence } from '../../src/training/data/dataset.js';
import { leaveOneOut } from '../../src/training/data/split.js';
import { coldTargets } from '../../src/training/pipeline/evaluate-models.js';
import { distillationLoss, evaluate, evaluateRanks, evaluateSampled, formatTable, toResultsJson } from '../../src/training/evaluate.js';

const N_ITEMS = 8;

function users(sequences: number[][]): LeaveOneOutUser[] {
  return leaveOneOut({
    name: 'tiny',
    items: Array.from({ length: N_ITEMS }, (_, i) => ({ id: `i${i}` })),
    itemText: Array.from({ length: N_ITEMS }, () => ''),
    sequences: sequences.map((items, u) => ({ user: `u${u}`, items: Int32Array.from(items) })),
    hasTimestamps: false,
    orderNote: '',
  });
}

/** Scores item i as i, so higher indices rank first. */
const byIndex = (): Float32Array => Float32Array.from({ length: N_ITEMS }, (_, i) => i);

describe('evaluate', () => {
  it('excludes history before ranking', async () => {
    // Test target 5, history [7, 6, 1]: items 7 and 6 are excluded, so 5 ranks first.
    const row = await evaluate(users([[7, 6, 1, 5]]), N_ITEMS, byIndex, { split: 'test' });
    expect(row['HR@10']).toBe(1);
    expect(row['NDCG@10']).toBe(1);
    expect(row.MRR).toBe(1);
  });

  it('ranks valid target on train history', async () => {
    // Valid target 1 with history [7, 6]: 5, 4, 3, 2 rank above it, so rank 4.
    const row = await evaluate(users([[7, 6, 1, 5]]), N_ITEMS, byIndex, { split: 'valid' });
    expect(row.MRR).toBeCloseTo(1 / 5, 12);
    expect(row['NDCG@10']).toBeCloseTo(1 / Math.log2(6), 12);
  });

  it('passes the right history to the scorer', async () => {
    const seen: Array<[number[], string]> = [];
    const scorer = (history: UserSequence, target: 'valid' | 'test'): Float32Array => {
      seen.push([[...history.items], target]);
      return byIndex();
    };
    await evaluate(users([[0, 1, 2, 3]]), N_ITEMS, scorer, { split: 'test' });
    await evaluate(users([[0, 1, 2, 3]]), N_ITEMS, scorer, { split: 'valid' });
    expect(seen).toEqual([
      [[0, 1, 2], 'test'],
      [[0, 1], 'valid'],
    ]);
  });

  it('counts a repeated target as a miss', async () => {
    const row = await evaluate(users([[3, 4, 3]]), N_ITEMS, byIndex, { split: 'test' });
    expect(row['HR@20']).toBe(0);
    expect(row.MRR).toBe(0);
  });

  it('gives a constant scorer no credit', async () => {
    // 8 items minus 3 in the history leave the target and 4 tied items, all ranked above it.
    const row = await evaluate(users([[0, 1, 2, 3]]), N_ITEMS, () => new Float32Array(N_ITEMS), { split: 'test' });
    expect(row.MRR).toBeCloseTo(1 / 5, 12);
  });

  it('accepts async scorers and reports progress', async () => {
    const progress: number[] = [];
    const row = await evaluate(users([[0, 1, 7], [2, 3, 6]]), N_ITEMS, async () => byIndex(), {
      split: 'test',
      onProgress: (done, total) => progress.push(done / total),
    });
    expect(row['HR@10']).toBe(1);
    expect(progress).toEqual([0.5, 1]);
  });

  it('rejects scores of wrong length', async () => {
    await expect(evaluate(users([[0, 1, 2]]), N_ITEMS, () => new Float32Array(3), { split: 'test' })).rejects.toMatchObject({ code: 'AISLE_INVALID_ARGUMENT' });
  });
});

describe('evaluateSampled', () => {
  it('ranks against unseen negatives only', async () => {
    // Sequence [0, 1, 2]: the 5 unseen items 3..7 are all negatives; 2 scores highest among seen.
    const all = await evaluateSampled(users([[0, 1, 2]]), N_ITEMS, byIndex, { split: 'test', negatives: 5, seed: 1 });
    expect(all.MRR).toBeCloseTo(1 / 6, 12);
    const reversed = await evaluateSampled(users([[5, 6, 7]]), N_ITEMS, byIndex, { split: 'test', negatives: 5, seed: 1 });
    expect(reversed.MRR).toBe(1);
  });

  it('is deterministic for a seed', async () => {
    const data = users([[0, 1, 4], [2, 3, 5], [6, 7, 1]]);
    const scorer = (history: UserSequence): Float32Array => Float32Array.from({ length: N_ITEMS }, (_, i) => (i * 7 + history.items[0]) % 5);
    const first = await evaluateSampled(data, N_ITEMS, scorer, { split: 'test', negatives: 3, seed: 9 });
    const second = await evaluateSampled(data, N_ITEMS, scorer, { split: 'test', negatives: 3, seed: 9 });
    expect(second).toEqual(first);
  });

  it('shares negatives across scorers', async () => {
    const data = users([[0, 1, 4], [2, 3, 5], [6, 7, 1]]);
    const sampled = { negatives: 3, seed: 4 };
    const drawn: number[][] = [];
    // Each item scores a value unique to it, so the target's rank shows which items were drawn.
    for (const flip of [1, -1]) {
      const scorer = (): Float32Array => Float32Array.from({ length: N_ITEMS }, (_, i) => flip * i);
      drawn.push((await evaluateRanks(data, N_ITEMS, scorer, { split: 'test', sampled })).sampled!);
    }
    // With scores i and -i, the target's rank among 3 negatives under one order plus its rank under
    // the reverse order is 3 when the same negatives were drawn (no ties).
    drawn[0].forEach((rank, user) => expect(rank + drawn[1][user], `user ${user}`).toBe(3));
  });

  it('rejects more negatives than unseen items', async () => {
    await expect(evaluateSampled(users([[0, 1, 2]]), N_ITEMS, byIndex, { split: 'test', negatives: 6 })).rejects.toMatchObject({ code: 'AISLE_INVALID_ARGUMENT' });
  });
});

describe('report formats', () => {
  const rows = [
    { model: 'popularity', 'HR@10': 0.0114, 'NDCG@10': 0.0053, 'HR@20': 0.02, 'NDCG@20': 0.0074, MRR: 0.0055 },
    { model: 'item-knn', 'HR@10': 0.0644, 'NDCG@10': 0.0405, 'HR@20': 0.0841, 'NDCG@20': 0.0455, MRR: 0.0364 },
  ];

  it('formatTable aligns columns', () => {
    const lines = formatTable(rows).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0].split(/\s+/)).toEqual(['model', 'HR@10', 'NDCG@10', 'HR@20', 'NDCG@20', 'MRR']);
    expect(lines[2].split(/\s+/)).toEqual(['item-knn', '0.0644', '0.0405', '0.0841', '0.0455', '0.0364']);
    expect(new Set(lines.map((line) => line.length)).size).toBe(1);
  });

  it('toResultsJson has the report shape', () => {
    const json = toResultsJson('amazon-beauty', 'full ranking', rows);
    expect(json).toEqual({ dataset: 'amazon-beauty', protocol: 'full ranking', rows });
    expect(Object.keys(json.rows[0])).toEqual(['model', 'HR@10', 'NDCG@10', 'HR@20', 'NDCG@20', 'MRR']);
  });
});

describe('distillationLoss', () => {
  it('gives loss and paired error', () => {
    // Teacher ranks 0, 0 (NDCG 1, 1); student 0, 2 (NDCG 1, 0.5): means 1 and 0.75, loss 25%.
    // Differences 0 and 0.5: sample sd 0.3536, standard error 0.25, relative to the teacher 25%.
    const loss = distillationLoss([0, 0], [0, 2]);
    expect(loss.teacher).toBeCloseTo(1, 12);
    expect(loss.served).toBeCloseTo(0.75, 12);
    expect(loss.relativeLoss).toBeCloseTo(0.25, 12);
    expect(loss.standardError).toBeCloseTo(0.25, 12);
  });

  it('is zero for equal ranks', () => {
    expect(distillationLoss([0, 3, -1], [0, 3, -1])).toMatchObject({ relativeLoss: 0, standardError: 0 });
  });
});

describe('coldTargets', () => {
  it('keeps rare test items', () => {
    // Test histories: [0, 1, 2], [0, 1, 3], [0, 4, 5]. Item 0 occurs 3 times, item 6 never.
    const data = users([[0, 1, 2, 0], [0, 1, 3, 6], [0, 4, 5, 1]]);
    expect(coldTargets(data, N_ITEMS)).toEqual([0, 1, 2]);
    // Five more users whose histories hold item 0 make it warm: user 0 drops out.
    const warm = users([[0, 1, 2, 0], [0, 1, 3, 6], [0, 4, 5, 1], [0, 2, 3, 4], [0, 2, 3, 4]]);
    expect(coldTargets(warm, N_ITEMS)).toEqual([1, 2, 3, 4]);
  });
});
