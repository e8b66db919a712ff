/**
 * A small models directory for companion tests: seeded L2-normalized item vectors, a Flat FAISS
 * index written by the real binding, and placeholder .onnx files with their sha256 (the
 * companion checks and serves them but never runs them).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { CatalogFileEntry } from '../../../src/core/model-dir.js';
import { createRandom } from '../../../src/core/random.js';
import type { Manifest } from '../../../src/core/types.js';
import { normalize } from '../../../src/core/vector.js';
import { FaissIndex } from '../../../src/server/ann/faiss.js';

export interface CompanionFixture {
  dir: string;
  items: CatalogFileEntry[];
  vectors: Float32Array;
  dim: number;
}

/**
 * Writes `count` items `item-0` … in a temporary directory. Popularity falls with the index, so
 * `item-0` is the most popular item of the training data.
 */
export async function buildCompanionFixture(count = 40, dim = 8): Promise<CompanionFixture> {
  const random = createRandom(20261205);
  const dir = await mkdtemp(join(tmpdir(), 'aisle-companion-'));
  const items: CatalogFileEntry[] = Array.from({ length: count }, (_, i) => ({
    id: `item-${i}`,
    title: `Item ${i}`,
    category: i % 2 === 0 ? 'Even' : 'Odd',
    stats: { popularity: 1 - i / count, trending: 0 },
  }));

  const vectors = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    const vector = new Float32Array(dim);
    for (let d = 0; d < dim; d++) vector[d] = random.normal();
    vectors.set(normalize(vector), i * dim);
  }
  const index = await FaissIndex.create(dim, 'Flat', 'ip');
  await index.add(vectors);
  await index.write(join(dir, 'items.faiss'));
  index.dispose();

  const onnx = Buffer.from('placeholder model bytes');
  const entry = (file: string) => ({ file, sha256: createHash('sha256').update(onnx).digest('hex'), bytes: onnx.length });
  const manifest: Manifest = {
    format: 1,
    version: 'fixture-1',
    dataset: 'synthetic',
    createdAt: '2026-12-05T00:00:00Z',
    dim,
    seqLen: 10,
    usesAges: false,
    features: ['annScore'],
    models: { userTower: entry('user_tower.onnx'), ranker: entry('ranker.onnx') },
    catalog: { items: count, itemsFile: 'items.json', vectorsFile: 'item_vectors.f32', indexFile: 'items.faiss', indexType: 'Flat' },
  };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
  await writeFile(join(dir, 'items.json'), JSON.stringify(items));
  await writeFile(join(dir, 'item_vectors.f32'), Buffer.from(vectors.buffer));
  await writeFile(join(dir, 'user_tower.onnx'), onnx);
  await writeFile(join(dir, 'ranker.onnx'), onnx);
  return { dir, items, vectors, dim };
}

/** Starts `app` on a free port of 127.0.0.1 and returns its base URL. */
export async function listenOnLoopback(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('server has no TCP address');
  return `http://127.0.0.1:${address.port}`;
}
