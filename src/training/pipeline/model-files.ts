/**
 * Writes a models directory (layout in core/model-dir.ts): model files, catalog files, the FAISS
 * index and manifest.json with the sha256 and size of every model file. The manifest version is
 * derived from the hashes of all files, so it changes whenever any file changes.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FEATURE_NAMES } from '../../core/features.js';
import { MODEL_FILES, type CatalogFileEntry } from '../../core/model-dir.js';
import type { Manifest, ModelFileEntry } from '../../core/types.js';

/** Everything the manifest states besides the file hashes. */
export interface ManifestFields {
  dataset: string;
  dim: number;
  seqLen: number;
  usesAges: boolean;
  items: number;
  indexType: string;
}

/** Returns the lowercase hex sha256 of `bytes`. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Writes `bytes` to `dir/file` and returns its manifest entry. */
export async function writeModelFile(dir: string, file: string, bytes: Uint8Array): Promise<ModelFileEntry> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, file), bytes);
  return { file, sha256: sha256(bytes), bytes: bytes.byteLength };
}

/** Writes items.json and item_vectors.f32 (little-endian float32 rows). */
export async function writeCatalogFiles(dir: string, entries: readonly CatalogFileEntry[], vectors: Float32Array): Promise<ModelFileEntry[]> {
  const json = new TextEncoder().encode(JSON.stringify(entries));
  const little = new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength);
  return [await writeModelFile(dir, MODEL_FILES.items, json), await writeModelFile(dir, MODEL_FILES.vectors, little)];
}

/**
 * Writes manifest.json. `models` are the entries of the user tower and the rankers. `others` are
 * the catalog and index entries: they enter the version hash, and the manifest lists them by name.
 */
export async function writeManifest(
  dir: string,
  fields: ManifestFields,
  models: { userTower: ModelFileEntry; ranker: ModelFileEntry; rankerFp32: ModelFileEntry; queryEncoder?: ModelFileEntry; itemContent?: ModelFileEntry; searchRanker?: ModelFileEntry },
  others: readonly ModelFileEntry[],
): Promise<Manifest> {
  const optional = [models.queryEncoder, models.itemContent, models.searchRanker].filter((entry): entry is ModelFileEntry => entry !== undefined);
  const all = [models.userTower, models.ranker, models.rankerFp32, ...optional, ...others];
  const version = sha256(new TextEncoder().encode(all.map((entry) => `${entry.file}:${entry.sha256}`).join('\n'))).slice(0, 16);
  const manifest: Manifest = {
    format: 1,
    version,
    dataset: fields.dataset,
    createdAt: new Date().toISOString(),
    dim: fields.dim,
    seqLen: fields.seqLen,
    usesAges: fields.usesAges,
    features: [...FEATURE_NAMES],
    models,
    catalog: {
      items: fields.items,
      itemsFile: MODEL_FILES.items,
      vectorsFile: MODEL_FILES.vectors,
      indexFile: MODEL_FILES.index,
      indexType: fields.indexType,
    },
  };
  await writeFile(join(dir, MODEL_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** Hashes a file already on disk (the FAISS index, which FAISS writes itself). */
export async function describeFile(dir: string, file: string): Promise<ModelFileEntry> {
  const bytes = await readFile(join(dir, file));
  return { file, sha256: sha256(bytes), bytes: bytes.byteLength };
}
