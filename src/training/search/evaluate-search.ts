/**
 * The search evaluation (`aisle eval --task search`): each query of the three query sets
 * (queries.ts) targets one item. The methods:
 * - bm25: the companion's BM25 text search (server/text-search.ts);
 * - vector: the int8 ONNX query encoder, searched in the FAISS index the companion serves;
 * - rrf: reciprocal rank fusion of the two lists;
 * - weighted: weighted sum of min-max normalized scores, weights chosen on separate tuning queries;
 * - rrf+personal: the rrf list reranked for the query's user as the worker does (reranking.ts:
 *   RRF of the companion's order and the int8 ranker's order over the top SEARCH_RERANK_DEPTH).
 * Recall@10 and NDCG@10 with one relevant item per query (the target).
 */
import * as ort from 'onnxruntime-node';
import { FEATURE_COUNT, buildFeatureMatrix } from '../../core/features.js';
import { ndcg } from '../../core/metrics.js';
import { QUERY_ENCODER_IO, RANKER_IO, RANKER_OPTIMIZATION_LEVEL } from '../../core/model-dir.js';
import type { Candidate } from '../../core/types.js';
import { encodeTexts, TEXT_PIECES } from '../../core/text-pieces.js';
import type { FaissIndex } from '../../server/ann/faiss.js';
import { reciprocalRankFusion, weightedFusion, type FusedHit } from '../../server/fusion.js';
import { TextSearch } from '../../server/text-search.js';
import { rankSearchHits } from '../../worker/reranking.js';
import type { LeaveOneOutUser } from '../data/dataset.js';
import { historyFor } from '../data/split.js';
import { historyEntries } from '../pipeline/candidate-lists.js';
import type { Catalog } from '../pipeline/catalog.js';
import type { UserEncoder } from '../pipeline/user-encoder.js';
import { QUERY_SETS, type QuerySetName, type SearchQuery, type SearchQuerySets } from './queries.js';

/** Methods in report order. */
export const SEARCH_METHODS = ['bm25', 'vector', 'rrf', 'weighted', 'rrf+personal'] as const;
export type SearchMethod = (typeof SEARCH_METHODS)[number];

/** Depth of each retrieval list before fusion. */
export const SEARCH_LIST_DEPTH = 100;
/** Hits the worker requests from the companion and reranks, for k = 10: max(3k, 50). */
export const SEARCH_RERANK_DEPTH = 50;
/** bm25 weights tried for weighted fusion (the vector weight is 1 - w). */
export const WEIGHT_GRID = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/** One row of the search report. */
export interface SearchRow {
  method: SearchMethod;
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
  index: FaissIndex;
  queryEncoder: Uint8Array;
  ranker: Uint8Array;
  usesAges: boolean;
}

/** Retrieval lists of one query. */
interface QueryLists {
  bm25: Array<{ index: number; score: number }>;
  vector: Array<{ index: number; score: number }>;
  ms: { bm25: number; vector: number };
}

/** Runs every method on every query set; `tuning` queries choose the weighted fusion's weights. */
export async function evaluateSearch(
  users: readonly LeaveOneOutUser[],
  sets: SearchQuerySets,
  tuning: readonly SearchQuery[],
  models: SearchModels,
  log: (line: string) => void = () => {},
): Promise<{ rows: SearchRow[]; weights: { bm25: number; vector: number } }> {
  const text = new TextSearch(models.catalog.records);
  const querySession = await ort.InferenceSession.create(models.queryEncoder);
  const rankerSession = await ort.InferenceSession.create(models.ranker, { graphOptimizationLevel: RANKER_OPTIMIZATION_LEVEL });
  try {
    const retrieve = (queries: readonly SearchQuery[]) => retrieveAll(queries, text, querySession, models.index, models.catalog.dim);
    const tuned = tuneWeights(tuning, await retrieve(tuning));
    log(`search: weighted fusion weights bm25 ${tuned.bm25.toFixed(1)}, vector ${tuned.vector.toFixed(1)} (chosen on ${tuning.length} tuning queries)`);

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
        const weighted = weightedFusion([{ hits: bm25, weight: tuned.bm25 }, { hits: vector, weight: tuned.vector }], SEARCH_LIST_DEPTH);
        add('weighted', weighted.map((hit) => hit.index), performance.now() - started + ms.bm25 + ms.vector);
        started = performance.now();
        const personal = await personalRerank(users[query.user], rrf, models, rankerSession);
        add('rrf+personal', personal, performance.now() - started + rrfMs);
      }
      for (const method of SEARCH_METHODS) {
        const entry = results.get(method) as { ranked: number[][]; ms: number[] };
        rows.push({ method, queries: name, count: queries.length, ...searchMetrics(entry.ranked, queries), msPerQuery: mean(entry.ms) });
      }
      log(`search: ${name} queries done (${queries.length})`);
    }
    return { rows, weights: tuned };
  } finally {
    await querySession.release();
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
async function retrieveAll(queries: readonly SearchQuery[], text: TextSearch, session: ort.InferenceSession, index: FaissIndex, dim: number): Promise<QueryLists[]> {
  const started = performance.now();
  const vectors = await encodeQueryTexts(session, queries.map((query) => query.text));
  const encodeMs = (performance.now() - started) / Math.max(1, queries.length);
  const out: QueryLists[] = [];
  for (const [i, query] of queries.entries()) {
    let t = performance.now();
    const bm25 = text.search(query.text, SEARCH_LIST_DEPTH);
    const bm25Ms = performance.now() - t;
    t = performance.now();
    const hits = await index.search(vectors.subarray(i * dim, (i + 1) * dim), SEARCH_LIST_DEPTH);
    const vector = Array.from(hits.labels.subarray(hits.offsets[0], hits.offsets[1]), (label, j) => ({ index: label, score: hits.distances[hits.offsets[0] + j] })).filter((hit) => hit.index >= 0);
    out.push({ bm25, vector, ms: { bm25: bm25Ms, vector: performance.now() - t + encodeMs } });
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
function tuneWeights(queries: readonly SearchQuery[], lists: readonly QueryLists[]): { bm25: number; vector: number } {
  let best = { bm25: 0.5, vector: 0.5 };
  let bestScore = -1;
  for (const w of WEIGHT_GRID) {
    const ranked = lists.map(({ bm25, vector }) => weightedFusion([{ hits: bm25, weight: w }, { hits: vector, weight: 1 - w }], SEARCH_LIST_DEPTH).map((hit) => hit.index));
    const score = searchMetrics(ranked, queries)['NDCG@10'];
    if (score > bestScore) {
      bestScore = score;
      best = { bm25: w, vector: Number((1 - w).toFixed(10)) };
    }
  }
  return best;
}

/** Reranks the top SEARCH_RERANK_DEPTH fused hits for one user as the worker does. */
async function personalRerank(user: LeaveOneOutUser, fused: readonly FusedHit[], models: SearchModels, session: ort.InferenceSession): Promise<number[]> {
  const top = fused.slice(0, SEARCH_RERANK_DEPTH);
  if (top.length === 0) return [];
  const history = historyFor(user, 'test');
  const entries = historyEntries(history, models.catalog.records);
  const now = models.usesAges ? (user.sequence.timestamps?.[history.items.length] ?? 0) : 0;
  const userVector = await models.encoder.encode([{ history: entries, now }]);
  const candidates: Candidate[] = top.map((hit) => ({ item: models.catalog.records[hit.index], sources: ['search'] }));
  const features = buildFeatureMatrix({ userVector, history: entries, candidates });
  const output = await session.run({ [RANKER_IO.input]: new ort.Tensor('float32', features, [candidates.length, FEATURE_COUNT]) });
  const scores = Float64Array.from(output[RANKER_IO.output].data as Float32Array);
  const ranked = rankSearchHits(candidates, { scores, degraded: undefined }, candidates.length);
  const rest = fused.slice(SEARCH_RERANK_DEPTH).map((hit) => hit.index);
  return [...ranked.map((item) => models.catalog.indexById.get(item.id) as number), ...rest];
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((sum, v) => sum + v, 0) / values.length;
}
