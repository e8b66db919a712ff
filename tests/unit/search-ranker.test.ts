import { describe, expect, it } from 'vitest';
import { AisleError } from '../../src/core/errors.js';
import { editDistanceWithin, itemWords, queryRarity, SEARCH_FEATURE_COUNT, SEARCH_FEATURES, wordMatch, writeSearchFeatures } from '../../src/core/search-features.js';
import { parseSearchRanker, SEARCH_RANKER_FORMAT, SEARCH_RANKER_VERSION, type SearchRankerJson } from '../../src/core/search-ranker.js';
import { learnedFusion } from '../../src/server/fusion.js';
import { SearchWords } from '../../src/server/search-words.js';
import { fitSearchRanker, validationScore, type RankerExample } from '../../src/training/search/fit-search-ranker.js';
import { personalization, rankSearchHits } from '../../src/worker/reranking.js';
import { voteTags } from '../../src/core/tags.js';
import type { Candidate, ItemRecord } from '../../src/core/types.js';

const feature = (name: (typeof SEARCH_FEATURES)[number]) => SEARCH_FEATURES.indexOf(name);

/** Builds a ranker that sums `weights` over the named raw features (mean 0, scale 1, no hidden units). */
function linearRanker(weights: Partial<Record<(typeof SEARCH_FEATURES)[number], number>>): SearchRankerJson {
  const linear = new Array<number>(SEARCH_FEATURE_COUNT).fill(0);
  for (const [name, weight] of Object.entries(weights)) linear[feature(name as (typeof SEARCH_FEATURES)[number])] = weight as number;
  return {
    format: SEARCH_RANKER_FORMAT, version: SEARCH_RANKER_VERSION, features: [...SEARCH_FEATURES],
    mean: new Array<number>(SEARCH_FEATURE_COUNT).fill(0), scale: new Array<number>(SEARCH_FEATURE_COUNT).fill(1),
    linear, hidden: [], hiddenBias: [], output: [], outputBias: 0,
  };
}

describe('text-match features', () => {
  it('counts a swap of two adjacent letters as one edit', () => {
    expect(editDistanceWithin('glue', 'gule', 1)).toBe(true);
    expect(editDistanceWithin('glue', 'glu', 1)).toBe(true);
    expect(editDistanceWithin('kitten', 'sitting', 2)).toBe(false);
    expect(editDistanceWithin('kitten', 'sitting', 3)).toBe(true);
    expect(editDistanceWithin('abc', 'abcdef', 2)).toBe(false);
  });

  it('grades a word match: exact, prefix, typo, none', () => {
    expect(wordMatch('glue', 'glue')).toBe(3);
    expect(wordMatch('adhes', 'adhesive')).toBe(2);
    expect(wordMatch('ad', 'adhesive')).toBe(0);
    expect(wordMatch('gleu', 'glue')).toBe(1);
    expect(wordMatch('cat', 'cot')).toBe(0);
    expect(wordMatch('waterproff', 'waterproof')).toBe(1);
  });

  it('writes the features of one candidate', () => {
    const words = itemWords({ title: 'Gorilla Glue, Waterproof', category: 'Adhesives', brand: 'Gorilla', tags: ['bond'] });
    expect(words).toEqual({ title: ['gorilla', 'glue', 'waterproof'], other: ['adhesives', 'gorilla', 'bond'], distinct: ['gorilla', 'glue', 'waterproof', 'adhesives', 'bond'] });
    const out = new Float32Array(SEARCH_FEATURE_COUNT);
    const query = ['glue', 'gorila', 'bond', 'epoxy'];
    writeSearchFeatures(out, 0, query, [1, 1, 2, 4], words, { popularity: 0.25 }, { bm25: 0.5, bm25Rank: 1, cosine: 0.6, bestCosine: 0.8, vectorRank: -1 });
    const value = (name: (typeof SEARCH_FEATURES)[number]) => out[feature(name)];
    expect(value('bm25')).toBe(0.5);
    expect(value('bm25Rank')).toBe(0.5);
    expect(value('cosine')).toBeCloseTo(0.6, 6);
    expect(value('cosineGap')).toBeCloseTo(-0.2, 6);
    expect(value('vectorRank')).toBe(0);
    // glue: exact in the title; gorila: a typo of the title's gorilla; bond: exact in the tags; epoxy: none.
    expect(value('exact')).toBe(0.5);
    expect(value('matched')).toBe(0.75);
    expect(value('matchedRare')).toBe(0.5);
    expect(value('typos')).toBe(0.25);
    expect(value('titleExact')).toBe(0.25);
    expect(value('titleMatched')).toBe(0.5);
    expect(value('titleMatchedRare')).toBe(0.25);
    expect(value('allMatched')).toBe(0);
    // glue at title word 1, then gorila at title word 0: out of order; bond and epoxy have no title position.
    expect(value('ordered')).toBe(0);
    expect(value('titleCoverage')).toBeCloseTo(2 / 3, 6);
    expect(value('titleLength')).toBeCloseTo(Math.log1p(3) / Math.log1p(64), 6);
    // gorilla, glue and bond of the five distinct words.
    expect(value('textCoverage')).toBeCloseTo(3 / 5, 6);
    expect(value('textLength')).toBeCloseTo(Math.log1p(5) / Math.log1p(64), 6);
    expect(value('popularity')).toBe(0.25);
    expect(value('queryWords')).toBe(0.5);

    // The memo of word grades gives the same row, twice over.
    const memo = query.map(() => new Map<string, number>());
    for (let round = 0; round < 2; round++) {
      const again = new Float32Array(SEARCH_FEATURE_COUNT);
      writeSearchFeatures(again, 0, query, [1, 1, 2, 4], words, { popularity: 0.25 }, { bm25: 0.5, bm25Rank: 1, cosine: 0.6, bestCosine: 0.8, vectorRank: -1 }, memo);
      expect(again).toEqual(out);
    }
    expect(memo[1].get('gorilla')).toBe(1);
  });

  it('weighs rare query words more', () => {
    const frequency = new Map([['glue', 50], ['epoxy', 2]]);
    const rarity = queryRarity(['glue', 'epoxy', 'gleu'], (word) => frequency.get(word) ?? 0, 100);
    expect(Array.from(rarity)).toEqual([Math.log(1 + 100 / 51), Math.log(1 + 100 / 3), Math.log(1 + 100 / 2)]);
  });
});

describe('search ranker', () => {
  it('scores rows with the linear term and the hidden layer', () => {
    const json = linearRanker({ matched: 2 });
    json.hidden = Array.from({ length: SEARCH_FEATURE_COUNT }, (_, i) => (i === feature('cosine') ? 1 : 0));
    json.hiddenBias = [-0.5];
    json.output = [3];
    json.outputBias = 0.1;
    const ranker = parseSearchRanker(json, 'search_ranker.json');
    const rows = new Float32Array(2 * SEARCH_FEATURE_COUNT);
    rows[feature('matched')] = 1;
    rows[feature('cosine')] = 0.25; // below the hidden unit's threshold
    rows[SEARCH_FEATURE_COUNT + feature('matched')] = 0.5;
    rows[SEARCH_FEATURE_COUNT + feature('cosine')] = 1;
    expect(Array.from(ranker.score(rows, 2))).toEqual([2.1, 1 + 3 * 0.5 + 0.1]);
  });

  it('rejects a file for other features or with bad numbers, naming the field', () => {
    const error = (raw: unknown) => {
      try {
        parseSearchRanker(raw, 'models/search_ranker.json');
      } catch (caught) {
        return caught as AisleError;
      }
      throw new Error('no error');
    };
    const good = linearRanker({ matched: 1 });
    expect(error({ ...good, features: ['bm25'] }).code).toBe('AISLE_MODEL_LOAD_FAILED');
    expect(error({ ...good, features: ['bm25'] }).message).toContain('models/search_ranker.json: `features` is ["bm25"]');
    expect(error({ ...good, version: 2 }).message).toContain('`version` is 2, this Aisle reads version 1');
    expect(error({ ...good, scale: good.scale.map(() => 0) }).message).toContain('`scale` must be positive');
    expect(error({ ...good, linear: [1] }).message).toContain(`\`linear\` has 1 numbers, expected ${SEARCH_FEATURE_COUNT}`);
    expect(error({ ...good, hiddenBias: [0], hidden: [] }).message).toContain(`\`hidden\` has 0 numbers, expected ${SEARCH_FEATURE_COUNT}`);
    expect(error({ ...good, outputBias: Number.NaN }).message).toContain('`outputBias` must be a finite number');
    expect(error([]).message).toContain('not a JSON object');
    expect(error({ ...good, personalWeight: -1 }).message).toContain('`personalWeight` is -1, expected a number from 0 to 10');
    expect(error({ ...good, personalWeight: '0.5' }).message).toContain('`personalWeight` is "0.5"');
    expect(parseSearchRanker({ ...good, personalWeight: 0.65 }, 'r').personalWeight).toBe(0.65);
    expect(parseSearchRanker(good, 'r').personalWeight).toBeUndefined();
  });

  it('learns to put the candidate that matches every word first', () => {
    // Each query has 20 candidates, and the target is the only one with matched = 1. bm25 is
    // random for every candidate, so it ranks the target first only by chance.
    let seed = 3;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const examples: RankerExample[] = Array.from({ length: 300 }, () => {
      const rows = 20;
      const target = Math.floor(next() * rows);
      const features = new Float32Array(rows * SEARCH_FEATURE_COUNT);
      for (let r = 0; r < rows; r++) {
        features[r * SEARCH_FEATURE_COUNT + feature('matched')] = r === target ? 1 : Math.floor(next() * 3) / 4;
        features[r * SEARCH_FEATURE_COUNT + feature('bm25')] = next();
      }
      return { features, rows, target };
    });
    const fitted = fitSearchRanker(examples, { units: 4, epochs: 15, batchSize: 16, learningRate: 0.05, l2: 0, validationShare: 0.2, seed: 1 });
    expect(fitted.validationNdcg).toBe(1);
    expect(validationScore(parseSearchRanker(fitted.json, 'fitted'), examples)).toBe(1);
  });
});

describe('learned fusion', () => {
  const items = [
    { title: 'Gorilla Glue Waterproof', category: 'Adhesives', stats: { popularity: 0.1 } },
    { title: 'Super Glue Gel', category: 'Adhesives', stats: { popularity: 0.9 } },
    { title: 'Duct Tape', category: 'Tapes', stats: { popularity: 0.5 } },
  ];
  const words = new SearchWords(items);

  it('orders both lists by the ranker', () => {
    const ranker = parseSearchRanker(linearRanker({ matched: 4, popularity: 1 }), 'r');
    const cosines = [0.2, 0.3, 0.9];
    const hits = learnedFusion('glue waterproof', [{ index: 1, score: 5 }, { index: 0, score: 4 }], [{ index: 2, score: 0.9 }], (index) => cosines[index], words, ranker, 10);
    // 0: matched 1 → 4 + 0.1; 1: matched 0.5 → 2 + 0.9; 2: matched 0 → 0.5.
    expect(hits.map((hit) => hit.index)).toEqual([0, 1, 2]);
    expect(hits[0].score).toBe(1);
    // Features are float32, so the scores match to about 1e-7.
    expect(hits[1].score).toBeCloseTo(Math.exp(2.9 - 4.1), 6);
    expect(hits[2].score).toBeCloseTo(Math.exp(0.5 - 4.1), 6);
  });

  it('counts words of appended items', () => {
    const grown = new SearchWords(items);
    expect(grown.frequency('glue')).toBe(2);
    grown.append([{ title: 'Wood Glue', stats: { popularity: 0 } }]);
    expect([grown.size, grown.frequency('glue'), grown.frequency('wood')]).toEqual([4, 3, 1]);
    expect(grown.words(3)).toEqual({ title: ['wood', 'glue'], other: [], distinct: ['wood', 'glue'] });
  });
});

describe('personal rerank of learned search scores', () => {
  const candidate = (id: string): Candidate => ({ item: { id, vector: new Float32Array(2), stats: { popularity: 0, trending: 0 } } as ItemRecord, sources: ['search'] });

  it('reads learned scores as logits', () => {
    expect(personalization('learned')).toEqual({ scale: 'logit', weight: 0.3 });
    expect(personalization('weighted')).toEqual({ scale: 'ratio', weight: 0.05 });
    expect(personalization(undefined)).toEqual({ scale: 'ratio', weight: 0.05 });
    // The weight `aisle train` chose for the models wins; one out of range falls back to the default.
    expect(personalization('learned', 0.8)).toEqual({ scale: 'logit', weight: 0.8 });
    expect(personalization('learned', 0)).toEqual({ scale: 'logit', weight: 0 });
    expect(personalization('learned', 11)).toEqual({ scale: 'logit', weight: 0.3 });
    expect(personalization('learned', Number.NaN)).toEqual({ scale: 'logit', weight: 0.3 });
    expect(personalization('weighted', 0.8)).toEqual({ scale: 'ratio', weight: 0.05 });
    const candidates = ['a', 'b', 'c'].map(candidate);
    // Logits 0, −0.2, −3 against the best; ranker scores standardize to about 1.22, 0, −1.22 reversed.
    const searchScores = [1, Math.exp(-0.2), Math.exp(-3)];
    const ranked = rankSearchHits(candidates, searchScores, { scores: Float64Array.from([0, 1, 2]), degraded: undefined }, 3, 0.3, 'logit');
    const z = Math.sqrt(3 / 2);
    expect(ranked.map((item) => item.id)).toEqual(['b', 'a', 'c']);
    expect(ranked[0].score).toBeCloseTo(-0.2, 12);
    expect(ranked[1].score).toBeCloseTo(-0.3 * z, 12);
    expect(ranked[2].score).toBeCloseTo(-3 + 0.3 * z, 12);
    expect(ranked[0].lifted).toBe(1);
  });
});

describe('tag vote for new items', () => {
  it('weighs neighbours by similarity', () => {
    const voted = voteTags([
      { tags: ['lamp', 'brass'], similarity: 0.6 },
      { tags: ['lamp', 'lamp'], similarity: 0.3 },
      { tags: ['desk'], similarity: 0.1 },
      { tags: ['ignored'], similarity: -0.5 },
    ]);
    // lamp: 0.9 of the weight, brass 0.6, desk 0.1 (below 0.4).
    expect(voted).toEqual([['lamp', 0.9], ['brass', 0.6]]);
    expect(voteTags([{ tags: ['a'], similarity: 0 }])).toEqual([]);
    expect(voteTags([{ tags: ['b', 'a', 'c'], similarity: 1 }], 0.4, 2)).toEqual([['a', 1], ['b', 1]]);
  });
});
