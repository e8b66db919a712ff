/**
 * Item-to-item co-visitation and item popularity, counted on training sequences only (never on
 * validation or test targets, which would leak the targets into features and baselines).
 *
 * Co-visitation: for each pair of positions i < j in one sequence with j - i ≤ window, the pair
 * (items[i] → items[j]) gains 1 / (j - i), so adjacent items count most. With `backward` > 0 the
 * reverse pair (items[j] → items[i]) gains backward / (j - i) as well. Pairs of an item with
 * itself are ignored. Each item keeps its top-M neighbors, scores divided by the best one so they
 * lie in (0, 1] with the best neighbor at 1.
 */
import type { UserSequence } from './dataset.js';

/** Options of `buildCovisitation`. */
export interface CovisitOptions {
  /** Max distance between two positions that still count (default 3). */
  window?: number;
  /** Weight of the reverse direction, relative to the forward one (default 0: forward only). */
  backward?: number;
  /** Neighbors kept per item (default 20). */
  topM?: number;
}

/** Neighbor list of one item, best first. */
export interface Neighbors {
  /** Item indices. */
  items: Int32Array;
  /** Normalized scores in (0, 1], same order. */
  scores: Float32Array;
}

/** Co-visitation neighbors of every item, stored as one compressed row per item. */
export interface Covisitation {
  nItems: number;
  /** Copies of the top-M neighbors of `itemIndex`, best first (ties by lower index), empty when it has none. */
  neighbors(itemIndex: number): Neighbors;
}

/** Counts co-visitation over `sequences` and keeps the top-M neighbors of each item. */
export function buildCovisitation(sequences: readonly UserSequence[], nItems: number, options: CovisitOptions = {}): Covisitation {
  const window = options.window ?? 3;
  const backward = options.backward ?? 0;
  const topM = options.topM ?? 20;
  const counts = countPairs(sequences, nItems, window, backward);

  const offsets = new Int32Array(nItems + 1);
  const rows: Array<[number, number][]> = counts.map((row) => [...row.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, topM));
  rows.forEach((row, item) => (offsets[item + 1] = offsets[item] + row.length));
  const items = new Int32Array(offsets[nItems]);
  const scores = new Float32Array(offsets[nItems]);
  rows.forEach((row, item) => {
    const best = row[0]?.[1] ?? 1;
    row.forEach(([neighbor, count], k) => {
      items[offsets[item] + k] = neighbor;
      scores[offsets[item] + k] = count / best;
    });
  });

  return {
    nItems,
    neighbors: (itemIndex) => ({
      items: items.slice(offsets[itemIndex], offsets[itemIndex + 1]),
      scores: scores.slice(offsets[itemIndex], offsets[itemIndex + 1]),
    }),
  };
}

function countPairs(sequences: readonly UserSequence[], nItems: number, window: number, backward: number): Map<number, number>[] {
  const counts = Array.from({ length: nItems }, () => new Map<number, number>());
  const add = (from: number, to: number, weight: number): void => {
    if (from !== to) counts[from].set(to, (counts[from].get(to) ?? 0) + weight);
  };
  for (const { items } of sequences) {
    for (let i = 0; i < items.length; i++) {
      for (let j = i + 1; j < items.length && j - i <= window; j++) {
        add(items[i], items[j], 1 / (j - i));
        if (backward > 0) add(items[j], items[i], backward / (j - i));
      }
    }
  }
  return counts;
}

/** Item popularity from training sequences. */
export interface Popularity {
  /** Events per item. */
  counts: Float64Array;
  /** log1p(count) / log1p(max count) per item, in [0, 1] (all 0 when there are no events). */
  scores: Float32Array;
  /** Item indices by descending count, ties by lower index. */
  popular: Int32Array;
}

/** Counts item events in `trainSequences` (pass training prefixes only). */
export function popularity(trainSequences: readonly UserSequence[], nItems: number): Popularity {
  const counts = new Float64Array(nItems);
  for (const { items } of trainSequences) for (const item of items) counts[item]++;
  let max = 0;
  for (const count of counts) max = Math.max(max, count);

  const scores = new Float32Array(nItems);
  if (max > 0) counts.forEach((count, item) => (scores[item] = Math.log1p(count) / Math.log1p(max)));
  const popular = Int32Array.from(counts.keys()).sort((a, b) => counts[b] - counts[a] || a - b);
  return { counts, scores, popular };
}
