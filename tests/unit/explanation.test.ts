import { describe, expect, it } from 'vitest';
import { baselineRow, COALITION_ROWS, coalitionRows, explanationReasons, factorContributions, searchMatch, shapleyValues, similarEvents, type FactorContribution } from '../../src/core/explanation.js';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../src/core/features.js';
import type { HistoryEntry, ItemRecord } from '../../src/core/types.js';

const at = (name: (typeof FEATURE_NAMES)[number]) => FEATURE_NAMES.indexOf(name);

function item(id: string, vector: number[], extra: Partial<ItemRecord> = {}): ItemRecord {
  return { id, vector: Float32Array.from(vector), stats: { popularity: 0, trending: 0 }, ...extra };
}

describe('shapleyValues', () => {
  it('gives each player its own term of an additive game', () => {
    // v(S) = Σ_{i ∈ S} a_i with a = [1, 2, 4].
    const values = Array.from({ length: 8 }, (_, mask) => (mask & 1 ? 1 : 0) + (mask & 2 ? 2 : 0) + (mask & 4 ? 4 : 0));
    expect(shapleyValues(values, 3)).toEqual([1, 2, 4]);
  });

  it('splits an interaction evenly', () => {
    // v(S) = 6 when both players 0 and 1 are in S, else 0; player 2 is a dummy.
    const values = Array.from({ length: 8 }, (_, mask) => ((mask & 3) === 3 ? 6 : 0));
    expect(shapleyValues(values, 3)).toEqual([3, 3, 0]);
  });

  it('matches the hand-computed values of a three-player game', () => {
    // v: {} 0, {0} 1, {1} 2, {0,1} 6, {2} 0, {0,2} 1, {1,2} 5, {0,1,2} 9.
    const phi = shapleyValues([0, 1, 2, 6, 0, 1, 5, 9], 3);
    // φ0 = 1/3 · 1 + 1/6 · 4 + 1/6 · 1 + 1/3 · 4 = 2.5, and the values sum to v(N) = 9.
    expect(phi[0]).toBeCloseTo(2.5, 12);
    expect(phi[1]).toBeCloseTo(5, 12);
    expect(phi[2]).toBeCloseTo(1.5, 12);
  });

  it('rejects a wrong number of values', () => {
    expect(() => shapleyValues([1, 2, 3], 2)).toThrow('shapleyValues: expected 4 coalition values for 2 players; got 3.');
  });
});

describe('coalition rows', () => {
  it('switches whole factors between row and baseline', () => {
    const row = Float32Array.from({ length: FEATURE_COUNT }, (_, j) => j + 1);
    const baseline = baselineRow(row);
    expect(baseline[at('history_length')]).toBe(row[at('history_length')]);
    expect(Array.from(baseline).filter((value) => value !== 0)).toEqual([row[at('history_length')]]);

    const rows = coalitionRows(row, baseline);
    expect(rows).toHaveLength(COALITION_ROWS * FEATURE_COUNT);
    expect(Array.from(rows.subarray(0, FEATURE_COUNT))).toEqual(Array.from(baseline));
    expect(Array.from(rows.subarray((COALITION_ROWS - 1) * FEATURE_COUNT))).toEqual(Array.from(row));
    // Mask 1 is the first factor (history): its four cosines come from the row, the rest from the baseline.
    const mask1 = rows.subarray(FEATURE_COUNT, 2 * FEATURE_COUNT);
    expect([mask1[at('user_cosine')], mask1[at('recent_mean_cosine')], mask1[at('popularity')]]).toEqual([1, 4, 0]);
  });

  it('attributes a linear score to its factors', () => {
    const weights = new Float32Array(FEATURE_COUNT);
    weights[at('user_cosine')] = 2;
    weights[at('popularity')] = 0.5;
    weights[at('trending')] = 1;
    weights[at('history_length')] = 3;
    const row = new Float32Array(FEATURE_COUNT);
    row[at('user_cosine')] = 0.75;
    row[at('popularity')] = 0.5;
    row[at('trending')] = 0.25;
    row[at('history_length')] = 0.5;
    const rows = coalitionRows(row, baselineRow(row));
    const scores = Array.from({ length: COALITION_ROWS }, (_, m) => rows.subarray(m * FEATURE_COUNT, (m + 1) * FEATURE_COUNT).reduce((sum, x, j) => sum + x * weights[j], 0));
    const contributions = factorContributions(row, scores);
    const expected = { history: 1.5, covisitation: 0, popularity: 0.25, trending: 0.25, attributes: 0, seen: 0, retrieval: 0, price: 0 };
    expect(contributions.map((entry) => entry.factor)).toEqual(Object.keys(expected));
    for (const entry of contributions) expect(entry.contribution, entry.factor).toBeCloseTo(expected[entry.factor as keyof typeof expected], 12);
    expect(contributions[0].features).toEqual({ user_cosine: 0.75, last_cosine: 0, recent_max_cosine: 0, recent_mean_cosine: 0 });
  });
});

describe('explanation text', () => {
  it('scores the share of query words found', () => {
    const shoe = { id: 'a', title: 'Kestrel Trail Runner, Navy', category: 'Running shoes', brand: 'Kestrel' };
    expect(searchMatch('trail running shoes', shoe)).toBe(1);
    expect(searchMatch('trail socks', shoe)).toBe(0.5);
    expect(searchMatch('Crème KESTREL', { id: 'b', title: 'creme', brand: 'Kestrel' })).toBe(1);
    expect(searchMatch('socks', shoe)).toBe(0);
    expect(searchMatch('   ', shoe)).toBe(0);
  });

  it('picks the most similar distinct recent events', () => {
    const target = item('t', [1, 0]);
    const history: HistoryEntry[] = [
      { item: item('a', [0.6, 0.8], { title: 'A' }), type: 'view', timestamp: 1 },
      { item: item('b', [-1, 0]), type: 'view', timestamp: 2 },
      { item: item('c', [0.8, 0.6]), type: 'click', timestamp: 3 },
      { item: item('a', [0.6, 0.8], { title: 'A' }), type: 'purchase', timestamp: 4 },
      { item: item('t', [1, 0]), type: 'view', timestamp: 5 },
    ];
    const events = similarEvents(target, history);
    expect(events.map((event) => [event.itemId, event.type, event.timestamp])).toEqual([['c', 'click', 3], ['a', 'purchase', 4]]);
    expect(events[0].similarity).toBeCloseTo(0.8, 6);
  });

  it('writes reasons for the factors that raised the item', () => {
    const target = item('t', [1, 0], { category: 'Coffee', brand: 'Moonbrew' });
    const contributions: FactorContribution[] = [
      { factor: 'history', contribution: 1.2, features: {} },
      { factor: 'trending', contribution: 0.4, features: { trending: 0.9 } },
      { factor: 'attributes', contribution: 0.6, features: { category_share: 0.4, brand_share: 0.2, tag_overlap: 0 } },
      { factor: 'popularity', contribution: -0.3, features: { popularity: 0.1 } },
      { factor: 'adaptation', contribution: 0.1, features: {} },
    ];
    const events = [{ itemId: 'a', title: 'Moonbrew Whole Beans', type: 'add_to_cart' as const, timestamp: 1, similarity: 0.9 }];
    const reasons = explanationReasons({ item: target, contributions, events, queries: ['coffee', 'tea', 'coffee'] });
    expect(reasons.map((reason) => reason.text)).toEqual([
      'Matches your search “coffee”',
      'Because you added to your cart Moonbrew Whole Beans',
      'More from Moonbrew, a brand you browse',
      'Trending in Coffee',
      'Suits what you clicked and skipped recently',
    ]);
    expect(reasons.map((reason) => reason.weight)).toEqual([1, 1.2, 0.6, 0.4, 0.1]);
  });

  it('names a shared tag, predicted ones included', () => {
    const attributes: FactorContribution[] = [{ factor: 'attributes', contribution: 0.5, features: { category_share: 0, brand_share: 0, tag_overlap: 0.5 } }];
    const target = { ...item('t', [1, 0]), tags: ['cork'], predictedTags: [['vegan', 0.8], ['gift', 0.3]] as Array<[string, number]> };
    const text = (recentTags: string[]) => explanationReasons({ item: target, contributions: attributes, events: [], queries: [], recentTags })[0].text;
    expect(text(['gift', 'vegan', 'cork'])).toBe('Tagged “vegan”, like items you viewed');
    expect(text(['cork'])).toBe('Tagged “cork”, like items you viewed');
    // A predicted tag below confidence 0.5 does not count.
    expect(text(['gift'])).toBe('Shares tags with items you viewed');
    expect(text([])).toBe('Shares tags with items you viewed');
  });
});
