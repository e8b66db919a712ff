/**
 * Writes small, seeded models directories for companion tests and the reload benchmark:
 * L2-normalized item vectors, items.json with titles, categories and brands, a FAISS index built by
 * the real binding and placeholder .onnx files listed with their sha256. The companion checks the
 * placeholders' sha256 but never runs them.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CatalogFileEntry } from '../../src/core/model-dir.js';
import { createRandom } from '../../src/core/random.js';
import type { Manifest } from '../../src/core/types.js';
import { normalize } from '../../src/core/vector.js';
import { buildIndex } from '../../src/server/ann/build-index.js';

const CATEGORIES = ['Lipstick', 'Mascara', 'Foundation', 'Blush', 'Serum'];
const BRANDS = ['Acme', 'Lumen', 'Nova', 'Orchid'];
const WORDS = ['matte', 'glossy', 'velvet', 'hydrating', 'long', 'wear', 'sheer', 'bold', 'natural', 'radiant', 'silky', 'tinted'];

/** Shape of a generated models directory. */
export interface ModelsSpec {
  items: number;
  dim: number;
  seed: number;
  /** Manifest version, also the prefix of every item id (`${version}-item-${i}`) unless `idPrefix` is set. */
  version: string;
  /** Prefix of the item ids instead of the version, so two model sets can share one catalog's ids. */
  idPrefix?: string;
  /** FAISS index_factory description. Default 'Flat'. */
  index?: string;
}

/** A generated directory and the data written to it. */
export interface ModelsFixture {
  dir: string;
  spec: ModelsSpec;
  items: CatalogFileEntry[];
  /** Row-major items × dim, as written to item_vectors.f32. */
  vectors: Float32Array;
}

/** Returns a seeded L2-normalized vector of `dim` values. */
export function unitVector(dim: number, seed: number): Float32Array {
  const random = createRandom(seed);
  const vector = new Float32Array(dim);
  for (let i = 0; i < dim; i++) vector[i] = random.normal();
  return normalize(vector);
}

/** Writes a models directory for `spec` into `dir` (created if missing). */
export async function writeModelsDir(dir: string, spec: ModelsSpec): Promise<ModelsFixture> {
  const random = createRandom(spec.seed);
  await mkdir(dir, { recursive: true });

  const items: CatalogFileEntry[] = Array.from({ length: spec.items }, (_, i) => {
    const words = [random.pick(WORDS), random.pick(WORDS)];
    const category = CATEGORIES[i % CATEGORIES.length];
    return {
      id: `${spec.idPrefix ?? spec.version}-item-${i}`,
      title: `${words.join(' ')} ${category.toLowerCase()} ${i}`,
      category,
      brand: BRANDS[i % BRANDS.length],
      price: 5 + (i % 40),
      tags: [category, words[0]],
      stats: { popularity: random.next(), trending: 0 },
    };
  });

  const vectors = new Float32Array(spec.items * spec.dim);
  for (let i = 0; i < spec.items; i++) {
    const row = vectors.subarray(i * spec.dim, (i + 1) * spec.dim);
    for (let d = 0; d < spec.dim; d++) row[d] = random.normal();
    row.set(normalize(row));
  }

  const built = await buildIndex(vectors, spec.dim, spec.index ?? 'Flat', 'ip');
  try {
    await built.index.write(join(dir, 'items.faiss'));
  } finally {
    built.index.dispose();
  }

  const onnx = Buffer.from(`placeholder model of ${spec.version}\n`);
  const entry = (file: string) => ({ file, sha256: createHash('sha256').update(onnx).digest('hex'), bytes: onnx.length });
  const manifest: Manifest = {
    format: 1,
    version: spec.version,
    dataset: 'synthetic',
    createdAt: '2026-12-05T00:00:00Z',
    dim: spec.dim,
    seqLen: 20,
    usesAges: false,
    features: ['annScore'],
    models: { userTower: entry('user_tower.onnx'), ranker: entry('ranker.onnx') },
    catalog: { items: spec.items, itemsFile: 'items.json', vectorsFile: 'item_vectors.f32', indexFile: 'items.faiss', indexType: built.description },
  };

  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  await writeFile(join(dir, 'items.json'), JSON.stringify(items));
  await writeFile(join(dir, 'item_vectors.f32'), Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength));
  await writeFile(join(dir, 'user_tower.onnx'), onnx);
  await writeFile(join(dir, 'ranker.onnx'), onnx);
  return { dir, spec, items, vectors };
}
