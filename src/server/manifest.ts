/**
 * Validation of manifest.json as the companion reads it. Every check names the field that failed,
 * so an operator can fix the file or re-run `aisle train`.
 */
import { AisleError } from '../core/errors.js';
import type { Manifest, ModelFileEntry } from '../core/types.js';

/** Largest dim the companion accepts; bounds request sizes and memory per item. */
export const MAX_DIM = 4096;

type Json = Record<string, unknown>;

function fail(field: string, expected: string, value: unknown, path: string): never {
  const found = value === undefined ? 'nothing' : JSON.stringify(value);
  throw new AisleError(
    'AISLE_MANIFEST_INVALID',
    `Reading ${path} failed: field \`${field}\` must be ${expected}, got ${found}. Fix the file or re-run \`aisle train\`.`,
    { details: { field, file: path } },
  );
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requireObject(parent: Json, key: string, field: string, path: string): Json {
  const value = parent[key];
  if (!isObject(value)) fail(field, 'an object', value, path);
  return value;
}

function requireString(parent: Json, key: string, field: string, path: string): string {
  const value = parent[key];
  if (typeof value !== 'string' || value.length === 0) fail(field, 'a non-empty string', value, path);
  return value;
}

function requireInteger(parent: Json, key: string, field: string, path: string, min: number, max: number): number {
  const value = parent[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(field, `an integer in [${min}, ${max}]`, value, path);
  }
  return value;
}

/**
 * Checks that a file name from the manifest is a plain name inside the models directory. The
 * companion serves some of these files over HTTP, so a name with a path separator or a leading
 * dot could expose files outside the directory.
 */
export function isPlainFileName(name: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,254}$/.test(name) && !name.includes('..');
}

function requireFileName(parent: Json, key: string, field: string, path: string): string {
  const value = requireString(parent, key, field, path);
  if (!isPlainFileName(value)) fail(field, 'a plain file name inside the models directory', value, path);
  return value;
}

function readModelEntry(parent: Json, key: string, field: string, path: string): ModelFileEntry {
  const entry = requireObject(parent, key, field, path);
  const file = requireFileName(entry, 'file', `${field}.file`, path);
  const sha256 = requireString(entry, 'sha256', `${field}.sha256`, path);
  if (!/^[0-9a-f]{64}$/.test(sha256)) fail(`${field}.sha256`, '64 lowercase hex digits', sha256, path);
  const bytes = requireInteger(entry, 'bytes', `${field}.bytes`, path, 0, Number.MAX_SAFE_INTEGER);
  return { file, sha256, bytes };
}

function readModels(raw: Json, path: string): Manifest['models'] {
  const models = requireObject(raw, 'models', 'models', path);
  const result: Manifest['models'] = {
    userTower: readModelEntry(models, 'userTower', 'models.userTower', path),
    ranker: readModelEntry(models, 'ranker', 'models.ranker', path),
  };
  if (models.rankerFp32 !== undefined) result.rankerFp32 = readModelEntry(models, 'rankerFp32', 'models.rankerFp32', path);
  if (models.queryEncoder !== undefined) result.queryEncoder = readModelEntry(models, 'queryEncoder', 'models.queryEncoder', path);
  if (models.itemContent !== undefined) result.itemContent = readModelEntry(models, 'itemContent', 'models.itemContent', path);
  if (models.searchRanker !== undefined) result.searchRanker = readModelEntry(models, 'searchRanker', 'models.searchRanker', path);
  return result;
}

function readCatalog(raw: Json, path: string): Manifest['catalog'] {
  const catalog = requireObject(raw, 'catalog', 'catalog', path);
  return {
    items: requireInteger(catalog, 'items', 'catalog.items', path, 0, 2 ** 31 - 1),
    itemsFile: requireFileName(catalog, 'itemsFile', 'catalog.itemsFile', path),
    vectorsFile: requireFileName(catalog, 'vectorsFile', 'catalog.vectorsFile', path),
    indexFile: requireFileName(catalog, 'indexFile', 'catalog.indexFile', path),
    indexType: requireString(catalog, 'indexType', 'catalog.indexType', path),
  };
}

/**
 * Validates parsed manifest.json and returns a typed copy. Throws AISLE_MANIFEST_INVALID naming
 * the first field that is missing or has a wrong value; `path` is only used in the message.
 */
export function parseManifest(raw: unknown, path: string): Manifest {
  if (!isObject(raw)) fail('(root)', 'a JSON object', raw, path);
  if (raw.format !== 1) fail('format', 'the number 1', raw.format, path);

  const features = raw.features;
  if (!Array.isArray(features) || !features.every((name) => typeof name === 'string')) {
    fail('features', 'an array of strings', features, path);
  }
  if (typeof raw.usesAges !== 'boolean') fail('usesAges', 'a boolean', raw.usesAges, path);

  return {
    format: 1,
    version: requireString(raw, 'version', 'version', path),
    dataset: requireString(raw, 'dataset', 'dataset', path),
    createdAt: requireString(raw, 'createdAt', 'createdAt', path),
    dim: requireInteger(raw, 'dim', 'dim', path, 1, MAX_DIM),
    seqLen: requireInteger(raw, 'seqLen', 'seqLen', path, 1, 100_000),
    usesAges: raw.usesAges,
    features: [...features],
    models: readModels(raw, path),
    catalog: readCatalog(raw, path),
  };
}

/** Lists every model file entry of a manifest, optional ones only when present. */
export function modelEntries(manifest: Manifest): ModelFileEntry[] {
  const { userTower, ranker, rankerFp32, queryEncoder, itemContent, searchRanker } = manifest.models;
  return [userTower, ranker, rankerFp32, queryEncoder, itemContent, searchRanker].filter((entry): entry is ModelFileEntry => entry !== undefined);
}

/** Lists the ONNX files named by a manifest, the only model files the companion serves. */
export function listModelFiles(manifest: Manifest): string[] {
  return modelEntries(manifest).map((entry) => entry.file);
}
