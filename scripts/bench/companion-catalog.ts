/**
 * A seeded synthetic models directory for the companion benchmark: items.json with metadata shaped
 * like a trained catalog's (title, category path, brand, tags, popularity, co-visitation neighbours),
 * the benchmark's item vectors, a FAISS index file and placeholder model files. The companion
 * checks the placeholders' sha256 but never runs them, so the directory serves /v1/candidates
 * exactly as a trained one does. Files are written under `.cache/bench/` and reused.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { once } from 'node:events';

import { MODEL_FILES, type CatalogFileEntry } from '../../src/core/model-dir.js';
import { createRandom } from '../../src/core/random.js';
import type { Manifest } from '../../src/core/types.js';
import type { VectorSet } from './faiss-data.js';

const ADJECTIVES = ['compact', 'digital', 'portable', 'heavy duty', 'precision', 'wireless', 'stainless', 'adjustable', 'rechargeable', 'professional', 'mini', 'industrial'];
const NOUNS = ['multimeter', 'caliper', 'soldering station', 'thermometer', 'microscope', 'pipette', 'label printer', 'safety glasses', 'filament spool', 'test lead set', 'scale', 'magnifier'];
const DEPARTMENTS = ['Test, Measure & Inspect', 'Lab & Scientific Products', 'Additive Manufacturing', 'Occupational Health & Safety', 'Power Transmission'];

/** Neighbours per item; trained catalogs store up to 20, a 1M-item file with 20 passes V8's largest string. */
const NEIGHBORS_PER_ITEM = 6;

/** Placeholder bytes of the model files, which the companion serves but the benchmark never loads. */
const PLACEHOLDER_MODEL = Buffer.from('aisle companion benchmark: placeholder model file, not ONNX\n');

function itemId(index: number): string {
  return `sku-${index.toString().padStart(7, '0')}`;
}

/** Returns the metadata of item i; the same seed gives the same item. */
function syntheticItem(i: number, n: number, popularityRank: number, random: ReturnType<typeof createRandom>): CatalogFileEntry {
  const department = DEPARTMENTS[i % DEPARTMENTS.length];
  const category = `${department} Group ${(i * 7) % 40} Kind ${(i * 13) % 25}`;
  const brand = `Brand${(i * 31) % 997}`;
  const adjective = random.pick(ADJECTIVES);
  const noun = random.pick(NOUNS);
  const neighbors: Array<[string, number]> = [];
  for (let j = 0; j < NEIGHBORS_PER_ITEM; j++) neighbors.push([itemId(random.int(n)), Math.round((1 - j / NEIGHBORS_PER_ITEM) * 10_000) / 10_000]);

  return {
    id: itemId(i),
    title: `${brand} ${adjective} ${noun} model ${(i * 101) % 5000} for lab and workshop`,
    category,
    brand,
    price: Math.round((5 + random.next() * 195) * 100) / 100,
    tags: [department, `Group ${(i * 7) % 40}`, noun, brand],
    // Zipf-like counts: the item of rank r has about n / (r + 1) interactions, scaled as training does.
    stats: { popularity: Math.log1p(n / (popularityRank + 1)) / Math.log1p(n), trending: 0 },
    neighbors,
  };
}

async function writeItems(path: string, n: number, seed: number): Promise<void> {
  const random = createRandom(seed);
  const ranks = random.shuffle(Array.from({ length: n }, (_, i) => i));
  // Streamed line by line, because the whole file as one string would need hundreds of MB at 1M items.
  const stream = createWriteStream(path);
  stream.write('[');
  for (let i = 0; i < n; i++) {
    const line = `${i === 0 ? '' : ','}\n${JSON.stringify(syntheticItem(i, n, ranks[i], random))}`;
    if (!stream.write(line)) await once(stream, 'drain');
  }
  stream.end('\n]\n');
  await once(stream, 'finish');
}

async function writeVectors(path: string, vectors: Float32Array): Promise<void> {
  const bytes = Buffer.alloc(vectors.byteLength);
  for (let i = 0; i < vectors.length; i++) bytes.writeFloatLE(vectors[i], i * 4);
  await writeFile(path, bytes);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Files shared by every models directory of one vector set. */
interface CatalogFiles {
  dir: string;
  seed: number;
}

/**
 * Writes items.json, item_vectors.f32 and the placeholder models for a vector set into
 * `<cacheDir>/catalog-<set name>/`, unless a complete earlier run left them there.
 */
export async function prepareCatalogFiles(set: VectorSet, cacheDir: string, log: (line: string) => void): Promise<CatalogFiles> {
  const seed = 4242;
  const dir = join(cacheDir, `catalog-${set.name}`);
  const done = join(dir, 'complete.json');
  const stamp = JSON.stringify({ n: set.n, dim: set.dim, seed, neighbors: NEIGHBORS_PER_ITEM });
  if ((await exists(done)) && (await readFile(done, 'utf8')) === stamp) return { dir, seed };

  log(`  writing a synthetic catalog of ${set.n} items to ${dir}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeItems(join(dir, MODEL_FILES.items), set.n, seed);
  await writeVectors(join(dir, MODEL_FILES.vectors), set.vectors);
  await writeFile(join(dir, MODEL_FILES.userTower), PLACEHOLDER_MODEL);
  await writeFile(join(dir, MODEL_FILES.ranker), PLACEHOLDER_MODEL);
  await writeFile(done, stamp);
  return { dir, seed };
}

/**
 * Writes a models directory `<cacheDir>/models-<set name>-<label>/` that serves the catalog of
 * `files` with the FAISS index file `indexPath`: a manifest plus symbolic links, so several index
 * variants share one copy of the catalog. Returns the directory.
 */
export async function prepareModelsDir(set: VectorSet, files: CatalogFiles, indexPath: string, indexType: string, cacheDir: string): Promise<string> {
  const label = indexType.replace(/[^A-Za-z0-9]+/g, '_');
  const dir = join(cacheDir, `models-${set.name}-${label}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });

  const links: Array<[string, string]> = [
    [join(files.dir, MODEL_FILES.items), MODEL_FILES.items],
    [join(files.dir, MODEL_FILES.vectors), MODEL_FILES.vectors],
    [join(files.dir, MODEL_FILES.userTower), MODEL_FILES.userTower],
    [join(files.dir, MODEL_FILES.ranker), MODEL_FILES.ranker],
    [indexPath, MODEL_FILES.index],
  ];
  for (const [target, name] of links) await symlink(relative(dir, target), join(dir, name));

  const model = { sha256: createHash('sha256').update(PLACEHOLDER_MODEL).digest('hex'), bytes: PLACEHOLDER_MODEL.length };
  const manifest: Manifest = {
    format: 1,
    version: `bench-${set.name}-${label}`,
    dataset: `synthetic companion benchmark (${set.description})`,
    createdAt: new Date(0).toISOString(),
    dim: set.dim,
    seqLen: 50,
    usesAges: false,
    features: [],
    models: { userTower: { file: MODEL_FILES.userTower, ...model }, ranker: { file: MODEL_FILES.ranker, ...model } },
    catalog: { items: set.n, itemsFile: MODEL_FILES.items, vectorsFile: MODEL_FILES.vectors, indexFile: MODEL_FILES.index, indexType },
  };
  await writeFile(join(dir, MODEL_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  return dir;
}
