/**
 * Live counters replayed from fixed event streams with an injected clock. Half-lives are whole
 * hours, so decayed values at whole hours are exact powers of two.
 */
import { describe, expect, it } from 'vitest';
import { blendLiveScores, type LiveEvent } from '../../src/core/live-events.js';
import { DecayedCounterStore, resolveLiveCounterOptions } from '../../src/server/live/decayed-counters.js';
import { InProcessEventSink } from '../../src/server/live/event-sink.js';
import { checkLiveEvents } from '../../src/server/live/ingest.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 11, 5, 0, 0, 0);
const IDS = ['a', 'b', 'c', 'd'];

function makeStore(options: ConstructorParameters<typeof DecayedCounterStore>[1] = {}): DecayedCounterStore {
  const index = new Map(IDS.map((id, i) => [id, i]));
  return new DecayedCounterStore({ size: IDS.length, idAt: (i) => IDS[i], indexOf: (id) => index.get(id) }, {
    halfLivesMs: { view: HOUR, click: 2 * HOUR, add_to_cart: 4 * HOUR, purchase: 8 * HOUR },
    trendingShortMs: HOUR,
    trendingLongMs: 4 * HOUR,
    trendingPrior: 0,
    minTrendingCount: 0,
    minTrendingScore: 0,
    ...options,
  });
}

function events(item: string, type: LiveEvent['type'], time: number, count = 1): LiveEvent[] {
  return Array.from({ length: count }, () => ({ item, type, time }));
}

describe('DecayedCounterStore', () => {
  it('counts events per type at the event time', () => {
    const store = makeStore();
    store.apply([...events('a', 'view', T0, 3), ...events('a', 'click', T0), ...events('a', 'add_to_cart', T0, 2), ...events('a', 'purchase', T0)]);
    store.refresh(T0);
    expect(store.signals('a')).toEqual({ views: 3, clicks: 1, addToCart: 2, purchases: 1, trending: 3, lastEventAt: T0, at: T0 });
  });

  it('halves each counter every half-life', () => {
    const store = makeStore();
    store.apply([...events('a', 'view', T0, 8), ...events('a', 'click', T0, 8), ...events('a', 'add_to_cart', T0, 8), ...events('a', 'purchase', T0, 8)]);

    store.refresh(T0 + HOUR);
    const oneHour = store.signals('a');
    expect(oneHour.views).toBe(4);
    expect(oneHour.clicks).toBe(8 * 2 ** -0.5);
    expect(oneHour.addToCart).toBe(8 * 2 ** -0.25);
    expect(oneHour.purchases).toBe(8 * 2 ** -0.125);

    store.refresh(T0 + 8 * HOUR);
    const eightHours = store.signals('a');
    expect(eightHours.views).toBe(8 / 256);
    expect(eightHours.clicks).toBe(8 / 16);
    expect(eightHours.addToCart).toBe(2);
    expect(eightHours.purchases).toBe(4);
    expect(eightHours.lastEventAt).toBe(T0);
    expect(eightHours.at).toBe(T0 + 8 * HOUR);
  });

  it('adds later events to the decayed value', () => {
    const store = makeStore();
    store.apply(events('b', 'view', T0, 2));
    store.apply(events('b', 'view', T0 + HOUR));
    store.refresh(T0 + 2 * HOUR);
    // (2 · 1/2 + 1) · 1/2
    expect(store.signals('b').views).toBe(1);
    expect(store.signals('b').lastEventAt).toBe(T0 + HOUR);
  });

  it('gives the same counters whatever the arrival order', () => {
    const inOrder = makeStore();
    inOrder.apply([...events('c', 'view', T0), ...events('c', 'view', T0 + HOUR), ...events('c', 'view', T0 + 2 * HOUR)]);
    const late = makeStore();
    late.apply([...events('c', 'view', T0 + 2 * HOUR), ...events('c', 'view', T0), ...events('c', 'view', T0 + HOUR)]);
    inOrder.refresh(T0 + 3 * HOUR);
    late.refresh(T0 + 3 * HOUR);
    // 1/8 + 1/4 + 1/2
    expect(inOrder.signals('c').views).toBe(0.875);
    expect(late.signals('c').views).toBe(0.875);
    expect(late.signals('c').trending).toBeCloseTo(inOrder.signals('c').trending, 12);
    expect(late.signals('c').lastEventAt).toBe(T0 + 2 * HOUR);
  });

  it('scores trending as short against long window', () => {
    const store = makeStore({ trendingPrior: 4 });
    store.apply(events('a', 'view', T0, 4));
    store.refresh(T0 + HOUR);
    // short = 4 · 2^-1 = 2, long = 4 · 2^-1/4; (2 · 4) / (long + 4) − 1
    const long = 4 * 2 ** -0.25;
    expect(store.signals('a').trending).toBeCloseTo(8 / (long + 4) - 1, 12);
  });

  it('reports zeros for an item without events', () => {
    const store = makeStore();
    store.refresh(T0);
    expect(store.signals('d')).toEqual({ views: 0, clicks: 0, addToCart: 0, purchases: 0, trending: 0, lastEventAt: null, at: T0 });
    expect(store.signals('not-in-catalog').views).toBe(0);
  });

  it('grows with items added to the catalog', () => {
    const ids = ['a'];
    const store = new DecayedCounterStore({ get size() { return ids.length; }, idAt: (i) => ids[i], indexOf: (id) => (ids.includes(id) ? ids.indexOf(id) : undefined) }, { halfLivesMs: { view: HOUR }, trendingPrior: 0, minTrendingCount: 0, minTrendingScore: 0, trendingShortMs: HOUR, trendingLongMs: 4 * HOUR });
    store.apply(events('a', 'view', T0));
    for (let i = 0; i < 5; i++) ids.push(`new-${i}`);
    store.apply(events('new-4', 'view', T0, 2));
    store.refresh(T0 + HOUR);
    expect(store.signals('a').views).toBe(0.5);
    expect(store.signals('new-4').views).toBe(1);
    expect(store.signals('new-3').views).toBe(0);
    expect(store.trending(5).map((entry) => entry.itemId)).toEqual(['a', 'new-4']);
  });

  it('bumps the version on every refresh', () => {
    const store = makeStore();
    expect(store.version).toBe(0);
    store.refresh(T0);
    store.refresh(T0);
    expect(store.version).toBe(2);
  });

  it('rejects invalid half-lives', () => {
    expect(() => resolveLiveCounterOptions({ halfLivesMs: { view: 0 } })).toThrow(/halfLivesMs\.view must be a finite number > 0, got 0/);
    expect(() => resolveLiveCounterOptions({ trendingShortMs: 5, trendingLongMs: 5 })).toThrow(/trendingShortMs \(5\) must be smaller than trendingLongMs \(5\)/);
    expect(() => resolveLiveCounterOptions({ maxTrending: 0 })).toThrow(/maxTrending must be an integer ≥ 1, got 0/);
  });
});

describe('trending through the in-process sink', () => {
  it('moves a burst into trending within one flush', async () => {
    let now = T0;
    const store = makeStore({ trendingPrior: 20, minTrendingCount: 5, minTrendingScore: 1 });
    const sink = new InProcessEventSink(store, { flushIntervalMs: 1000, now: () => now, timer: false });

    // Eight hours of steady traffic: 'a' gets 10 views and 'b' 5 views every 10 minutes.
    for (let step = 0; step < 48; step++) {
      now = T0 + step * 600_000;
      sink.send([...events('a', 'view', now, 10), ...events('b', 'view', now, 5)]);
      await sink.flush();
    }
    // Steady items stay below the threshold of 1 (twice the usual rate).
    expect(store.trending(10)).toEqual([]);
    expect(store.signals('a').trending).toBeLessThan(0.5);
    expect(store.signals('b').trending).toBeLessThan(0.5);

    // A burst of 30 views on 'c'. It is buffered until the next flush, one interval later.
    now += 1000;
    sink.send(events('c', 'view', now, 30));
    expect(sink.buffered).toBe(30);
    expect(store.trending(10)).toEqual([]);

    now += 1000;
    await sink.flush();
    const trending = store.trending(10);
    expect(trending.map((entry) => entry.itemId)).toEqual(['c']);
    // short = 30 · 2^(-1000/3600000), long = 30 · 2^(-1000/14400000)
    const short = 30 * 2 ** (-1000 / HOUR);
    const long = 30 * 2 ** (-1000 / (4 * HOUR));
    expect(trending[0].score).toBeCloseTo((short * 4) / (long + 20) - 1, 12);
    expect(store.signals('c').views).toBe(short);
    await sink.close();
  });

  it('flushes early when the buffer is full', async () => {
    const store = makeStore();
    const sink = new InProcessEventSink(store, { maxBuffered: 3, now: () => T0, timer: false });
    sink.send(events('a', 'view', T0, 2));
    expect(store.version).toBe(0);
    sink.send(events('a', 'view', T0));
    await sink.close();
    expect(store.signals('a').views).toBe(3);
  });

  it('rejects a flush interval below 10 ms', () => {
    expect(() => new InProcessEventSink(makeStore(), { flushIntervalMs: 5, timer: false })).toThrow(/flushIntervalMs must be at least 10 milliseconds, got 5/);
  });
});

describe('checkLiveEvents', () => {
  const context = { hasItem: (id: string) => IDS.includes(id), now: T0, maxAgeMs: 24 * HOUR };

  it('keeps valid events and counts each rejection reason', () => {
    const result = checkLiveEvents(
      [
        { item: 'a', type: 'view', time: T0 - 1000 },
        { item: 'b', type: 'purchase', time: T0 + 60_000 },
        'not an object',
        { item: 'a', type: 'view', time: T0, user: 'u-1' },
        { item: 'a', type: 'search', time: T0 },
        { item: 7, type: 'view', time: T0 },
        { item: 'zzz', type: 'view', time: T0 },
        { item: 'a', type: 'view', time: 1_000 },
        { item: 'a', type: 'view', time: Number.NaN },
        { item: 'a', type: 'view', time: T0 - 25 * HOUR },
      ],
      context,
    );
    expect(result.accepted).toEqual([
      { item: 'a', type: 'view', time: T0 - 1000 },
      // A time ahead of the server clock counts as now.
      { item: 'b', type: 'purchase', time: T0 },
    ]);
    expect(result.rejected).toEqual({ invalid_event: 1, unknown_field: 1, invalid_type: 1, invalid_item: 1, unknown_item: 1, invalid_time: 2, too_old: 1 });
  });
});

describe('blendLiveScores', () => {
  it('adds weight · ln(1 + trending) for rising items only', () => {
    const live = (trending: number) => ({ views: 0, clicks: 0, addToCart: 0, purchases: 0, trending, lastEventAt: null, at: T0 });
    const blended = blendLiveScores([1, 2, 3, 4], [live(1), live(-0.5), undefined, live(Math.E - 1)], 2);
    expect(Array.from(blended)).toEqual([1 + 2 * Math.log(2), 2, 3, 4 + 2]);
    expect(Array.from(blendLiveScores([1, 2], [live(5), live(5)], 0))).toEqual([1, 2]);
  });
});
