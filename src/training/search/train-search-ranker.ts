/**
 * Trains the search ranker of a models directory. The queries are made from the text of items the
 * query encoder trained on, so the search-held-out items stay unseen for `aisle eval --task
 * search`. Each query runs through the companion's own BM25 and text-vector retrieval, every
 * candidate gets its features (server/fusion.ts searchCandidates), and fit-search-ranker.ts fits
 * the network.
 */
import { createRandom } from '../../core/random.js';
import type { SearchRankerJson } from '../../core/search-ranker.js';
import { TEXT_PIECES } from '../../core/text-pieces.js';
import type { ItemRecord } from '../../core/types.js';
import { tokenize } from '../../core/words.js';
import { FUSION_DEPTH, searchCandidates } from '../../server/fusion.js';
import { QueryEncoder } from '../../server/query-encoder.js';
import { SearchWords } from '../../server/search-words.js';
import { TextSearch } from '../../server/text-search.js';
import { TextVectorIndex } from '../../server/text-vectors.js';
import { CloseTerms } from './close-terms.js';
import { DEFAULT_FIT, fitSearchRanker, type FitOptions, type RankerExample } from './fit-search-ranker.js';
import { queryVariants } from './queries.js';

/** Items whose three query variants train the ranker, at most. */
export const SEARCH_RANKER_ITEMS = 5000;
/**
 * Query draws per item. On amazon-scientific, two draws and 32 hidden units raised the learned
 * fusion's NDCG@10 on clean queries from 0.743 to 0.753 against one draw and 16 units.
 */
export const SEARCH_RANKER_ROUNDS = 2;

/** Options of trainSearchRanker. */
export interface SearchRankerTraining {
  records: readonly ItemRecord[];
  /** Query words of each item (training/models/query-encoder.ts queryWordLists). */
  wordLists: readonly string[][];
  /** Items no training query may target. */
  excluded: ReadonlySet<number>;
  queryEncoder: Uint8Array;
  dim: number;
  items?: number;
  /** Query draws per item (each draw gives its clean, typo and close variants); default SEARCH_RANKER_ROUNDS. */
  rounds?: number;
  /** Changes to DEFAULT_FIT. */
  fit?: Partial<Omit<FitOptions, 'seed'>>;
  seed: number;
  log: (line: string) => void;
}

/** Builds the training queries, retrieves their candidates and fits the ranker. */
export async function trainSearchRanker(options: SearchRankerTraining): Promise<{ json: SearchRankerJson; validationNdcg: number; queries: number; covered: number }> {
  const started = Date.now();
  const random = createRandom(options.seed);
  const closeTerms = new CloseTerms(options.wordLists);
  const texts: Array<{ text: string; target: number }> = [];
  const pool = random.shuffle(options.records.map((_, i) => i)).filter((i) => !options.excluded.has(i) && options.wordLists[i].length >= 2);
  for (let round = 0; round < (options.rounds ?? SEARCH_RANKER_ROUNDS); round++) {
    for (const item of pool.slice(0, options.items ?? SEARCH_RANKER_ITEMS)) {
      const variants = queryVariants(options.wordLists[item], closeTerms, random);
      if (!variants) continue;
      for (const text of [variants.clean, variants.typo, variants.close]) texts.push({ text, target: item });
    }
  }

  const text = new TextSearch(options.records);
  const encoder = await QueryEncoder.load(options.queryEncoder, options.dim);
  const vectors = await TextVectorIndex.build(options.records, encoder);
  try {
    const queryVectors = await encoder.encodeMany(texts.map((query) => query.text), TEXT_PIECES.maxPieces);
    const view = new SearchWords(options.records);
    const examples: RankerExample[] = [];
    for (const [i, query] of texts.entries()) {
      const vector = queryVectors.subarray(i * encoder.dim, (i + 1) * encoder.dim);
      const bm25 = text.search(query.text, FUSION_DEPTH);
      const hits = await vectors.search(vector, FUSION_DEPTH);
      const { indices, features } = searchCandidates(tokenize(query.text), bm25, hits, (index) => vectors.score(vector, index), view);
      const target = indices.indexOf(query.target);
      if (target >= 0) examples.push({ features, rows: indices.length, target });
      if ((i + 1) % 1000 === 0) options.log(`search ranker: candidates of ${i + 1}/${texts.length} queries`);
    }
    options.log(`search ranker: ${examples.length} of ${texts.length} queries have their target among the candidates`);
    const fitted = fitSearchRanker(examples, { ...DEFAULT_FIT, ...options.fit, seed: options.seed, onProgress: options.log });
    options.log(`search ranker: held-back NDCG@10 ${fitted.validationNdcg.toFixed(4)} at epoch ${fitted.epochs} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    return { json: fitted.json, validationNdcg: fitted.validationNdcg, queries: texts.length, covered: examples.length };
  } finally {
    vectors.dispose();
    await encoder.close();
  }
}
