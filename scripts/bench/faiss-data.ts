/**
 * Vector sets of the FAISS benchmark: seeded clustered synthetic data at any size, and the real
 * item vectors of a models directory written by `aisle train`. Every set has its own query vectors,
 * drawn from the same distribution as the items and never added to the index.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { MODEL_FILES } from '../../src/core/model-dir.js';
import { parseManifest } from '../../src/server/manifest.js';
import { clusterCenters, createRandom, normalizeRows, sampleClustered } from '../../src/server/ann/synthetic.js';

/** Item vectors and query vectors of one benchmark data set, both row-major and L2-normalized. */
export interface VectorSet {
  /** Short name, also part of the file names of cached indexes, for example 'synthetic-1000000'. */
  name: string;
  /** One line on where the vectors come from. */
  description: string;
  dim: number;
  /** Number of item vectors. */
  n: number;
  /** Number of query vectors. */
  nq: number;
  vectors: Float32Array;
  queries: Float32Array;
}

/** Parameters of the synthetic data; the native FAISS benchmark uses the same ones. */
export const SYNTHETIC = { seed: 2026, centers: 1000, noise: 0.5 } as const;

/**
 * Returns n clustered item vectors and nq query vectors from the same clusters: 1000 random unit
 * centers, Gaussian noise of expected norm 0.5 (cosine to the center about 0.9), seed 2026.
 * The same arguments give the same arrays on every machine.
 */
export function syntheticSet(n: number, nq: number, dim = 64): VectorSet {
  const random = createRandom(SYNTHETIC.seed);
  const centers = clusterCenters(SYNTHETIC.centers, dim, random);
  const vectors = sampleClustered(centers, dim, n, SYNTHETIC.noise, random);
  const queries = sampleClustered(centers, dim, nq, SYNTHETIC.noise, random);
  return {
    name: `synthetic-${n}`,
    description: `seeded clustered vectors (${SYNTHETIC.centers} centers, noise ${SYNTHETIC.noise}, seed ${SYNTHETIC.seed})`,
    dim,
    n,
    nq,
    vectors,
    queries,
  };
}

/**
 * Reads the item vectors of a models directory and draws nq queries from them. Each query is a
 * random item vector (seeded) plus Gaussian noise of expected norm 0.5, normalized. Queries then
 * sit near real items, as user vectors do, without being equal to any of them.
 */
export async function realSet(modelsDir: string, nq: number): Promise<VectorSet> {
  const manifestPath = join(modelsDir, MODEL_FILES.manifest);
  const manifest = parseManifest(JSON.parse(await readFile(manifestPath, 'utf8')), manifestPath);
  const { dim } = manifest;
  const n = manifest.catalog.items;

  const bytes = await readFile(join(modelsDir, manifest.catalog.vectorsFile));
  if (bytes.length !== n * dim * 4) {
    throw new Error(`realSet: ${manifest.catalog.vectorsFile} in ${modelsDir} has ${bytes.length} bytes, expected ${n} items × dim ${dim} × 4.`);
  }
  const vectors = new Float32Array(n * dim);
  for (let i = 0; i < vectors.length; i++) vectors[i] = bytes.readFloatLE(i * 4);

  const random = createRandom(SYNTHETIC.seed + 1);
  const sigma = SYNTHETIC.noise / Math.sqrt(dim);
  const queries = new Float32Array(nq * dim);
  for (let q = 0; q < nq; q++) {
    const item = Math.floor(random() * n) * dim;
    for (let j = 0; j < dim; j++) queries[q * dim + j] = vectors[item + j] + sigma * gaussian(random);
  }
  normalizeRows(queries, dim);

  return {
    name: `real-${manifest.dataset}-${manifest.version}`,
    description: `item vectors of ${manifest.dataset} (models version ${manifest.version}); queries are items plus noise ${SYNTHETIC.noise}`,
    dim,
    n,
    nq,
    vectors,
    queries,
  };
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
