/**
 * The page-side parts of live signals and stats: the batching event sender against a real
 * companion on 127.0.0.1 (fetch) and a recording sendBeacon, and the latency percentiles.
 */
import { rm } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LiveEventSender, resolveLiveEventsOption, toLiveEvent, type BeaconEnvironment } from '../../src/client/beacon.js';
import { CallStats, percentile, STATS_WINDOW } from '../../src/client/call-stats.js';
import { AUTO_EXPOSURE_GRACE_MS, ExperimentClient, RANKING_TTL_MS, type ExperimentEnvironment, type ExposureMode } from '../../src/client/experiments.js';
import { assignVariant, deviceBucket, parseExperiments } from '../../src/core/experiments.js';
import type { LiveEvent } from '../../src/core/live-events.js';
import { createServer } from '../../src/server/app.js';
import type { ItemsResponse } from '../../src/core/types.js';
import { buildCompanionFixture, type CompanionFixture } from './helpers/companion-fixture.js';

const T0 = Date.UTC(2026, 11, 5, 12, 0, 0);

/** Builds a fake page: listeners by event name, a visibility state and a recording sendBeacon. */
function fakePage() {
  const listeners = new Map<string, () => void>();
  const beacons: Array<{ url: string; events: LiveEvent[] }> = [];
  const target = {
    addEventListener: (name: string, listener: () => void) => listeners.set(name, listener),
    removeEventListener: (name: string) => listeners.delete(name),
  };
  const document = { ...target, visibilityState: 'visible' as DocumentVisibilityState };
  const env: BeaconEnvironment = {
    window: target as unknown as BeaconEnvironment['window'],
    document: document as unknown as BeaconEnvironment['document'],
    sendBeacon: (url, data) => {
      beacons.push({ url, events: (JSON.parse(data) as { events: LiveEvent[] }).events });
      return true;
    },
    random: () => 0,
  };
  return { env, listeners, beacons, document };
}

describe('resolveLiveEventsOption', () => {
  it('fills defaults and turns off with false', () => {
    expect(resolveLiveEventsOption(undefined)).toEqual({ maxBatch: 20, flushMs: 5000 });
    expect(resolveLiveEventsOption({ maxBatch: 3 })).toEqual({ maxBatch: 3, flushMs: 5000 });
    expect(resolveLiveEventsOption(false)).toBeNull();
  });

  it.each([
    [{ maxBatch: 0 }, 'liveEvents.maxBatch must be an integer from 1 to 500; got 0'],
    [{ maxBatch: 501 }, 'liveEvents.maxBatch must be an integer from 1 to 500; got 501'],
    [{ flushMs: 50 }, 'liveEvents.flushMs must be milliseconds from 100 to 600000; got 50'],
    ['yes', 'liveEvents must be true, false or { maxBatch, flushMs }; got yes'],
  ])('rejects %j', (value, message) => {
    expect(() => resolveLiveEventsOption(value)).toThrowError(expect.objectContaining({ code: 'AISLE_INVALID_ARGUMENT', message: `createAisle(): option ${message}.` }));
  });
});

describe('toLiveEvent', () => {
  it('keeps item, type and the minute', () => {
    expect(toLiveEvent('view', 'sku-1', T0 + 59_999)).toEqual({ item: 'sku-1', type: 'view', time: T0 });
    expect(toLiveEvent('purchase', 'sku-2', T0 + 60_000)).toEqual({ item: 'sku-2', type: 'purchase', time: T0 + 60_000 });
  });

  it('skips types the counters do not use', () => {
    expect(toLiveEvent('search', undefined, T0)).toBeNull();
    expect(toLiveEvent('impression', 'sku-1', T0)).toBeNull();
  });
});

describe('LiveEventSender', () => {
  let fixture: CompanionFixture;
  let app: FastifyInstance;
  let endpoint: string;

  beforeAll(async () => {
    fixture = await buildCompanionFixture(10);
    app = await createServer({ modelsDir: fixture.dir, live: { flushIntervalMs: 20 } });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    if (typeof address !== 'object' || address === null) throw new Error('server has no TCP address');
    endpoint = `http://127.0.0.1:${address.port}`;
  });

  afterAll(async () => {
    await app?.close();
    if (fixture) await rm(fixture.dir, { recursive: true, force: true });
  });

  async function liveViews(id: string): Promise<number> {
    const body = (await (await fetch(`${endpoint}/v1/items?ids=${id}`)).json()) as ItemsResponse;
    return body.items[0].live?.views ?? -1;
  }

  it('sends a full batch with fetch to the companion', async () => {
    const page = fakePage();
    const sender = new LiveEventSender(endpoint, { maxBatch: 3, flushMs: 600_000 }, { ...page.env, fetch: globalThis.fetch });
    const now = Date.now();
    sender.add({ item: 'item-2', type: 'view', time: now });
    sender.add({ item: 'item-2', type: 'view', time: now });
    expect(sender.stats).toEqual({ queued: 2, sentEvents: 0, fetchBatches: 0, beaconBatches: 0, failedBatches: 0 });

    sender.add({ item: 'item-2', type: 'click', time: now });
    await vi.waitFor(() => expect(sender.stats.fetchBatches).toBe(1));
    expect(sender.stats).toEqual({ queued: 0, sentEvents: 3, fetchBatches: 1, beaconBatches: 0, failedBatches: 0 });
    await vi.waitFor(async () => expect(await liveViews('item-2')).toBeGreaterThan(1.99));
    sender.close();
  });

  it('sends the queue after flushMs', async () => {
    const page = fakePage();
    const sender = new LiveEventSender(endpoint, { maxBatch: 100, flushMs: 100 }, { ...page.env, fetch: globalThis.fetch });
    sender.add({ item: 'item-3', type: 'view', time: Date.now() });
    await vi.waitFor(() => expect(sender.stats.fetchBatches).toBe(1));
    await vi.waitFor(async () => expect(await liveViews('item-3')).toBeGreaterThan(0.99));
    sender.close();
  });

  it('counts a failed batch', async () => {
    const page = fakePage();
    const sender = new LiveEventSender('http://127.0.0.1:9', { maxBatch: 1, flushMs: 1000 }, { ...page.env, fetch: globalThis.fetch });
    sender.add({ item: 'item-3', type: 'view', time: T0 });
    await vi.waitFor(() => expect(sender.stats.failedBatches).toBe(1));
    sender.close();
  });

  it('uses sendBeacon when the page is hidden', () => {
    const page = fakePage();
    const fetchSpy = vi.fn();
    const sender = new LiveEventSender('https://reco.example', { maxBatch: 20, flushMs: 5000 }, { ...page.env, fetch: fetchSpy });
    sender.add({ item: 'a', type: 'view', time: T0 });
    sender.add({ item: 'b', type: 'click', time: T0 });

    page.document.visibilityState = 'hidden';
    page.listeners.get('visibilitychange')?.();
    expect(fetchSpy).not.toHaveBeenCalled();
    expect(page.beacons).toHaveLength(1);
    expect(page.beacons[0].url).toBe('https://reco.example/v1/events');
    expect(page.beacons[0].events).toHaveLength(2);
    expect(new Set(page.beacons[0].events.map((event) => event.item))).toEqual(new Set(['a', 'b']));
    expect(sender.stats).toEqual({ queued: 0, sentEvents: 2, fetchBatches: 0, beaconBatches: 1, failedBatches: 0 });

    sender.add({ item: 'c', type: 'view', time: T0 });
    page.listeners.get('pagehide')?.();
    expect(page.beacons[1].events).toEqual([{ item: 'c', type: 'view', time: T0 }]);
    sender.close();
  });

  it('adds the beforeHide events to the hide beacon', () => {
    const page = fakePage();
    const sender = new LiveEventSender('https://reco.example', { maxBatch: 20, flushMs: 5000 }, page.env);
    const due = [{ type: 'exposure' as const, ranking: 'r1', experiment: 'row', variant: 'a', time: T0 }];
    sender.beforeHide = () => due.splice(0);
    sender.add({ item: 'a', type: 'view', time: T0 });

    page.listeners.get('pagehide')?.();
    expect(page.beacons).toHaveLength(1);
    expect(page.beacons[0].events).toHaveLength(2);
    expect(page.beacons[0].events).toContainEqual({ type: 'exposure', ranking: 'r1', experiment: 'row', variant: 'a', time: T0 });
    expect(sender.stats).toEqual({ queued: 0, sentEvents: 2, fetchBatches: 0, beaconBatches: 1, failedBatches: 0 });

    // Nothing queued and nothing due: no empty beacon.
    page.listeners.get('pagehide')?.();
    expect(page.beacons).toHaveLength(1);
    sender.close();
  });

  it('sends only item, type and time, shuffled', () => {
    const page = fakePage();
    // random() = 0 swaps every position with the first, which reverses no pair twice.
    const sender = new LiveEventSender('https://reco.example', { maxBatch: 20, flushMs: 5000 }, page.env);
    for (const item of ['a', 'b', 'c', 'd']) sender.add({ item, type: 'view', time: T0 });
    sender.close();
    const [batch] = page.beacons;
    expect(batch.events.map((event) => event.item)).toEqual(['b', 'c', 'd', 'a']);
    for (const event of batch.events) expect(Object.keys(event).sort()).toEqual(['item', 'time', 'type']);
  });

  it('counts a beacon the browser refused', () => {
    const page = fakePage();
    const sender = new LiveEventSender('https://reco.example', { maxBatch: 20, flushMs: 5000 }, { ...page.env, sendBeacon: () => false });
    sender.add({ item: 'a', type: 'view', time: T0 });
    sender.close();
    expect(sender.stats.failedBatches).toBe(1);
    // Closed: later events are dropped and listeners are gone.
    sender.add({ item: 'b', type: 'view', time: T0 });
    expect(sender.stats.queued).toBe(0);
    expect(page.listeners.size).toBe(0);
  });
});

describe('CallStats', () => {
  it('computes nearest-rank percentiles', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 95)).toBe(95);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBe(0);
  });

  it('summarizes calls and degraded codes', () => {
    const stats = new CallStats();
    for (const ms of [5, 1, 4, 2, 3]) stats.record('recommend', ms);
    stats.record('recommend', 10, { degradedCode: 'AISLE_TIMEOUT' });
    stats.record('rank', 2, { degradedCode: 'AISLE_COMPANION_UNREACHABLE' });
    stats.record('track', 1, { error: true });

    expect(stats.latencies()).toEqual({
      recommend: { count: 6, degraded: 1, errors: 0, p50: 3, p95: 10, p99: 10, max: 10 },
      rank: { count: 1, degraded: 1, errors: 0, p50: 2, p95: 2, p99: 2, max: 2 },
      track: { count: 1, degraded: 0, errors: 1, p50: 1, p95: 1, p99: 1, max: 1 },
    });
    expect(stats.degraded()).toEqual({ AISLE_TIMEOUT: 1, AISLE_COMPANION_UNREACHABLE: 1 });
  });

  it('keeps only the last window of latencies', () => {
    const stats = new CallStats();
    for (let i = 0; i < STATS_WINDOW; i++) stats.record('search', 1000);
    for (let i = 0; i < STATS_WINDOW; i++) stats.record('search', 1);
    expect(stats.latencies().search).toEqual({ count: 2 * STATS_WINDOW, degraded: 0, errors: 0, p50: 1, p95: 1, p99: 1, max: 1 });
  });
});

describe('ExperimentClient', () => {
  const definitions = { experiments: [{ name: 'row', salt: 's', variants: [{ name: 'a', changes: { liveWeight: 2 } }, { name: 'b', changes: { liveWeight: 3 } }] }] };
  const respond = (body: unknown, status = 200) => vi.fn(async () => new Response(JSON.stringify(body), { status })) as unknown as typeof fetch;

  function client(fetchImpl: typeof fetch, storage?: ExperimentEnvironment['storage'], mode: ExposureMode = 'seen') {
    let clock = T0;
    let ids = 0;
    const env: ExperimentEnvironment = { fetch: fetchImpl, storage, randomId: () => `id-${++ids}`, now: () => clock };
    return { experiments: new ExperimentClient('https://reco.example', 'aisle', env, mode), advance: (ms: number) => (clock += ms) };
  }

  it('assigns from the stored device id', async () => {
    const store = new Map<string, string>([['aisle:aisle:experiment-device', 'device-7']]);
    const storage = { getItem: (key: string) => store.get(key) ?? null, setItem: (key: string, value: string) => void store.set(key, value), removeItem: (key: string) => void store.delete(key) };
    const { experiments } = client(respond(definitions), storage);
    await experiments.load(1000);
    const expected = assignVariant(parseExperiments(definitions.experiments, 'test')[0], 'device-7');
    expect(experiments.view()).toEqual({ deviceId: 'device-7', assignments: [{ experiment: 'row', variant: expected.name, changes: expected.changes }] });
    expect(experiments.recommendDefaults()).toEqual({ liveWeight: expected.changes.liveWeight });

    await experiments.reset(1000);
    expect(experiments.view().deviceId).toBe('id-1');
    expect(store.get('aisle:aisle:experiment-device')).toBe('id-1');
  });

  it('sends the current device bucket', async () => {
    const store = new Map<string, string>([['aisle:aisle:experiment-device', 'device-7']]);
    const storage = { getItem: (key: string) => store.get(key) ?? null, setItem: (key: string, value: string) => void store.set(key, value), removeItem: (key: string) => void store.delete(key) };
    const { experiments } = client(respond(definitions), storage, 'returned');
    await experiments.load(1000);
    expect(experiments.expose()?.exposures[0].bucket).toBe(deviceBucket('device-7'));

    // forget() makes a new device id, and its bucket goes with the next list.
    await experiments.reset(1000);
    const newId = experiments.view().deviceId!;
    expect(newId).not.toBe('device-7');
    expect(experiments.expose()?.exposures[0].bucket).toBe(deviceBucket(newId));
  });

  it('issues ranking ids that expire', async () => {
    const { experiments, advance } = client(respond(definitions), undefined, 'returned');
    await experiments.load(1000);
    const exposure = experiments.expose();
    expect(exposure?.exposures).toEqual([{ type: 'exposure', ranking: exposure?.rankingId, experiment: 'row', variant: experiments.view().assignments[0].variant, time: T0, bucket: deviceBucket('id-1') }]);
    expect(experiments.rankingOf(exposure?.rankingId)).toBe(exposure?.rankingId);
    expect(experiments.rankingOf('home-recs')).toBeUndefined();
    advance(RANKING_TTL_MS + 1);
    expect(experiments.rankingOf(exposure?.rankingId)).toBeUndefined();
  });

  it('exposes a seen list once', async () => {
    const { experiments, advance } = client(respond(definitions));
    await experiments.load(1000);
    const variant = experiments.view().assignments[0].variant;
    const issued = experiments.expose();
    expect(issued).toEqual({ rankingId: 'id-2', exposures: [] });
    // Not seen yet: outcomes are not tagged, and a click on a list that observeExposure does not watch proves nothing.
    expect(experiments.rankingOf('id-2')).toBeUndefined();
    expect(experiments.exposuresOn('click', 'id-2')).toEqual([]);
    expect(experiments.exposuresOn('impression', 'home-recs')).toEqual([]);

    advance(60_000);
    expect(experiments.exposuresOn('impression', 'id-2')).toEqual([{ type: 'exposure', ranking: 'id-2', experiment: 'row', variant, time: T0 + 60_000, bucket: deviceBucket('id-1') }]);
    expect(experiments.exposuresOn('impression', 'id-2')).toEqual([]);
    expect(experiments.rankingOf('id-2')).toBe('id-2');

    // The outcome window starts at the exposure, not at recommend().
    advance(RANKING_TTL_MS);
    expect(experiments.rankingOf('id-2')).toBe('id-2');
    advance(1);
    expect(experiments.rankingOf('id-2')).toBeUndefined();
  });

  it('exposes an observed list on a click', async () => {
    const { experiments } = client(respond(definitions));
    await experiments.load(1000);
    const { rankingId } = experiments.expose()!;
    experiments.observe(rankingId);
    expect(experiments.exposuresOn('view', rankingId)).toEqual([]);
    expect(experiments.exposuresOn('add_to_cart', rankingId)).toHaveLength(1);
    expect(experiments.exposuresOn('click', rankingId)).toEqual([]);
    expect(experiments.rankingOf(rankingId)).toBe(rankingId);
  });

  it('returned mode ignores seen events', async () => {
    const { experiments } = client(respond(definitions), undefined, 'returned');
    await experiments.load(1000);
    const { rankingId, exposures } = experiments.expose()!;
    expect(exposures).toHaveLength(1);
    expect(experiments.exposuresOn('impression', rankingId)).toEqual([]);
  });

  describe('auto mode', () => {
    // Lists returned at T0, T0 + 1 s and T0 + 2 s; the page may watch some of them.
    async function threeLists(watched: readonly number[]) {
      const { experiments, advance } = client(respond(definitions), undefined, 'auto');
      await experiments.load(1000);
      const ids: string[] = [];
      for (let list = 0; list < 3; list++) {
        if (list > 0) advance(1000);
        const { rankingId } = experiments.expose()!;
        ids.push(rankingId);
        if (watched.includes(list)) experiments.observe(rankingId);
      }
      return { experiments, advance, ids, variant: experiments.view().assignments[0].variant };
    }

    it('counts watched lists when seen', async () => {
      const { experiments, advance, ids, variant } = await threeLists([0, 1, 2]);
      advance(10_000);
      expect(experiments.dueExposures()).toEqual([]);
      expect(experiments.dueExposures(true)).toEqual([]);
      expect(experiments.rankingOf(ids[0])).toBeUndefined();

      // The list below the fold is never seen, so two exposures in all.
      expect(experiments.exposuresOn('impression', ids[0])).toEqual([{ type: 'exposure', ranking: ids[0], experiment: 'row', variant, time: T0 + 12_000, bucket: deviceBucket('id-1') }]);
      expect(experiments.exposuresOn('click', ids[1])).toHaveLength(1);
      expect(experiments.exposuresOn('impression', ids[1])).toEqual([]);
    });

    it('counts unwatched lists on return', async () => {
      const { experiments, advance, ids, variant } = await threeLists([]);
      // The first list was returned 2 s ago, the second 1 s ago, the third now.
      expect(experiments.dueExposures().map((event) => event.ranking)).toEqual([ids[0]]);
      advance(AUTO_EXPOSURE_GRACE_MS - 1);
      expect(experiments.dueExposures().map((event) => event.ranking)).toEqual([ids[1]]);
      advance(1);
      expect(experiments.dueExposures()).toEqual([{ type: 'exposure', ranking: ids[2], experiment: 'row', variant, time: T0 + 2000, bucket: deviceBucket('id-1') }]);
      expect(experiments.dueExposures(true)).toEqual([]);
      expect(ids.map((id) => experiments.rankingOf(id))).toEqual(ids);
      expect(experiments.exposuresOn('impression', ids[0])).toEqual([]);
    });

    it('counts lists of mixed pages', async () => {
      const { experiments, advance, ids } = await threeLists([1]);
      // The page hides at once: the unwatched lists count, dated at their return.
      const hidden = experiments.dueExposures(true);
      expect(hidden.map((event) => [event.ranking, event.time])).toEqual([[ids[0], T0], [ids[2], T0 + 2000]]);
      advance(60_000);
      expect(experiments.dueExposures()).toEqual([]);
      expect(experiments.exposuresOn('impression', ids[1])).toHaveLength(1);
      expect(experiments.exposuresOn('impression', ids[1])).toEqual([]);
    });

    it('counts a click in the grace period once', async () => {
      const { experiments, advance } = client(respond(definitions), undefined, 'auto');
      await experiments.load(1000);
      const { rankingId, exposures } = experiments.expose()!;
      expect(exposures).toEqual([]);
      advance(500);
      expect(experiments.exposuresOn('view', rankingId)).toEqual([]);
      expect(experiments.exposuresOn('click', rankingId).map((event) => event.time)).toEqual([T0]);
      expect(experiments.rankingOf(rankingId)).toBe(rankingId);
      advance(AUTO_EXPOSURE_GRACE_MS);
      expect(experiments.dueExposures()).toEqual([]);
    });

    it('is the default mode', async () => {
      const env: ExperimentEnvironment = { fetch: respond(definitions), randomId: () => 'id-1', now: () => T0 };
      const experiments = new ExperimentClient('https://reco.example', 'aisle', env);
      await experiments.load(1000);
      experiments.expose();
      expect(experiments.dueExposures(true)).toHaveLength(1);
    });

    it.each(['seen', 'returned'] as const)('does nothing in %s mode', async (mode) => {
      const { experiments, advance } = client(respond(definitions), undefined, mode);
      await experiments.load(1000);
      const { rankingId, exposures } = experiments.expose()!;
      advance(AUTO_EXPOSURE_GRACE_MS);
      expect(experiments.dueExposures()).toEqual([]);
      expect(experiments.dueExposures(true)).toEqual([]);
      // An outcome on an unwatched list still counts nothing in 'seen' mode.
      expect(experiments.exposuresOn('click', rankingId)).toEqual([]);
      expect(exposures).toHaveLength(mode === 'returned' ? 1 : 0);
    });
  });

  it('returns the variant search fusion', async () => {
    const fusionDefinitions = {
      experiments: [
        { name: 'weights', salt: 's', variants: [{ name: 'a', weight: 1e6, changes: { fusion: { method: 'weighted', bm25: 0.3, vector: 0.7 } } }, { name: 'b', weight: 1 }] },
        { name: 'method', salt: 's', variants: [{ name: 'c', weight: 1e6, changes: { fusion: { method: 'rrf' } } }, { name: 'd', weight: 1 }] },
      ],
    };
    const { experiments } = client(respond({ experiments: fusionDefinitions.experiments.slice(0, 1) }));
    await experiments.load(1000);
    expect(experiments.searchDefaults()).toEqual({ fusion: 'weighted', weights: { bm25: 0.3, vector: 0.7 } });

    // With two experiments that set the fusion, the later one wins as a whole.
    const both = client(respond(fusionDefinitions)).experiments;
    await both.load(1000);
    expect(both.searchDefaults()).toEqual({ fusion: 'rrf' });

    const none = client(respond(definitions)).experiments;
    await none.load(1000);
    expect(none.searchDefaults()).toEqual({});
  });

  it('reports a failed load and stays out', async () => {
    const { experiments } = client(respond({ error: {} }, 503));
    await experiments.load(1000);
    expect(experiments.view()).toEqual({ deviceId: null, assignments: [], error: 'Loading experiments from https://reco.example/v1/experiments failed: HTTP 503.' });
    expect(experiments.expose()).toBeNull();

    const invalid = client(respond({ experiments: [{ name: 'x', variants: [] }] })).experiments;
    await invalid.load(1000);
    expect(invalid.view().error).toContain('GET /v1/experiments experiment x: `variants` must be an array of 2 to 16 variants');
  });
});
