/**
 * Offline evaluation of a trained model set on the test targets, with full ranking through the
 * evaluation harness. The model rows rank like the served pipeline. The ONNX user tower computes
 * the user vector, and FAISS ANN, co-visitation and popular items supply the candidates. A ranker
 * orders the candidates at the top, and every other item follows by user-tower score.
 *
 * Rows: `popularity` and `item-knn` (baselines), `user-tower` (retrieval scores only), then
 * `teacher` (ranker_teacher.onnx, when given), `student` (ranker_fp32.onnx) and `student-int8` (ranker.onnx, the
 * served ranker), all three over the same candidate lists.
 */
import * as ort from 'onnxruntime-node';
import { RANKER_IO, RANKER_OPTIMIZATION_LEVEL } from '../../core/model-dir.js';
import { FEATURE_COUNT } from '../../core/features.js';
import { itemKnnScorer } from '../baselines/item-knn.js';
import { popularityScorer } from '../baselines/popularity.js';
import type { LeaveOneOutUser } from '../data/dataset.js';
import { historyFor } from '../data/split.js';
import { ndcgCurve, summarizeRanks } from '../../core/metrics.js';
import { COLD_MAX_INTERACTIONS, distillationLoss, evaluateRanks, NDCG_CURVE_MAX_K, SAMPLED_NEGATIVES, type ModelEvaluation, type Scorer } from '../evaluate.js';
import type { FaissIndex } from '../../server/ann/faiss.js';
import { buildCandidateLists, type CandidateList } from './candidate-lists.js';
import type { Catalog } from './catalog.js';
import type { UserEncoder } from './user-encoder.js';

/** Models and catalog that the evaluation runs; rankers are ONNX model bytes. */
export interface EvaluationModels {
  catalog: Catalog;
  encoder: UserEncoder;
  index: FaissIndex;
  student: Uint8Array;
  studentInt8: Uint8Array;
  /** The teacher ranker (ranker_teacher.onnx); its row is left out when absent. */
  teacher?: Uint8Array;
  /** Whether histories carry real timestamps (then "now" is the target's time). */
  usesAges: boolean;
}

/** Candidates and ranker scores of one test user. */
interface ScoredList {
  items: Int32Array;
  userVector: Float32Array;
  scores: Map<string, Float32Array>;
}

/** Candidates are placed above every tower score (which lies in [-1, 1]) by this offset. */
const CANDIDATE_OFFSET = 2;

/** Seed of the sampled negatives; the same for every model, so all meet the same negatives. */
const SAMPLED_SEED = 12345;

/**
 * Evaluates the baselines and the model rows on the test targets of `users`: full-ranking rows,
 * the sampled secondary rows (when every user has SAMPLED_NEGATIVES unseen items) and NDCG@k curves.
 */
export async function evaluateModels(users: readonly LeaveOneOutUser[], models: EvaluationModels, log: (line: string) => void = () => {}): Promise<ModelEvaluation> {
  const itemCount = models.catalog.records.length;
  const evaluation: ModelEvaluation = { rows: [], sampledRows: [], curves: [] };
  const sampled = users.every((user) => itemCount - new Set(user.sequence.items).size >= SAMPLED_NEGATIVES) ? { negatives: SAMPLED_NEGATIVES, seed: SAMPLED_SEED } : undefined;
  const fullRanks = new Map<string, number[]>();
  const run = async (model: string, scorer: Scorer) => {
    const started = Date.now();
    const ranks = await evaluateRanks(users, itemCount, scorer, { split: 'test', sampled });
    fullRanks.set(model, ranks.full);
    evaluation.rows.push({ model, ...summarizeRanks(ranks.full) });
    if (ranks.sampled) evaluation.sampledRows.push({ model, ...summarizeRanks(ranks.sampled) });
    evaluation.curves.push({ model, ndcg: ndcgCurve(ranks.full, NDCG_CURVE_MAX_K) });
    log(`eval: ${model} NDCG@10 ${evaluation.rows[evaluation.rows.length - 1]['NDCG@10'].toFixed(4)} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  };

  await run('popularity', popularityScorer(users, itemCount));
  await run('item-knn', itemKnnScorer(users, itemCount));

  const lists = await scoreTestLists(users, models, log);
  await run('user-tower', (history) => towerScores(models.catalog, lists.get(history.user) as ScoredList));
  const rankers = [...(models.teacher ? ['teacher'] : []), 'student', 'student-int8'];
  for (const ranker of rankers) await run(ranker, (history) => rankedScores(models.catalog, lists.get(history.user) as ScoredList, ranker));
  const teacher = fullRanks.get('teacher');
  if (teacher) evaluation.distillation = distillationLoss(teacher, fullRanks.get('student-int8') as number[]);
  const cold = coldTargets(users, itemCount);
  if (cold.length > 0) {
    const rows = [...fullRanks].map(([model, ranks]) => ({ model, ...summarizeRanks(cold.map((user) => ranks[user])) }));
    evaluation.cold = { users: cold.length, rows };
  }
  return evaluation;
}

/** Positions of the users whose test target occurs at most COLD_MAX_INTERACTIONS times in all test histories. */
export function coldTargets(users: readonly LeaveOneOutUser[], itemCount: number): number[] {
  const counts = new Int32Array(itemCount);
  for (const user of users) for (const item of historyFor(user, 'test').items) counts[item]++;
  const out: number[] = [];
  users.forEach((user, i) => {
    if (counts[user.test] <= COLD_MAX_INTERACTIONS) out.push(i);
  });
  return out;
}

/** Builds every test user's candidate list and scores it with each ranker, `chunk` users at a time. */
async function scoreTestLists(users: readonly LeaveOneOutUser[], models: EvaluationModels, log: (line: string) => void, chunk = 1024): Promise<Map<string, ScoredList>> {
  const sessions = new Map<string, ort.InferenceSession>();
  const options = { graphOptimizationLevel: RANKER_OPTIMIZATION_LEVEL } as const;
  if (models.teacher) sessions.set('teacher', await ort.InferenceSession.create(models.teacher, options));
  sessions.set('student', await ort.InferenceSession.create(models.student, options));
  sessions.set('student-int8', await ort.InferenceSession.create(models.studentInt8, options));
  const out = new Map<string, ScoredList>();
  try {
    for (let start = 0; start < users.length; start += chunk) {
      const part = users.slice(start, start + chunk);
      const requests = part.map((user) => {
        const history = historyFor(user, 'test');
        const now = models.usesAges ? (user.sequence.timestamps?.[history.items.length] ?? 0) : 0;
        return { user: user.user, history, target: user.test, now };
      });
      const lists = await buildCandidateLists(models.catalog, models.encoder, models.index, requests);
      const scores: Record<string, Float32Array> = {};
      for (const [name, session] of sessions) scores[name] = await runOnnxRanker(session, lists);
      storeLists(out, lists, scores);
      log(`eval: candidate lists ${Math.min(start + chunk, users.length)}/${users.length}`);
    }
  } finally {
    for (const session of sessions.values()) await session.release();
  }
  return out;
}

function storeLists(out: Map<string, ScoredList>, lists: readonly CandidateList[], scores: Record<string, Float32Array>): void {
  let offset = 0;
  for (const list of lists) {
    const count = list.items.length;
    const perRanker = new Map(Object.entries(scores).map(([name, all]) => [name, all.slice(offset, offset + count)]));
    out.set(list.user, { items: list.items, userVector: list.userVector, scores: perRanker });
    offset += count;
  }
}

/** Scores the concatenated feature matrices of `lists` in one ONNX run (rows are independent). */
async function runOnnxRanker(session: ort.InferenceSession, lists: readonly CandidateList[]): Promise<Float32Array> {
  const features = concatFeatures(lists);
  const rows = features.length / FEATURE_COUNT;
  const output = await session.run({ [RANKER_IO.input]: new ort.Tensor('float32', features, [rows, FEATURE_COUNT]) });
  return output[RANKER_IO.output].data as Float32Array;
}

function concatFeatures(lists: readonly CandidateList[]): Float32Array {
  const total = lists.reduce((sum, list) => sum + list.features.length, 0);
  const out = new Float32Array(total);
  let offset = 0;
  for (const list of lists) {
    out.set(list.features, offset);
    offset += list.features.length;
  }
  return out;
}

/** cos(user vector, item vector) for every item. */
function towerScores(catalog: Catalog, list: ScoredList): Float32Array {
  const { vectors, dim } = catalog;
  const count = vectors.length / dim;
  const out = new Float32Array(count);
  for (let item = 0; item < count; item++) {
    let sum = 0;
    for (let d = 0; d < dim; d++) sum += vectors[item * dim + d] * list.userVector[d];
    out[item] = sum;
  }
  return out;
}

/** Tower scores with the candidates lifted above all others, ordered by the ranker. */
function rankedScores(catalog: Catalog, list: ScoredList, ranker: string): Float32Array {
  const out = towerScores(catalog, list);
  const scores = list.scores.get(ranker) as Float32Array;
  const lowest = Math.min(...scores);
  list.items.forEach((item, i) => (out[item] = CANDIDATE_OFFSET + scores[i] - lowest));
  return out;
}
