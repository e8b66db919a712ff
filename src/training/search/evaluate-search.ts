/**
 * The search evaluation (`aisle eval --task search`): each query of the three query sets
 * (queries.ts) targets one item. The methods:
 * - bm25: the companion's BM25 text search (server/text-search.ts);
 * - vector: the int8 ONNX query encoder, searched among the item text vectors the companion
 *   builds (server/text-vectors.ts);
 * - rrf: reciprocal rank fusion of the two lists;
 * - weighted: weighted sum of the BM25 score over the query's best and the cosine
 *   (server/fusion.ts), weights chosen on separate tuning queries;
 * - rrf+personal and weighted+personal: the fused list reranked for the query's user as the
 *   worker does (reranking.ts: the companion's order fused with the int8 ranker's order over the
 *   top SEARCH_RERANK_DEPTH of personal.ts).
 * Recall@10 and NDCG@10 with one relevant item per query (the target). When `@orama/orama` is
 * installed, the peer's rows (orama-peer.ts) follow ours in each query set.
 */
import * as ort from 'onnxruntime-node';
import { ndcg } from '../../core/metrics.js';
import { QUERY_ENCODER_IO, RANKER_OPTIMIZATION_LEVEL } from '../../core/model-dir.js';
import { encodeTexts, TEXT_PIECES } from '../../core/text-pieces.js';
import type { SearchRanker } from '../../core/search-ranker.js';
import { learnedFusion, reciprocalRankFusion, weightedFusion, type FusedHit, type ScoredHit } from '../../server/fusion.js';
import { QueryEncoder } from '../../server/query-encoder.js';
import { SearchWords } from '../../server/search-words.js';
import { TextSearch } from '../../server/text-search.js';
import { TextVectorIndex } from '../../server/text-vectors.js';
import { LEARNED_PERSONAL_WEIGHT, personalization, SEARCH_PERSONAL_WEIGHT, type SearchScoreScale } from '../../worker/reranking.js';
import type { LeaveOneOutUser } from '../data/dataset.js';
import type { Catalog } from '../pipeline/catalog.js';
import type { UserEncoder } from '../pipeline/user-encoder.js';
import { loadOrama, OramaPeer, type OramaMethod } from './orama-peer.js';
import { LEARNED_WEIGHT_GRID } from './tune-personal.js';
import { choosePersonalWeight, personalOrder, personalScores, type PersonalModels, type PersonalScores } from './personal.js';
import { QUERY_SETS, type QuerySetName, type SearchQuery, type SearchQuerySets } from './queries.js';

/** Methods in report order. */
export const SEARCH_METHODS = ['bm25', 'vector', 'rrf', 'weighted', 'learned', 'rrf+personal', 'weighted+personal', 'learned+personal'] as const;
export type SearchMethod = (typeof SEARCH_METHODS)[number];

/** Depth of each retrieval list before fusion. */
export const SEARCH_LIST_DEPTH = 100;
/** bm25 weights tried for weighted fusion (the vector weight is 1 - w). */
export const WEIGHT_GRID = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];
/** Personal weights tried on the tuning queries, reported beside the one the worker uses. */
export const PERSONAL_WEIGHT_GRID = [0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5];

/** One row of the search report. */
export interface SearchRow {
  method: SearchMethod | OramaMethod;
  queries: QuerySetName;
  count: number;
  'Recall@10': number;
  'NDCG@10': number;
  /** Mean milliseconds per query of the method's own work (fusion rows include their inputs). */
  msPerQuery: number;
}

/** Models and catalog that the search evaluation runs. */
export interface SearchModels {
  catalog: Catalog;
  encoder: UserEncoder;
  queryEncoder: Uint8Array;
  ranker: Uint8Array;
  /** The search ranker of the models directory; without it the learned rows are left out. */
  searchRanker?: SearchRanker;
  usesAges: boolean;
}

/** Retrieval lists of one query. */
interface QueryLists {
  bm25: ScoredHit[];
  vector: ScoredHit[];
  /** The query's unit vector. */
  query: Float32Array;
  /** `vector` includes `encode`, the query's share of the batched query encoding. */
  ms: { bm25: number; vector: number; encode: number };
}

/** Runs every method on every query set; `tuning` queries choose the weighted fusion's weights. */
export async function evaluateSearch(
  users: readonly LeaveOneOutUser[],
  sets: SearchQuerySets,
  tuning: readonly SearchQuery[],
  models: SearchModels,
  log: (line: string) => void = () => {},
): Promise<{ rows: SearchRow[]; weights: { bm25: number; vector: number }; personalWeight: number }> {
  const text = new TextSearch(models.catalog.records);
  const queryEncoder = await QueryEncoder.load(models.queryEncoder, models.catalog.dim);
  const textVectors = await TextVectorIndex.build(models.catalog.records, queryEncoder);
  const rankerSession = await ort.InferenceSession.create(models.ranker, { graphOptimizationLevel: RANKER_OPTIMIZATION_LEVEL });
  const personal: PersonalModels = { records: models.catalog.records, indexById: models.catalog.indexById, encoder: models.encoder, ranker: rankerSession, usesAges: models.usesAges };
  try {
    log(`search: ${textVectors.size} of ${models.catalog.records.length} items have a text vector`);
    const orama = await loadOrama(log);
    const peer = orama ? await OramaPeer.encodeAndBuild(orama, models.catalog.records, queryEncoder) : undefined;
    const view = new SearchWords(models.catalog.records);
    const retrieve = (queries: readonly SearchQuery[]) => retrieveAll(queries, text, queryEncoder, textVectors);
    const tuningLists = await retrieve(tuning);
    const tuned = tuneWeights(tuning, tuningLists, textVectors);
    log(`search: weighted fusion weights bm25 ${tuned.bm25.toFixed(1)}, vector ${tuned.vector.toFixed(1)} (chosen on ${tuning.length} tuning queries)`);
    const weightedFuse = ({ bm25, vector, query }: QueryLists) => weightedFusion(bm25, vector, (index) => textVectors.score(query, index), tuned, SEARCH_LIST_DEPTH);
    const tunedPersonal = await tunePersonalWeight(tuning, tuningLists, users, weightedFuse, PERSONAL_WEIGHT_GRID, 'ratio', personal);
    log(`search: personal weight ${tunedPersonal.weight} is best for weighted on the tuning queries (NDCG@10 ${PERSONAL_WEIGHT_GRID.map((w, i) => `${w}: ${tunedPersonal.ndcg[i].toFixed(4)}`).join(', ')}); the worker uses ${SEARCH_PERSONAL_WEIGHT}`);
    if (models.searchRanker) {
      const ranker = models.searchRanker;
      const learnedFuse = ({ bm25, vector, query }: QueryLists, request: SearchQuery) => learnedFusion(request.text, bm25, vector, (index) => textVectors.score(query, index), view, ranker, SEARCH_LIST_DEPTH);
      const learnedPersonal = await tunePersonalWeight(tuning, tuningLists, users, learnedFuse, LEARNED_WEIGHT_GRID, 'logit', personal);
      log(`search: personal weight ${learnedPersonal.weight} is best for learned on the tuning queries (NDCG@10 ${LEARNED_WEIGHT_GRID.map((w, i) => `${w}: ${learnedPersonal.ndcg[i].toFixed(4)}`).join(', ')}); the models' search ranker carries ${ranker.personalWeight ?? `none, so the worker uses ${LEARNED_PERSONAL_WEIGHT}`}`);
    }

    // The weight the worker uses with these models: the search ranker's own, else its default.
    const learnedWeight = personalization('learned', models.searchRanker?.personalWeight).weight;
    const rows: SearchRow[] = [];
    for (const name of QUERY_SETS) {
      const queries = sets[name];
      const lists = await retrieve(queries);
      const results = new Map<SearchMethod, { ranked: number[][]; ms: number[] }>();
      const add = (method: SearchMethod, ranked: number[], ms: number) => {
        const entry = results.get(method) ?? { ranked: [], ms: [] };
        entry.ranked.push(ranked);
        entry.ms.push(ms);
        results.set(method, entry);
      };
      for (const [i, query] of queries.entries()) {
        const { bm25, vector, ms } = lists[i];
        add('bm25', bm25.map((hit) => hit.index), ms.bm25);
        add('vector', vector.map((hit) => hit.index), ms.vector);
        let started = performance.now();
        const rrf = reciprocalRankFusion([bm25.map((hit) => hit.index), vector.map((hit) => hit.index)], SEARCH_LIST_DEPTH);
        const rrfMs = performance.now() - started + ms.bm25 + ms.vector;
        add('rrf', rrf.map((hit) => hit.index), rrfMs);
        started = performance.now();
        const weighted = weightedFusion(bm25, vector, (index) => textVectors.score(lists[i].query, index), tuned, SEARCH_LIST_DEPTH);
        const weightedMs = performance.now() - started + ms.bm25 + ms.vector;
        add('weighted', weighted.map((hit) => hit.index), weightedMs);
        let learnedMs = 0;
        let learned: FusedHit[] = [];
        if (models.searchRanker) {
          started = performance.now();
          learned = learnedFusion(query.text, bm25, vector, (index) => textVectors.score(lists[i].query, index), view, models.searchRanker, SEARCH_LIST_DEPTH);
          learnedMs = performance.now() - started + ms.bm25 + ms.vector;
          add('learned', learned.map((hit) => hit.index), learnedMs);
        }
        started = performance.now();
        add('rrf+personal', personalOrder(await personalScores(users[query.user], rrf, 'test', personal), SEARCH_PERSONAL_WEIGHT, personal.indexById), performance.now() - started + rrfMs);
        started = performance.now();
        add('weighted+personal', personalOrder(await personalScores(users[query.user], weighted, 'test', personal), SEARCH_PERSONAL_WEIGHT, personal.indexById), performance.now() - started + weightedMs);
        if (models.searchRanker) {
          started = performance.now();
          add('learned+personal', personalOrder(await personalScores(users[query.user], learned, 'test', personal), learnedWeight, personal.indexById, 'logit'), performance.now() - started + learnedMs);
        }
      }
      for (const method of SEARCH_METHODS) {
        const entry = results.get(method);
        if (!entry) continue;
        rows.push({ method, queries: name, count: queries.length, ...searchMetrics(entry.ranked, queries), msPerQuery: mean(entry.ms) });
      }
      if (peer) {
        const vectors = { vectors: lists.map((list) => list.query), encodeMs: lists[0]?.ms.encode ?? 0 };
        rows.push(...(await peer.evaluate(name, queries, vectors, tuned, SEARCH_LIST_DEPTH, searchMetrics)));
      }
      log(`search: ${name} queries done (${queries.length})`);
    }
    return { rows, weights: tuned, personalWeight: tunedPersonal.weight };
  } finally {
    textVectors.dispose();
    await queryEncoder.close();
    await rankerSession.release();
  }
}

/** Recall@10 and NDCG@10 of ranked lists against each query's single target. */
export function searchMetrics(ranked: readonly number[][], queries: readonly SearchQuery[]): { 'Recall@10': number; 'NDCG@10': number } {
  let recall = 0;
  let gain = 0;
  ranked.forEach((list, i) => {
    const rank = list.indexOf(queries[i].target);
    if (rank >= 0 && rank < 10) recall += 1;
    gain += ndcg(rank, 10);
  });
  const n = Math.max(1, ranked.length);
  return { 'Recall@10': recall / n, 'NDCG@10': gain / n };
}

/** BM25 and vector lists of every query; the query encoder runs once over all of them. */
async function retrieveAll(queries: readonly SearchQuery[], text: TextSearch, encoder: QueryEncoder, textVectors: TextVectorIndex): Promise<QueryLists[]> {
  const started = performance.now();
  const vectors = await encoder.encodeMany(queries.map((query) => query.text), TEXT_PIECES.maxPieces);
  const encodeMs = (performance.now() - started) / Math.max(1, queries.length);
  const out: QueryLists[] = [];
  for (const [i, query] of queries.entries()) {
    let t = performance.now();
    const bm25 = text.search(query.text, SEARCH_LIST_DEPTH);
    const bm25Ms = performance.now() - t;
    t = performance.now();
    const vector = vectors.subarray(i * encoder.dim, (i + 1) * encoder.dim);
    const hits = await textVectors.search(vector, SEARCH_LIST_DEPTH);
    out.push({ bm25, vector: hits, query: vector, ms: { bm25: bm25Ms, vector: performance.now() - t + encodeMs, encode: encodeMs } });
  }
  return out;
}

/** Runs the ONNX query encoder over texts and returns row-major [texts, D] vectors. */
export async function encodeQueryTexts(session: ort.InferenceSession, texts: readonly string[]): Promise<Float32Array> {
  const { ids, weights } = encodeTexts(texts);
  const width = TEXT_PIECES.maxPieces;
  const output = await session.run({
    [QUERY_ENCODER_IO.ids]: new ort.Tensor('int32', ids, [texts.length, width]),
    [QUERY_ENCODER_IO.weights]: new ort.Tensor('float32', weights, [texts.length, width]),
  });
  return output[QUERY_ENCODER_IO.output].data as Float32Array;
}

/** bm25 weight of the grid with the best mean NDCG@10 on the tuning queries (ties: the lower weight). */
function tuneWeights(queries: readonly SearchQuery[], lists: readonly QueryLists[], textVectors: TextVectorIndex): { bm25: number; vector: number } {
  let best = { bm25: 0.5, vector: 0.5 };
  let bestScore = -1;
  for (const w of WEIGHT_GRID) {
    const weights = { bm25: w, vector: 1 - w };
    const ranked = lists.map(({ bm25, vector, query }) => weightedFusion(bm25, vector, (index) => textVectors.score(query, index), weights, SEARCH_LIST_DEPTH).map((hit) => hit.index));
    const score = searchMetrics(ranked, queries)['NDCG@10'];
    if (score > bestScore) {
      bestScore = score;
      best = { bm25: w, vector: Number((1 - w).toFixed(10)) };
    }
  }
  return best;
}

/** Personal weight of `grid` with the best mean NDCG@10 of `fuse` + personal on the tuning queries. */
async function tunePersonalWeight(
  queries: readonly SearchQuery[],
  lists: readonly QueryLists[],
  users: readonly LeaveOneOutUser[],
  fuse: (lists: QueryLists, query: SearchQuery) => FusedHit[],
  grid: readonly number[],
  scale: SearchScoreScale,
  models: PersonalModels,
): Promise<{ weight: number; ndcg: number[] }> {
  const scored: PersonalScores[] = [];
  for (const [i, query] of queries.entries()) scored.push(await personalScores(users[query.user], fuse(lists[i], query), 'valid', models));
  return choosePersonalWeight(scored, queries.map((query) => query.target), grid, models.indexById, scale);
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, v) => sum + v, 0) / values.length;
}
