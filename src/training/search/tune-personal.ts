/**
 * Chooses the personal weight of a search ranker: how much the shopper's ranker score moves the
 * learned fusion's order in the worker (reranking.ts rankSearchHits, 'logit' scale). `aisle train`
 * builds the three query variants (queries.ts) for users' validation items and runs them through
 * the companion's retrieval and learned fusion. The int8 ranker scores the top hits for each
 * user's history before that item, and the grid weight with the best NDCG@10 wins. The targets
 * are items the query encoder trained on, so the evaluation's held-out items stay unseen.
 */
import * as ort from 'onnxruntime-node';
import { RANKER_OPTIMIZATION_LEVEL } from '../../core/model-dir.js';
import { SearchRanker, type SearchRankerJson } from '../../core/search-ranker.js';
import { TEXT_PIECES } from '../../core/text-pieces.js';
import type { ItemRecord } from '../../core/types.js';
import { FUSION_DEPTH, learnedFusion } from '../../server/fusion.js';
import { QueryEncoder } from '../../server/query-encoder.js';
import { SearchWords } from '../../server/search-words.js';
import { TextSearch } from '../../server/text-search.js';
import { TextVectorIndex } from '../../server/text-vectors.js';
import type { LeaveOneOutUser } from '../data/dataset.js';
import type { UserEncoder } from '../pipeline/user-encoder.js';
import { choosePersonalWeight, personalScores, type PersonalScores } from './personal.js';
import { buildSearchQueries, QUERY_SETS } from './queries.js';

/** Personal weights tried; the learned fusion's scores are logits, so the useful range is wide. */
export const LEARNED_WEIGHT_GRID = [0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.65, 0.8, 1, 1.25, 1.5, 2];
/** Validation items asked for, at most; each is asked in the three variants. */
export const PERSONAL_TUNING_QUERIES = 800;

/** Inputs of chooseSearchPersonalWeight. */
export interface PersonalTuning {
  users: readonly LeaveOneOutUser[];
  records: readonly ItemRecord[];
  indexById: ReadonlyMap<string, number>;
  /** Query words of each item (queryWordLists). */
  wordLists: readonly string[][];
  /** Items no tuning query may target (the search-held-out items). */
  excluded: ReadonlySet<number>;
  queryEncoder: Uint8Array;
  dim: number;
  searchRanker: SearchRankerJson;
  encoder: UserEncoder;
  /** The int8 ranker's ONNX bytes, as the worker runs it. */
  ranker: Uint8Array;
  usesAges: boolean;
  seed: number;
  queries?: number;
  log: (line: string) => void;
}

/** Returns the chosen weight, every grid weight's NDCG@10 and the number of queries asked. */
export async function chooseSearchPersonalWeight(options: PersonalTuning): Promise<{ weight: number; grid: readonly number[]; ndcg: number[]; queries: number }> {
  const started = Date.now();
  const allowed = new Set<number>();
  options.records.forEach((_, index) => {
    if (!options.excluded.has(index)) allowed.add(index);
  });
  const sets = buildSearchQueries(options.users, options.wordLists, allowed, options.queries ?? PERSONAL_TUNING_QUERIES, options.seed, 'valid');
  const queries = QUERY_SETS.flatMap((name) => sets[name]);
  if (queries.length === 0) return { weight: 0, grid: LEARNED_WEIGHT_GRID, ndcg: LEARNED_WEIGHT_GRID.map(() => 0), queries: 0 };

  const text = new TextSearch(options.records);
  const queryEncoder = await QueryEncoder.load(options.queryEncoder, options.dim);
  const vectors = await TextVectorIndex.build(options.records, queryEncoder);
  const session = await ort.InferenceSession.create(options.ranker, { graphOptimizationLevel: RANKER_OPTIMIZATION_LEVEL });
  try {
    const ranker = new SearchRanker(options.searchRanker);
    const view = new SearchWords(options.records);
    const models = { records: options.records, indexById: options.indexById, encoder: options.encoder, ranker: session, usesAges: options.usesAges };
    const queryVectors = await queryEncoder.encodeMany(queries.map((query) => query.text), TEXT_PIECES.maxPieces);
    const scored: PersonalScores[] = [];
    for (const [i, query] of queries.entries()) {
      const vector = queryVectors.subarray(i * options.dim, (i + 1) * options.dim);
      const bm25 = text.search(query.text, FUSION_DEPTH);
      const hits = await vectors.search(vector, FUSION_DEPTH);
      const fused = learnedFusion(query.text, bm25, hits, (index) => vectors.score(vector, index), view, ranker, FUSION_DEPTH);
      scored.push(await personalScores(options.users[query.user], fused, 'valid', models));
      if ((i + 1) % 500 === 0) options.log(`search personal weight: ${i + 1}/${queries.length} queries scored`);
    }
    const chosen = choosePersonalWeight(scored, queries.map((query) => query.target), LEARNED_WEIGHT_GRID, options.indexById, 'logit');
    const table = LEARNED_WEIGHT_GRID.map((weight, i) => `${weight}: ${chosen.ndcg[i].toFixed(4)}`).join(', ');
    options.log(`search personal weight: ${chosen.weight} on ${queries.length} queries (NDCG@10 ${table}; ${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return { weight: chosen.weight, grid: LEARNED_WEIGHT_GRID, ndcg: chosen.ndcg, queries: queries.length };
  } finally {
    vectors.dispose();
    await queryEncoder.close();
    await session.release();
  }
}
