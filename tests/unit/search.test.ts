import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../../src/core/random.js';
import { reciprocalRankFusion, weightedFusion } from '../../src/server/fusion.js';
import { leaveOneOut } from '../../src/training/data/split.js';
import { addTypo, encodeTextsWithWeights, queryWordLists, sampleQuery, trainQueryEncoder } from '../../src/training/models/query-encoder.js';
import { exportQueryEncoder } from '../../src/training/models/query-encoder-onnx.js';
import { initTensorflow } from '../../src/training/models/tf.js';
import { CloseTerms } from '../../src/training/search/close-terms.js';
import { encodeQueryTexts, searchMetrics, type SearchMethod } from '../../src/training/search/evaluate-search.js';
import { hybridGains, renderSearchMarkdown, searchChart } from '../../src/training/report/search-report.js';
import type { SearchReport } from '../../src/training/search/run.js';
import { isSearchHeldOut, searchHeldOutItems } from '../../src/training/search/holdout.js';
import { buildSearchQueries } from '../../src/training/search/queries.js';

describe('weightedFusion', () => {
  const cosines = new Map([[1, 0.1], [2, 0.5], [3, 0.9], [4, 0.8], [5, -0.2]]);
  const cosine = (index: number) => cosines.get(index) ?? 0;

  it('sums the BM25 score over the best and the cosine of every candidate', () => {
    const bm25 = [{ index: 1, score: 10 }, { index: 2, score: 5 }];
    const vector = [{ index: 3, score: 0.9 }, { index: 4, score: 0.8 }];
    const fused = weightedFusion(bm25, vector, cosine, { bm25: 0.5, vector: 0.5 }, 10);
    // 1: 0.5·1 + 0.5·0.1 = 0.55; 2: 0.5·0.5 + 0.5·0.5 = 0.5; 3: 0.45; 4: 0.4.
    expect(fused.map((hit) => hit.index)).toEqual([1, 2, 3, 4]);
    expect(fused.map((hit) => hit.score)).toEqual([0.55, 0.5, 0.45, 0.4]);
  });

  it('scores a BM25 hit outside the vector list by its own cosine', () => {
    // Item 2 is not in the vector list, yet its cosine 0.5 lifts it above item 3 (vector only)
    // and item 1 (same BM25, cosine 0.1): 2: 0.3 + 0.35; 3: 0.63; 1: 0.3 + 0.07.
    const fused = weightedFusion([{ index: 1, score: 4 }, { index: 2, score: 4 }], [{ index: 3, score: 0.9 }], cosine, { bm25: 0.3, vector: 0.7 }, 3);
    expect(fused.map((hit) => hit.index)).toEqual([2, 3, 1]);
    expect(fused.map((hit) => hit.score)).toEqual([0.3 + 0.7 * 0.5, 0.7 * 0.9, 0.3 + 0.7 * 0.1]);
  });

  it('keeps k and handles empty lists without NaN', () => {
    expect(weightedFusion([], [{ index: 3, score: 0.9 }, { index: 5, score: -0.2 }], cosine, { bm25: 1, vector: 1 }, 1)).toEqual([{ index: 3, score: 0.9 }]);
    expect(weightedFusion([], [], cosine, { bm25: 1, vector: 1 }, 5)).toEqual([]);
    const zero = weightedFusion([{ index: 9, score: 0 }], [], cosine, { bm25: 1, vector: 1 }, 5);
    expect(zero).toEqual([{ index: 9, score: 0 }]);
  });

  it('favours one strong match over RRF', () => {
    const bm25 = [{ index: 1, score: 100 }, { index: 2, score: 1.1 }, { index: 3, score: 1 }];
    const vector = [{ index: 3, score: 0.9 }, { index: 2, score: 0.5 }, { index: 4, score: 0.8 }];
    expect(weightedFusion(bm25, vector, cosine, { bm25: 0.6, vector: 0.4 }, 1)[0].index).toBe(1);
    expect(reciprocalRankFusion([bm25.map((hit) => hit.index), vector.map((hit) => hit.index)], 1)[0].index).toBe(3);
  });
});

describe('search query sets', () => {
  const texts = [
    'gorilla glue waterproof bond ounce',
    'epoxy adhesive waterproof bond ounce',
    'gorilla tape waterproof duct',
    'super glue bond ounce gel',
    'adhesive spray bond ounce',
    'sanding roll grit abrasive',
    'sanding disc grit abrasive',
    'grinding wheel abrasive metal',
  ];

  it('drops words in most items', () => {
    const lists = queryWordLists([...texts, ...Array.from({ length: 12 }, (_, i) => `common item${i}`)]);
    expect(lists[0]).toEqual(['gorilla', 'glue', 'waterproof', 'bond', 'ounce']);
    expect(lists[8]).toEqual(['item0']);
  });

  it('finds a close term by context', () => {
    const close = new CloseTerms(texts.map((text) => text.split(' ')), 2);
    // "glue" and "adhesive" never share an item but share "waterproof", "bond" and "ounce".
    expect(close.closest('glue', new Set(['gorilla', 'glue', 'waterproof', 'bond', 'ounce']))).toBe('adhesive');
    expect(close.closest('unknown', new Set())).toBeUndefined();
  });

  it('adds one edit per typo', () => {
    const random = createRandom(3);
    for (let i = 0; i < 200; i++) {
      const typo = addTypo('waterproof', random);
      expect(typo).not.toBe('waterproof');
      expect(Math.abs(typo.length - 'waterproof'.length)).toBeLessThanOrEqual(1);
      expect(typo[0]).toBe('w');
    }
  });

  it('samples two to four words', () => {
    const random = createRandom(5);
    const words = ['gorilla', 'glue', 'waterproof', 'bond', 'ounce'];
    for (let i = 0; i < 100; i++) {
      const query = sampleQuery(words, random, 0).split(' ');
      expect(query.length).toBeGreaterThanOrEqual(2);
      expect(query.length).toBeLessThanOrEqual(4);
      const positions = query.map((word) => words.indexOf(word));
      expect(positions.every((position, j) => position >= 0 && (j === 0 || position > positions[j - 1]))).toBe(true);
    }
  });

  it('aligns the three query sets', () => {
    const ids = Array.from({ length: 400 }, (_, i) => `item-${i}`);
    const corpus = [...texts, 'wooden chair oak', 'steel bolt nut', 'cotton towel bath', 'glass vase flower'];
    const itemText = ids.map((_, i) => corpus[i % corpus.length]);
    const held = searchHeldOutItems(ids);
    expect(held.size).toBeGreaterThan(20);
    expect([...held].every((index) => isSearchHeldOut(ids[index]))).toBe(true);
    const users = leaveOneOut({
      name: 'tiny',
      items: ids.map((id) => ({ id })),
      itemText,
      sequences: Array.from({ length: 300 }, (_, u) => ({ user: `u${u}`, items: Int32Array.from([u % 400, (u * 7) % 400, (u * 13 + 1) % 400]) })),
      hasTimestamps: false,
      orderNote: '',
    });
    const sets = buildSearchQueries(users, queryWordLists(itemText), held, 50, 1);
    expect(sets.clean.length).toBeGreaterThan(0);
    sets.clean.forEach((query, i) => {
      expect(held.has(query.target)).toBe(true);
      expect(users[query.user].test).toBe(query.target);
      expect(sets.typo[i]).toMatchObject({ target: query.target, user: query.user });
      expect(sets.close[i].target).toBe(query.target);
      expect(sets.typo[i].text).not.toBe(query.text);
      expect(sets.close[i].text).not.toBe(query.text);
      expect(sets.typo[i].text.split(' ').length).toBe(query.text.split(' ').length);
    });
    expect(buildSearchQueries(users, queryWordLists(itemText), held, 50, 1)).toEqual(sets);
  });

  it('scores one target per query', () => {
    const queries = [{ text: 'a', target: 5, user: 0 }, { text: 'b', target: 9, user: 0 }, { text: 'c', target: 1, user: 0 }];
    const metrics = searchMetrics([[5, 1], [1, 2, 9], [7]], queries);
    expect(metrics['Recall@10']).toBeCloseTo(2 / 3, 12);
    expect(metrics['NDCG@10']).toBeCloseTo((1 + 1 / Math.log2(4)) / 3, 12);
  });
});

describe('query encoder', () => {
  const dim = 8;
  const itemText = ['red lipstick matte', 'blue denim jacket', 'green garden hose', 'black leather boots', 'white cotton shirt', 'yellow rain coat'];
  let itemVectors: Float32Array;

  beforeAll(async () => {
    await initTensorflow();
    const random = createRandom(1);
    itemVectors = new Float32Array(itemText.length * dim);
    for (let i = 0; i < itemText.length; i++) {
      let norm = 0;
      for (let d = 0; d < dim; d++) norm += (itemVectors[i * dim + d] = random.normal()) ** 2;
      for (let d = 0; d < dim; d++) itemVectors[i * dim + d] /= Math.sqrt(norm);
    }
  });

  it('finds items and exports to int8', async () => {
    const weights = trainQueryEncoder({ itemVectors, dim, itemText, excluded: new Set(), steps: 150, batchSize: 16, negatives: 4, textWeight: 1, learningRate: 0.05, temperature: 0.1, typoRate: 0.3, seed: 2 });
    const queries = ['denim jacket', 'garden hose', 'leather boots', 'rain coat'];
    const targets = [1, 2, 3, 5];
    const trained = encodeTextsWithWeights(weights, queries);
    const top = (vectors: Float32Array, q: number): number => {
      let best = -1;
      let bestScore = -Infinity;
      for (let i = 0; i < itemText.length; i++) {
        let score = 0;
        for (let d = 0; d < dim; d++) score += vectors[q * dim + d] * itemVectors[i * dim + d];
        if (score > bestScore) [best, bestScore] = [i, score];
      }
      return best;
    };
    queries.forEach((_, q) => expect(top(trained, q), queries[q]).toBe(targets[q]));

    const session = await ort.InferenceSession.create(exportQueryEncoder(weights));
    const exported = await encodeQueryTexts(session, queries);
    for (let i = 0; i < exported.length; i++) expect(Math.abs(exported[i] - trained[i])).toBeLessThan(0.02);
    const empty = await encodeQueryTexts(session, ['', '!!!']);
    expect(empty.every((value) => value === 0)).toBe(true);
    await session.release();
  });
});

describe('search report', () => {
  const row = (method: SearchMethod, queries: 'clean' | 'typo' | 'close', ndcgAt10: number) => ({ method, queries, count: 10, 'Recall@10': ndcgAt10, 'NDCG@10': ndcgAt10, msPerQuery: 1 });
  const report: SearchReport = {
    dataset: 'shop',
    rows: (['clean', 'typo', 'close'] as const).flatMap((set) => [
      row('bm25', set, 0.5),
      row('vector', set, 0.4),
      row('rrf', set, 0.6),
      row('weighted', set, 0.55),
      row('rrf+personal', set, 0.58),
      row('weighted+personal', set, 0.65),
    ]),
    weights: { bm25: 0.3, vector: 0.7 },
    personalWeight: 0.05,
    examples: [{ clean: 'red glue', typo: 'red gleu', close: 'red adhesive' }],
    command: 'aisle eval --task search --data shop',
    date: '2026-12-05T00:00:00Z',
  };

  it('gives the fusion gain per set', () => {
    const gains = hybridGains(report);
    expect(gains.map((gain) => gain.queries)).toEqual(['clean', 'typo', 'close']);
    expect(gains[0]).toMatchObject({ best: 'bm25', fusion: 'rrf', hybrid: 'weighted+personal' });
    expect(gains[0].fusionGain).toBeCloseTo(0.2, 12);
    expect(gains[0].gain).toBeCloseTo(0.3, 12);
  });

  it('draws one bar per method and set', () => {
    const svg = searchChart(report);
    // 18 bars, plus the background, the plot frame and 6 legend swatches.
    expect(svg.match(/<rect /g)).toHaveLength(18 + 2 + 6);
    expect(renderSearchMarkdown(report, 'chart.svg')).toContain('| clean (10) | rrf | 0.6000 | 0.6000 | 1.00 |');
  });
});
