/**
 * Seeded weight initialization. Weights come from the data code's seeded generator, so a training
 * run with the same `--seed` starts from the same weights.
 */
import type { Random } from '../../core/random.js';

/** Returns `size` samples of N(0, std²) drawn from `random`. */
export function randomNormals(random: Random, size: number, std: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = random.normal() * std;
  return out;
}
