/**
 * Seeded synthetic vector sets for ANN tests and benchmarks: L2-normalized points around random
 * cluster centers, which resemble item vectors of a catalog better than uniform noise does.
 * The same seed gives the same arrays on every machine.
 */
import { createRandom as createSeededRandom } from '../../core/random.js';

/** Returns a seeded generator of uniform numbers in [0, 1) (core's Mulberry32) for a 32-bit seed. */
export function createRandom(seed: number): () => number {
  return createSeededRandom(seed).next;
}

/** Returns a standard normal sample (Box-Muller). */
function gaussian(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Scales row i of a row-major n×dim array to unit L2 norm in place; zero rows stay zero. */
export function normalizeRows(vectors: Float32Array, dim: number): Float32Array {
  for (let offset = 0; offset < vectors.length; offset += dim) {
    let sum = 0;
    for (let j = 0; j < dim; j++) sum += vectors[offset + j] * vectors[offset + j];
    const scale = sum > 0 ? 1 / Math.sqrt(sum) : 0;
    for (let j = 0; j < dim; j++) vectors[offset + j] *= scale;
  }
  return vectors;
}

/** Returns `count` random unit cluster centers as a row-major count×dim array. */
export function clusterCenters(count: number, dim: number, random: () => number): Float32Array {
  const centers = new Float32Array(count * dim);
  for (let i = 0; i < centers.length; i++) centers[i] = gaussian(random);
  return normalizeRows(centers, dim);
}

/**
 * Returns n unit vectors (row-major n×dim), each a uniformly chosen center plus Gaussian noise of
 * total expected norm `noise`, then normalized. With noise 0.5 a point's cosine to its center is about 0.9 (1/√1.25).
 */
export function sampleClustered(centers: Float32Array, dim: number, n: number, noise: number, random: () => number): Float32Array {
  const count = centers.length / dim;
  const sigma = noise / Math.sqrt(dim);
  const vectors = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const center = Math.floor(random() * count) * dim;
    for (let j = 0; j < dim; j++) vectors[i * dim + j] = centers[center + j] + sigma * gaussian(random);
  }
  return normalizeRows(vectors, dim);
}
