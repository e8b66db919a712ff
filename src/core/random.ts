/**
 * Seeded pseudo-random numbers for data generation, sampling, subsets and synthetic test vectors,
 * so that every run with the same seed gives the same output on every machine.
 */

/** A seeded generator of floats in [0, 1) with the helpers the data code needs. */
export interface Random {
  /** Next float in [0, 1). */
  next(): number;
  /** Integer in [0, n). */
  int(n: number): number;
  /** Standard normal sample (Box–Muller). */
  normal(): number;
  /** Index drawn with probability proportional to `weights[i]` (weights ≥ 0, sum > 0). */
  weighted(weights: ArrayLike<number>): number;
  /** One element of a non-empty list, uniformly. */
  pick<T>(list: readonly T[]): T;
  /** Fisher–Yates shuffle of a copy of `list`. */
  shuffle<T>(list: readonly T[]): T[];
}

/**
 * Returns a Mulberry32 generator (32-bit state) of floats in [0, 1) from an integer seed. It is
 * the `next` of createRandom alone, for code that ships in the SDK and needs nothing else.
 */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Creates a Mulberry32 generator (32-bit state) from an integer seed. */
export function createRandom(seed: number): Random {
  const next = mulberry32(seed);
  const int = (n: number): number => Math.floor(next() * n);
  return {
    next,
    int,
    normal: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
    weighted: (weights) => {
      let total = 0;
      for (let i = 0; i < weights.length; i++) total += weights[i];
      let target = next() * total;
      for (let i = 0; i < weights.length; i++) {
        target -= weights[i];
        if (target < 0) return i;
      }
      return weights.length - 1;
    },
    pick: (list) => list[int(list.length)],
    shuffle: (list) => {
      const copy = [...list];
      for (let i = copy.length - 1; i > 0; i--) {
        const j = int(i + 1);
        [copy[i], copy[j]] = [copy[j], copy[i]];
      }
      return copy;
    },
  };
}
