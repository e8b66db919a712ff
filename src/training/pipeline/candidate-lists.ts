/**
 * Candidate lists built the way the served pipeline builds them. The ONNX user tower computes the
 * user vector, which is searched in the FAISS index written for the companion. Core's
 * `mergeCandidates` adds the co-visitation neighbors of the recent history and the popular items,
 * and core's `buildFeatureMatrix` computes the features. Ranker training reads these lists for
 * the validation target and the evaluation for the test target.
 */
import { mergeCandidates, RETRIEVAL } from '../../core/candidates.js';
import { buildFeatureMatrix } from '../../core/features.js';
import type { HistoryEntry, ItemRecord } from '../../core/types.js';
import { SEQUENCE_EVENT_TYPES } from '../../core/types.js';
import type { FaissIndex } from '../../server/ann/faiss.js';
import type { UserSequence } from '../data/dataset.js';
import type { Catalog } from './catalog.js';
import type { UserEncoder } from './user-encoder.js';

/** One user's request: the history given to the models, the target item, and the request time. */
export interface ListRequest {
  user: string;
  history: UserSequence;
  target: number;
  /** ms since the epoch; 0 when the dataset has no timestamps. */
  now: number;
}

/** The candidates of one request and their features. */
export interface CandidateList {
  user: string;
  /** Candidate item indices, in merge order. */
  items: Int32Array;
  /** Row-major [items.length, F] feature matrix. */
  features: Float32Array;
  /** Position of the target in `items`, or -1 when retrieval missed it. */
  label: number;
  /** The L2-normalized user vector. */
  userVector: Float32Array;
}

/** efSearch for HNSW indexes during offline retrieval: the value `aisle train` stores in the index, which the companion serves with. */
export const OFFLINE_EF_SEARCH = RETRIEVAL.efSearch;

/** Joins a history's item indices with their records, event types and timestamps. */
export function historyEntries(history: UserSequence, records: readonly ItemRecord[]): HistoryEntry[] {
  return Array.from(history.items, (item, i) => ({
    item: records[item],
    type: history.types?.[i] ?? SEQUENCE_EVENT_TYPES[0],
    timestamp: history.timestamps?.[i] ?? 0,
  }));
}

/**
 * Builds the candidate lists of `requests` in the same order, `chunk` users per tower and FAISS
 * call. After each chunk, `onProgress` receives the number of lists done.
 */
export async function buildCandidateLists(
  catalog: Catalog,
  encoder: UserEncoder,
  index: FaissIndex,
  requests: readonly ListRequest[],
  onProgress: (done: number) => void = () => {},
  chunk = 512,
): Promise<CandidateList[]> {
  const lists: CandidateList[] = [];
  for (let start = 0; start < requests.length; start += chunk) {
    const part = requests.slice(start, start + chunk);
    const histories = part.map((request) => historyEntries(request.history, catalog.records));
    const userVectors = await encoder.encode(part.map((request, i) => ({ history: histories[i], now: request.now })));
    const hits = await index.search(userVectors, RETRIEVAL.annK, index.kind === 'hnsw' ? { efSearch: OFFLINE_EF_SEARCH } : {});

    part.forEach((request, row) => {
      const ann: Array<{ item: ItemRecord; score: number }> = [];
      for (let slot = hits.offsets[row]; slot < hits.offsets[row + 1]; slot++) ann.push({ item: catalog.records[hits.labels[slot]], score: hits.distances[slot] });
      const userVector = userVectors.slice(row * catalog.dim, (row + 1) * catalog.dim);
      const candidates = mergeCandidates(histories[row], { ann, itemsById: catalog.byId, popular: catalog.popular });
      const items = Int32Array.from(candidates, (candidate) => catalog.indexById.get(candidate.item.id) as number);
      lists.push({
        user: request.user,
        items,
        features: buildFeatureMatrix({ userVector, history: histories[row], candidates }),
        label: items.indexOf(request.target),
        userVector,
      });
    });
    onProgress(lists.length);
  }
  return lists;
}
