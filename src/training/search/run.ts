/**
 * The steps of `aisle eval --task search` for one dataset: load (or train) the models, build the
 * query sets, evaluate every method and return the report entry.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AisleError } from '../../core/errors.js';
import { parseSearchRanker, type SearchRanker } from '../../core/search-ranker.js';
import type { ModelFileEntry } from '../../core/types.js';
import { leaveOneOut } from '../data/split.js';
import { queryWordLists } from '../models/query-encoder.js';
import { sha256 } from '../pipeline/model-files.js';
import { checkSameCatalog, loadModels } from '../pipeline/load-models.js';
import { loadTrainingData } from '../train.js';
import { evaluateSearch, type SearchRow } from './evaluate-search.js';
import { searchHeldOutItems } from './holdout.js';
import { buildSearchQueries } from './queries.js';

/** Seeds of the evaluated query sets and of the tuning queries for weighted fusion. */
export const SEARCH_QUERY_SEED = 7;
export const TUNING_QUERY_SEED = 8;
/** Tuning queries for the weighted fusion's weights. */
export const TUNING_QUERIES = 300;

/** The search report of one dataset. */
export interface SearchReport {
  dataset: string;
  rows: SearchRow[];
  /** Weights of the weighted fusion, chosen on the tuning queries. */
  weights: { bm25: number; vector: number };
  /** Personal weight with the best NDCG@10 on the tuning queries (the rows use the worker's SEARCH_PERSONAL_WEIGHT). */
  personalWeight: number;
  /** A few queries of each set, to show what was asked. */
  examples: Array<{ clean: string; typo: string; close: string }>;
  command: string;
  date: string;
}

/** Options of `evaluateSearchTask`. */
export interface SearchRunOptions {
  data: string;
  /** A models directory with a query encoder. */
  models: string;
  maxUsers?: number;
  seed: number;
  /** Queries per set. */
  queries: number;
  command: string;
  log: (line: string) => void;
}

/** Evaluates search on the dataset with the models in `options.models`. */
export async function evaluateSearchTask(options: SearchRunOptions): Promise<SearchReport> {
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const dataset = await loadTrainingData(options.data, options.maxUsers, options.seed);
  const models = await loadModels(options.models);
  try {
    checkSameCatalog(dataset, models.catalog);
    const entry = models.manifest.models.queryEncoder;
    if (!entry) {
      throw new AisleError(
        'AISLE_NOT_FOUND',
        `aisle eval --task search: the models in ${options.models} have no query encoder (trained with --query-steps 0, before it existed, or on a dataset with too little item text); retrain with \`aisle train\`.`,
      );
    }
    const queryEncoder = new Uint8Array(await readFile(join(options.models, entry.file)));
    if (sha256(queryEncoder) !== entry.sha256) {
      throw new AisleError('AISLE_MODEL_CHECKSUM_MISMATCH', `Loading ${join(options.models, entry.file)} failed: its sha256 differs from manifest.json; retrain or restore the file.`);
    }

    const users = leaveOneOut(dataset);
    const words = queryWordLists(dataset.itemText);
    const heldOut = searchHeldOutItems(dataset.items.map((item) => item.id));
    const sets = buildSearchQueries(users, words, heldOut, options.queries, SEARCH_QUERY_SEED);
    if (sets.clean.length === 0) {
      throw new AisleError('AISLE_DATA_INVALID', `aisle eval --task search: no test item of ${dataset.name} is held out with two or more words of text, so there is nothing to ask for; use a dataset with item text.`);
    }
    // Tuning queries target validation items that no evaluated query targets.
    const evaluated = new Set(sets.clean.map((query) => query.target));
    const tuning = buildSearchQueries(users, words, heldOut, 3 * TUNING_QUERIES, TUNING_QUERY_SEED, 'valid').clean.filter((query) => !evaluated.has(query.target)).slice(0, TUNING_QUERIES);
    options.log(`search: ${sets.clean.length} queries per set, ${tuning.length} tuning queries, ${heldOut.size} items held out from the query encoder`);

    const searchRanker = await loadSearchRanker(options.models, models.manifest.models.searchRanker, options.log);
    const { rows, weights, personalWeight } = await evaluateSearch(users, sets, tuning, { ...models, ranker: models.studentInt8, queryEncoder, searchRanker, usesAges: models.manifest.usesAges }, options.log);
    const examples = sets.clean.slice(0, 5).map((query, i) => ({ clean: query.text, typo: sets.typo[i].text, close: sets.close[i].text }));
    return { dataset: dataset.name, rows, weights, personalWeight, examples, command: options.command, date };
  } finally {
    await models.dispose();
  }
}

/** Loads the search ranker a manifest lists, checked against its sha256; returns undefined when it lists none. */
async function loadSearchRanker(dir: string, entry: ModelFileEntry | undefined, log: (line: string) => void): Promise<SearchRanker | undefined> {
  if (!entry) {
    log(`search: ${dir} has no search ranker, so the learned rows are left out; add one with \`aisle train --only search-ranker\``);
    return undefined;
  }
  const path = join(dir, entry.file);
  const bytes = new Uint8Array(await readFile(path));
  if (sha256(bytes) !== entry.sha256) {
    throw new AisleError('AISLE_MODEL_CHECKSUM_MISMATCH', `Loading ${path} failed: its sha256 differs from manifest.json; retrain or restore the file.`);
  }
  return parseSearchRanker(JSON.parse(new TextDecoder().decode(bytes)), path);
}
