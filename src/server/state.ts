/**
 * Everything the companion loads from a models directory at start-up, checked as a whole: the
 * manifest, the catalog, the FAISS index, the BM25 index and the model files it serves. The state
 * is read-only while the server runs.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AisleError } from '../core/errors.js';
import { MODEL_FILES } from '../core/model-dir.js';
import type { Manifest, ModelFileEntry } from '../core/types.js';
import { AnnSource, type AnnSearchParams } from './ann-source.js';
import { Catalog, loadCatalog } from './catalog.js';
import { listModelFiles, parseManifest } from './manifest.js';
import { TextSearch } from './text-search.js';

/** The manifest as served over HTTP: the exact bytes read at start-up and their ETag. */
export interface ServedManifest {
  bytes: Buffer;
  etag: string;
}

/** Read-only data behind every route. */
export interface ServerState {
  modelsDir: string;
  manifest: Manifest;
  manifestFile: ServedManifest;
  catalog: Catalog;
  text: TextSearch;
  ann: AnnSource;
  /** Names of the .onnx files listed in the manifest, the only model files served. */
  modelFiles: ReadonlySet<string>;
}

async function readManifest(modelsDir: string): Promise<{ manifest: Manifest; served: ServedManifest }> {
  const path = join(modelsDir, MODEL_FILES.manifest);
  let bytes: Buffer;
  let raw: unknown;
  try {
    bytes = await readFile(path);
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new AisleError('AISLE_MANIFEST_INVALID', `Reading ${path} failed: ${(error as Error).message}. Pass --models a directory written by \`aisle train\`.`, {
      cause: error,
      details: { file: path },
    });
  }
  const etag = `"${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}"`;
  return { manifest: parseManifest(raw, path), served: { bytes, etag } };
}

async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

// The worker rejects a model whose bytes differ from the manifest, so a mismatch here would break
// every shopper's session later: fail at start-up instead.
async function checkModelFile(modelsDir: string, entry: ModelFileEntry): Promise<void> {
  const path = join(modelsDir, entry.file);
  let actual: string;
  try {
    actual = await sha256OfFile(path);
  } catch (error) {
    throw new AisleError('AISLE_MODEL_LOAD_FAILED', `Reading the model file ${path} listed in manifest.json failed: ${(error as Error).message}.`, {
      cause: error,
      details: { file: path },
    });
  }
  if (actual !== entry.sha256) {
    throw new AisleError(
      'AISLE_MODEL_CHECKSUM_MISMATCH',
      `The model file ${path} has sha256 ${actual}, but manifest.json lists ${entry.sha256}. Copy the models directory again or re-run \`aisle train\`.`,
      { details: { file: path, expected: entry.sha256, actual } },
    );
  }
}

/** Loads and checks a models directory; throws a coded AisleError naming the file that failed. */
export async function loadServerState(modelsDir: string, annParams: AnnSearchParams = {}): Promise<ServerState> {
  const { manifest, served } = await readManifest(modelsDir);
  const entries = [manifest.models.userTower, manifest.models.ranker, manifest.models.rankerFp32].filter((entry) => entry !== undefined);
  for (const entry of entries) await checkModelFile(modelsDir, entry);

  const catalog = await loadCatalog(modelsDir, manifest);
  const text = new TextSearch(catalog.items);
  const ann = await AnnSource.load(join(modelsDir, manifest.catalog.indexFile), {
    dim: manifest.dim,
    items: catalog.size,
    type: manifest.catalog.indexType,
  }, annParams);

  const modelFiles = new Set(listModelFiles(manifest).filter((file) => file.endsWith('.onnx')));
  return { modelsDir, manifest, manifestFile: served, catalog, text, ann, modelFiles };
}
