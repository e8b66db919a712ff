/**
 * Ranking metrics for leave-one-out evaluation with one relevant item per user.
 * `rank` is the 0-based position of the held-out item in the full ranking (after excluding the
 * user's history), so HR@k = [rank < k], NDCG@k = 1 / log2(rank + 2) when rank < k, and
 * MRR = 1 / (rank + 1) over the full list.
 */

export function hitRate(rank: number, k: number): number {
  return rank >= 0 && rank < k ? 1 : 0;
}

export function ndcg(rank: number, k: number): number {
  return rank >= 0 && rank < k ? 1 / Math.log2(rank + 2) : 0;
}

export function reciprocalRank(rank: number): number {
  return rank >= 0 ? 1 / (rank + 1) : 0;
}

export interface MetricRow {
  'HR@10': number;
  'NDCG@10': number;
  'HR@20': number;
  'NDCG@20': number;
  MRR: number;
}

/** Averages the metrics over a list of 0-based ranks (-1 means the item was not ranked at all). */
export function summarizeRanks(ranks: readonly number[]): MetricRow {
  const row: MetricRow = { 'HR@10': 0, 'NDCG@10': 0, 'HR@20': 0, 'NDCG@20': 0, MRR: 0 };
  if (ranks.length === 0) return row;
  for (const rank of ranks) {
    row['HR@10'] += hitRate(rank, 10);
    row['NDCG@10'] += ndcg(rank, 10);
    row['HR@20'] += hitRate(rank, 20);
    row['NDCG@20'] += ndcg(rank, 20);
    row.MRR += reciprocalRank(rank);
  }
  for (const key of Object.keys(row) as Array<keyof MetricRow>) row[key] /= ranks.length;
  return row;
}

/**
 * 0-based rank of `target` when items are sorted by descending score, skipping `excluded` ones.
 * Ties count against the target (an equal score ranks above it), so a constant scorer gets no
 * credit. Returns -1 when the target is excluded.
 */
export function rankOfTarget(scores: ArrayLike<number>, target: number, excluded: ReadonlySet<number>): number {
  if (excluded.has(target)) return -1;
  const targetScore = scores[target];
  let rank = 0;
  for (let i = 0; i < scores.length; i++) {
    if (i === target || excluded.has(i)) continue;
    if (scores[i] >= targetScore || Number.isNaN(scores[i])) rank++;
  }
  return rank;
}

/** Mean NDCG@k over `ranks` for k = 1 … maxK (index k - 1), for NDCG@k curves. */
export function ndcgCurve(ranks: readonly number[], maxK: number): number[] {
  const sums = new Array<number>(maxK).fill(0);
  for (const rank of ranks) {
    if (rank < 0 || rank >= maxK) continue;
    // A hit at rank r adds its gain to every cutoff k > r.
    const gain = 1 / Math.log2(rank + 2);
    for (let k = rank + 1; k <= maxK; k++) sums[k - 1] += gain;
  }
  return sums.map((sum) => (ranks.length === 0 ? 0 : sum / ranks.length));
}
