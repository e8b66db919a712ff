/**
 * Everything the companion loads from a models directory at start-up, checked as a whole: the
 * manifest, the catalog, the FAISS index, the BM25 index and the model files it serves. While the
 * server runs, only POST /v1/items changes it, by appending items (routes/add-items.ts).
 */
import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AisleError } from '../core/errors.js';
import { ITEM_CONTENT_IO, MODEL_FILES } from '../core/model-dir.js';
import type { Manifest, ModelFileEntry } from '../core/types.js';
import { AnnSource, type AnnOptions } from './ann-source.js';
import { Catalog, loadCatalog } from './catalog.js';
import { ItemJsonCache, PopularSnapshot } from './item-json.js';
import { listModelFiles, modelEntries, parseManifest } from './manifest.js';
import { TextSearch, type ItemText, type TextHit } from './text-search.js';
import { SearchWords } from './search-words.js';
import { parseSearchRanker, type SearchRanker } from '../core/search-ranker.js';
import { TextSearchClient } from './text-search-client.js';
import { QueryEncoder } from './query-encoder.js';
import { LiveItemJson } from './live/live-json.js';
import { LiveState, type LiveOptions } from './live/live-state.js';
import { TextVectorIndex } from './text-vectors.js';

/** BM25 search as the routes use it, in a worker thread or on the main thread. */
export interface TextSearcher {
  search(query: string, k: number): Promise<TextHit[]>;
  /** Indexes items appended to the catalog, in catalog order. */
  add(items: readonly ItemText[]): Promise<void>;
  close(): Promise<void>;
}

/** Thread that runs text search: 'worker' (a worker thread, the default) or 'inline' (the main thread). */
export type TextSearchMode = 'worker' | 'inline';

/** Options of loadServerState. */
export interface LoadOptions {
  ann?: AnnOptions;
  /** Keep each served item's JSON bytes for later responses. Default true. */
  itemJsonCache?: boolean;
  textSearch?: TextSearchMode;
  /** Logger for failures after start-up, such as a crashed text search worker. */
  log?: FastifyBaseLogger;
  /** Live counters and the event path. */
  live?: LiveOptions;
  /**
   * Version the manifest must have; another one rejects with AISLE_MANIFEST_INVALID. Set for the
   * extra model sets (model-sets.ts), whose version is their key in the config.
   */
  expectedVersion?: string;
  /**
   * Live counters of another state to use instead of new ones (`live` is then ignored), read at
   * each use, so they follow that state across its reloads. The returned state does not own
   * them and never closes them.
   */
  sharedLive?: () => LiveState;
}

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
  text: TextSearcher;
  ann: AnnSource;
  /** JSON texts of items, shared by every route that returns items. */
  itemJson: ItemJsonCache;
  /** JSON text of the popular list. */
  popular: PopularSnapshot;
  /** Names of the .onnx files listed in the manifest, the only model files served. */
  modelFiles: ReadonlySet<string>;
  /** Text to query vector, for searches that arrive without a vector; null when the models have none. */
  queryEncoder: QueryEncoder | null;
  /** Live counters fed by POST /v1/events. Call `live.close()` when done, unless `ownsLive` is false. */
  live: LiveState;
  /** False when `live` belongs to another state (LoadOptions.sharedLive); absent means true. */
  ownsLive?: boolean;
  /** Item JSON with live signals, and the cold-start list. */
  liveJson: LiveItemJson;
  /** The query encoder's vectors of the items' texts, searched by query vectors; null without a query encoder. */
  textVectors: TextVectorIndex | null;
  /** The item tower's content path, which gives items added after training their vectors; null when the models have none. */
  itemContent: QueryEncoder | null;
  /** The search ranker of the 'learned' fusion and the catalog words it reads; null when the models have none. */
  search: { ranker: SearchRanker; words: SearchWords } | null;
}

// Devices request an extra model set by its version, so a directory of another version would
// serve them the wrong models.
function checkVersion(modelsDir: string, manifest: Manifest, expected: string | undefined): void {
  if (expected === undefined || manifest.version === expected) return;
  throw new AisleError(
    'AISLE_MANIFEST_INVALID',
    `The models directory ${modelsDir} is configured as model set ${JSON.stringify(expected)} (modelSets), but its manifest.json has version ${JSON.stringify(manifest.version)}. Rename the key to ${JSON.stringify(manifest.version)} or point ${JSON.stringify(expected)} at the directory of that version.`,
    { details: { modelsDir, expected, actual: manifest.version } },
  );
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

async function startTextSearch(catalog: Catalog, mode: TextSearchMode, log?: FastifyBaseLogger): Promise<TextSearcher> {
  if (mode === 'worker') return TextSearchClient.start(catalog.items, (error) => log?.error({ err: error }, 'text search worker stopped; it restarts on the next search'));
  const inline = new TextSearch(catalog.items);
  let size = catalog.items.length;
  return {
    search: async (query, k) => inline.search(query, k),
    add: async (items) => {
      inline.add(size, items);
      size += items.length;
    },
    close: async () => {},
  };
}

/**
 * Loads and checks a models directory; throws a coded AisleError naming the file that failed.
 * The caller owns the returned FAISS index and text searcher: call `ann.dispose()` and
 * `text.close()` when done.
 */
export async function loadServerState(modelsDir: string, options: LoadOptions = {}): Promise<ServerState> {
  const { manifest, served } = await readManifest(modelsDir);
  checkVersion(modelsDir, manifest, options.expectedVersion);
  for (const entry of modelEntries(manifest)) await checkModelFile(modelsDir, entry);

  const catalog = await loadCatalog(modelsDir, manifest);
  const itemJson = new ItemJsonCache(catalog, { enabled: options.itemJsonCache });
  const ann = await AnnSource.load(join(modelsDir, manifest.catalog.indexFile), { dim: manifest.dim, items: catalog.size, type: manifest.catalog.indexType }, options.ann);
  let text: TextSearcher;
  try {
    text = await startTextSearch(catalog, options.textSearch ?? 'worker', options.log);
  } catch (error) {
    ann.dispose();
    throw new AisleError('AISLE_INTERNAL', `Starting the text search worker failed: ${(error as Error).message}. Pass textSearch: 'inline' to search on the main thread.`, { cause: error });
  }

  const modelFiles = new Set(listModelFiles(manifest).filter((file) => file.endsWith('.onnx')));
  let queryEncoder: QueryEncoder | null = null;
  let textVectors: TextVectorIndex | null = null;
  if (manifest.models.queryEncoder) {
    try {
      queryEncoder = await QueryEncoder.load(new Uint8Array(await readFile(join(modelsDir, manifest.models.queryEncoder.file))), manifest.dim);
      textVectors = await TextVectorIndex.build(catalog.items, queryEncoder);
    } catch (error) {
      textVectors?.dispose();
      await queryEncoder?.close();
      await text.close();
      ann.dispose();
      throw new AisleError('AISLE_MODEL_LOAD_FAILED', `Loading the query encoder ${join(modelsDir, manifest.models.queryEncoder.file)} failed: ${(error as Error).message}. Re-run \`aisle train\`.`, { cause: error });
    }
  }
  let itemContent: QueryEncoder | null = null;
  if (manifest.models.itemContent) {
    try {
      itemContent = await QueryEncoder.load(new Uint8Array(await readFile(join(modelsDir, manifest.models.itemContent.file))), manifest.dim, ITEM_CONTENT_IO.output);
    } catch (error) {
      textVectors?.dispose();
      await queryEncoder?.close();
      await text.close();
      ann.dispose();
      throw new AisleError('AISLE_MODEL_LOAD_FAILED', `Loading the item content model ${join(modelsDir, manifest.models.itemContent.file)} failed: ${(error as Error).message}. Re-run \`aisle train\`.`, { cause: error });
    }
  }
  let search: ServerState['search'] = null;
  if (manifest.models.searchRanker) {
    const path = join(modelsDir, manifest.models.searchRanker.file);
    try {
      search = { ranker: parseSearchRanker(JSON.parse(await readFile(path, 'utf8')), path), words: new SearchWords(catalog.items) };
    } catch (error) {
      textVectors?.dispose();
      await queryEncoder?.close();
      await itemContent?.close();
      await text.close();
      ann.dispose();
      if (error instanceof AisleError) throw error;
      throw new AisleError('AISLE_MODEL_LOAD_FAILED', `Loading the search ranker ${path} failed: ${(error as Error).message}. Re-run \`aisle train --only search-ranker\`.`, { cause: error });
    }
  }
  const state = { modelsDir, manifest, manifestFile: served, catalog, text, ann, itemJson, popular: new PopularSnapshot(catalog, itemJson), modelFiles, queryEncoder, textVectors, itemContent, search };
  const sharedLive = options.sharedLive;
  if (sharedLive) return { ...state, get live() { return sharedLive(); }, ownsLive: false, liveJson: new LiveItemJson(catalog, itemJson, sharedLive) };
  const live = new LiveState(catalog, options.live, (error) => options.log?.error({ err: error }, 'refreshing the live counters failed; the next flush retries'));
  return { ...state, live, liveJson: new LiveItemJson(catalog, itemJson, () => live) };
}
