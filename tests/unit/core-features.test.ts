import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURE_NAMES, buildFeatureMatrix } from '../../src/core/features.js';
import { ageFeature, buildTowerInput } from '../../src/core/sequence.js';
import type { Candidate, HistoryEntry, ItemRecord } from '../../src/core/types.js';

function item(id: string, vector: number[], extra: Partial<ItemRecord> = {}): ItemRecord {
  return { id, vector: new Float32Array(vector), stats: { popularity: 0.5, trending: 0 }, ...extra };
}

const shoe = item('shoe', [1, 0], { category: 'shoes', brand: 'acme', price: 100, tags: ['a', 'b'], neighbors: [['sock', 0.8]] });
const boot = item('boot', [0.6, 0.8], { category: 'shoes', brand: 'zed', price: 200, tags: ['b', 'c'], neighbors: [['sock', 0.4], ['lace', 1]] });
const sock = item('sock', [0, 1], { category: 'socks', brand: 'acme', price: 400, tags: ['b'] });
const T = Date.UTC(2026, 0, 1);
const history: HistoryEntry[] = [
  { item: shoe, type: 'view', timestamp: T },
  { item: boot, type: 'add_to_cart', timestamp: T + 1000 },
];

function featureRow(candidate: Candidate, userVector: Float32Array | null = new Float32Array([0, 1])) {
  const matrix = buildFeatureMatrix({ userVector, history, candidates: [candidate] });
  return Object.fromEntries(FEATURE_NAMES.map((name, i) => [name, matrix[i]]));
}

describe('buildFeatureMatrix', () => {
  it('has one row of FEATURE_COUNT columns per candidate', () => {
    const matrix = buildFeatureMatrix({ userVector: null, history, candidates: [{ item: sock, sources: ['ann'] }, { item: shoe, sources: [] }] });
    expect(matrix.length).toBe(2 * FEATURE_COUNT);
  });

  it('computes hand-checked values for a co-visited candidate', () => {
    const row = featureRow({ item: sock, sources: ['ann', 'covisit'], annRank: 1 });
    expect(row.user_cosine).toBeCloseTo(1, 6);
    expect(row.last_cosine).toBeCloseTo(0.8, 6);
    expect(row.recent_max_cosine).toBeCloseTo(0.8, 6);
    // weights view 1, add_to_cart 2: (1·0 + 2·0.8) / 3
    expect(row.recent_mean_cosine).toBeCloseTo(1.6 / 3, 6);
    // 0.8 + 0.4 = 1.2, squashed to 1.2 / 2.2
    expect(row.covisit_recent).toBeCloseTo(1.2 / 2.2, 6);
    expect(row.covisit_last).toBeCloseTo(0.4, 6);
    expect(row.popularity).toBeCloseTo(0.5, 6);
    expect(row.category_share).toBe(0);
    expect(row.brand_share).toBeCloseTo(0.5, 6);
    // Jaccard {b} vs {a,b} = 1/2, vs {b,c} = 1/2
    expect(row.tag_overlap).toBeCloseTo(0.5, 6);
    expect(row.seen).toBe(0);
    expect(row.from_ann).toBe(1);
    expect(row.ann_rank).toBeCloseTo(0.5, 6);
    // mean log price = log(sqrt(100·200)); 400 / 141.42 = 2.83 → log2(2.83) / 2 = 0.75
    expect(row.price_ratio).toBeCloseTo(Math.log2(400 / Math.sqrt(20000)) / 2, 5);
    expect(row.history_length).toBeCloseTo(Math.log1p(2) / Math.log1p(50), 6);
  });

  it('flags seen and carted history items', () => {
    const row = featureRow({ item: boot, sources: ['given'] });
    expect(row.seen).toBe(1);
    expect(row.carted).toBe(1);
    expect(row.from_ann).toBe(0);
    expect(row.ann_rank).toBe(0);
  });

  it('gives zeros for a shopper without history or user vector', () => {
    const matrix = buildFeatureMatrix({ userVector: null, history: [], candidates: [{ item: sock, sources: ['popular'] }] });
    const row = Object.fromEntries(FEATURE_NAMES.map((name, i) => [name, matrix[i]]));
    expect(row.popularity).toBeCloseTo(0.5, 6);
    for (const name of FEATURE_NAMES.filter((n) => n !== 'popularity')) expect(row[name]).toBe(0);
  });

  it('keeps features bounded for hostile values', () => {
    const weird = item('weird', [Number.NaN, 5], { price: 1e30, stats: { popularity: 7, trending: Number.NaN } });
    const matrix = buildFeatureMatrix({ userVector: new Float32Array([0, 1]), history, candidates: [{ item: weird, sources: [] }] });
    for (const value of matrix) {
      expect(Number.isFinite(value)).toBe(true);
      expect(Math.abs(value)).toBeLessThanOrEqual(1);
    }
  });

  it('is deterministic', () => {
    const candidates: Candidate[] = [{ item: sock, sources: ['ann'], annRank: 0 }, { item: shoe, sources: ['covisit'] }];
    const a = buildFeatureMatrix({ userVector: new Float32Array([0.6, 0.8]), history, candidates });
    const b = buildFeatureMatrix({ userVector: new Float32Array([0.6, 0.8]), history, candidates });
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});

describe('buildTowerInput', () => {
  it('left-pads so the newest event sits at the last position', () => {
    const input = buildTowerInput(history, 4, 2, T + 61_000, true);
    expect(input.length).toBe(2);
    expect(Array.from(input.mask)).toEqual([0, 0, 1, 1]);
    expect(Array.from(input.eventTypes)).toEqual([0n, 0n, 1n, 3n]);
    expect(Array.from(input.itemVectors)).toEqual([0, 0, 0, 0, 1, 0, Math.fround(0.6), Math.fround(0.8)]);
    expect(input.ages[3]).toBeCloseTo(ageFeature(60_000), 6);
    expect(input.ages[0]).toBe(0);
  });

  it('keeps only the last seqLen events', () => {
    const input = buildTowerInput(history, 1, 2, T, false);
    expect(Array.from(input.mask)).toEqual([1]);
    expect(Array.from(input.eventTypes)).toEqual([3n]);
    expect(input.ages[0]).toBe(0);
  });
});

describe('ageFeature', () => {
  it('is 0 for future or zero ages and 1 from thirty days', () => {
    expect(ageFeature(-5000)).toBe(0);
    expect(ageFeature(0)).toBe(0);
    expect(ageFeature(30 * 24 * 3600 * 1000)).toBeCloseTo(1, 9);
    expect(ageFeature(365 * 24 * 3600 * 1000)).toBeCloseTo(1, 9);
    expect(ageFeature(86_400_000)).toBeGreaterThan(ageFeature(60_000));
  });
});

import { RETRIEVAL, covisitIds, mergeCandidates } from '../../src/core/candidates.js';

describe('mergeCandidates', () => {
  const lace = item('lace', [0.8, 0.6]);
  const hat = item('hat', [0.6, -0.8]);
  const itemsById = new Map([sock, lace, shoe, boot].map((record) => [record.id, record]));

  it('reads co-visitation neighbors newest item first', () => {
    expect(covisitIds(history)).toEqual(['sock', 'lace']);
  });

  it('unions sources without duplicates and drops history items', () => {
    const candidates = mergeCandidates(history, { ann: [{ item: sock, score: 0.9 }, { item: shoe, score: 0.8 }, { item: hat, score: 0.1 }], itemsById, popular: [lace, hat, boot] });
    expect(candidates.map((c) => c.item.id)).toEqual(['sock', 'hat', 'lace']);
    expect(candidates[0].sources).toEqual(['ann', 'covisit']);
    expect(candidates[0].annRank).toBe(0);
    expect(candidates[1].annRank).toBe(2);
    expect(candidates[1].sources).toEqual(['ann', 'popular']);
    expect(candidates[2].sources).toEqual(['covisit', 'popular']);
    expect(candidates[2].annRank).toBeUndefined();
  });

  it('keeps history items on request and honours exclusions', () => {
    const candidates = mergeCandidates(history, { ann: [{ item: shoe, score: 1 }], itemsById, popular: [] }, { keepHistory: true, exclude: new Set(['sock']) });
    expect(candidates.map((c) => c.item.id)).toEqual(['shoe', 'lace']);
  });

  it('uses only popular items without history', () => {
    const popular = Array.from({ length: RETRIEVAL.popularK + 5 }, (_, i) => item(`p${i}`, [1, 0]));
    const candidates = mergeCandidates([], { ann: [], itemsById: new Map(), popular });
    expect(candidates.length).toBe(RETRIEVAL.popularK);
    expect(candidates.every((c) => c.sources[0] === 'popular')).toBe(true);
  });
});
