/**
 * Conversions attributed to the list that led to them: OutcomeAttribution across page loads that
 * share localStorage, and the SDK's experiment path (ExperimentClient, LiveEventSender) against a
 * real companion on 127.0.0.1, down to the conversion rows of `aisle report`.
 */
import { rm } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ATTRIBUTION_ENTRIES, OutcomeAttribution } from '../../src/client/attribution.js';
import { LiveEventSender, toLiveEvent, toMinute } from '../../src/client/beacon.js';
import { ExperimentClient, RANKING_TTL_MS } from '../../src/client/experiments.js';
import { buildReport } from '../../src/cli/report.js';
import { wilsonInterval } from '../../src/core/experiment-stats.js';
import { deviceBucket } from '../../src/core/experiments.js';
import { createServer } from '../../src/server/app.js';
import { parseConfig } from '../../src/server/config.js';
import type { OutcomesResponse } from '../../src/server/experiments/outcomes.js';
import { buildCompanionFixture, type CompanionFixture, listenOnLoopback } from './helpers/companion-fixture.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 11, 5, 12, 0, 0);

/** Creates a Map-backed Storage that the "pages" of one test share, as they would share localStorage. */
function memoryStorage(): Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return { map, getItem: (key) => map.get(key) ?? null, setItem: (key, value) => void map.set(key, value), removeItem: (key) => void map.delete(key) };
}

describe('OutcomeAttribution', () => {
  let now = T0;
  const clock = () => now;

  it('attributes a later cart and purchase to the clicked list', () => {
    now = T0;
    const storage = memoryStorage();
    const listPage = new OutcomeAttribution(storage, 'k', 30 * MINUTE, clock);
    listPage.exposed('r1', now);
    expect(listPage.attribute('click', 'item-1', 'r1')).toBe('r1');
    expect(listPage.attribute('click', 'item-2', 'not-a-ranking')).toBeUndefined();

    // A product page loaded later has no list id, only the item.
    now += 10 * MINUTE;
    const productPage = new OutcomeAttribution(storage, 'k', 30 * MINUTE, clock);
    expect(productPage.attribute('add_to_cart', 'item-1', undefined)).toBe('r1');
    expect(productPage.attribute('purchase', 'item-1', undefined)).toBe('r1');
    expect(productPage.attribute('add_to_cart', 'item-2', undefined)).toBeUndefined();
    expect(productPage.attribute('view', 'item-1', undefined)).toBeUndefined();

    // The window is counted from the exposure: 30 minutes after it, the purchase no longer counts.
    now = T0 + 30 * MINUTE;
    expect(productPage.attribute('purchase', 'item-1', undefined)).toBe('r1');
    now += 1;
    expect(productPage.attribute('purchase', 'item-1', undefined)).toBeUndefined();
  });

  it('keeps the last click of an item', () => {
    now = T0;
    const attribution = new OutcomeAttribution(undefined, 'k', 30 * MINUTE, clock);
    attribution.exposed('r1', now);
    attribution.exposed('r2', now);
    attribution.attribute('click', 'item-1', 'r1');
    attribution.attribute('click', 'item-1', 'r2');
    expect(attribution.attribute('purchase', 'item-1', undefined)).toBe('r2');
    // An explicit list id wins over the remembered click.
    expect(attribution.attribute('purchase', 'item-1', 'r1')).toBe('r1');
  });

  it('clear erases the stored state', () => {
    now = T0;
    const storage = memoryStorage();
    const attribution = new OutcomeAttribution(storage, 'k', 30 * MINUTE, clock);
    attribution.exposed('r1', now);
    attribution.attribute('click', 'item-1', 'r1');
    expect(storage.map.has('k')).toBe(true);
    attribution.clear();
    expect(storage.map.has('k')).toBe(false);
    expect(attribution.exposedAt('r1')).toBeUndefined();
    expect(attribution.attribute('purchase', 'item-1', undefined)).toBeUndefined();
  });

  it('caps the stored entries', () => {
    now = T0;
    const storage = memoryStorage();
    const attribution = new OutcomeAttribution(storage, 'k', 30 * MINUTE, clock);
    for (let i = 0; i <= MAX_ATTRIBUTION_ENTRIES; i++) attribution.exposed(`r${i}`, now);
    const stored = JSON.parse(storage.map.get('k')!) as { exposures: Array<[string, number]> };
    expect(stored.exposures).toHaveLength(MAX_ATTRIBUTION_ENTRIES);
    expect(attribution.exposedAt('r0')).toBeUndefined();
    expect(attribution.exposedAt(`r${MAX_ATTRIBUTION_ENTRIES}`)).toBe(T0);
  });

  it('falls back to memory when storage throws', () => {
    now = T0;
    const full = { getItem: () => null, setItem: () => { throw new DOMException('quota', 'QuotaExceededError'); }, removeItem: () => undefined };
    const attribution = new OutcomeAttribution(full, 'k', 30 * MINUTE, clock);
    attribution.exposed('r1', now);
    attribution.attribute('click', 'item-1', 'r1');
    expect(attribution.attribute('purchase', 'item-1', undefined)).toBe('r1');
  });

  it('ignores a stored value of another shape', () => {
    now = T0;
    const storage = memoryStorage();
    storage.setItem('k', '{"exposures":"r1"}');
    const attribution = new OutcomeAttribution(storage, 'k', 30 * MINUTE, clock);
    expect(attribution.exposedAt('r1')).toBeUndefined();
    attribution.exposed('r2', now);
    expect(attribution.exposedAt('r2')).toBe(T0);
  });
});

describe('ExperimentClient on a page that lists no experiment', () => {
  const definitions = { experiments: [{ name: 'row', salt: 's', variants: [{ name: 'a' }, { name: 'b' }] }] };
  const answer = (body: unknown, status = 200) => (async () => new Response(JSON.stringify(body), { status })) as unknown as typeof fetch;
  const page = (fetchImpl: typeof fetch, storage: ReturnType<typeof memoryStorage>, now: number) =>
    new ExperimentClient('https://reco.example', 'aisle', { fetch: fetchImpl, storage, randomId: () => `id-${now}`, now: () => now }, 'returned');

  it('attributes outcomes of lists that an earlier page exposed', async () => {
    const storage = memoryStorage();
    const listPage = page(answer(definitions), storage, T0);
    await listPage.load(1000);
    const { rankingId } = listPage.expose()!;
    expect(listPage.outcomeRanking('click', 'item-1', rankingId)).toBe(rankingId);

    // The experiment code loads because the device keeps the list, whatever this page's response.
    for (const [answered, fetchImpl] of [['no experiment', answer({ experiments: [] })], ['HTTP 503', answer({ error: 'down' }, 503)]] as const) {
      const productPage = page(fetchImpl, storage, T0 + 5 * MINUTE);
      await productPage.load(1000);
      expect(productPage.view().assignments, answered).toEqual([]);
      expect(productPage.outcomeRanking('add_to_cart', 'item-1', undefined), answered).toBe(rankingId);
      expect(productPage.outcomeRanking('purchase', 'item-2', undefined), answered).toBeUndefined();
      expect(productPage.rankingOf(rankingId), answered).toBe(rankingId);
    }
  });

  it('attributes nothing on a device that kept no list', async () => {
    const storage = memoryStorage();
    const productPage = page(answer({ experiments: [] }), storage, T0);
    await productPage.load(1000);
    // Without an experiment the device gets no id, in memory or in storage.
    expect(productPage.view()).toEqual({ deviceId: null, assignments: [] });
    expect(storage.map.has('aisle:aisle:experiment-device')).toBe(false);
    expect(productPage.outcomeRanking('purchase', 'item-1', 'some-list')).toBeUndefined();
    expect(productPage.rankingOf('some-list')).toBeUndefined();
    expect(productPage.expose()).toBeNull();
  });

  it('reset() erases lists that another tab stored after this page loaded', async () => {
    const storage = memoryStorage();
    const productPage = page(answer({ experiments: [] }), storage, T0);
    await productPage.load(1000);
    storage.setItem('aisle:aisle:experiment-outcomes', JSON.stringify({ exposures: [['r1', T0]], clicks: [['item-1', 'r1', T0]] }));
    await productPage.reset(1000);
    expect(storage.map.has('aisle:aisle:experiment-outcomes')).toBe(false);
    expect(productPage.outcomeRanking('purchase', 'item-1', undefined)).toBeUndefined();
  });
});

describe('conversions at the companion', () => {
  const config = parseConfig({ experiments: [{ name: 'home-row', salt: 's1', variants: [{ name: 'control', weight: 1e6 }, { name: 'personal', weight: 1 }] }], outcomeWindow: '30m' }, 'test.json');
  let fixture: CompanionFixture;
  let app: FastifyInstance;
  let base: string;
  let now = T0;

  beforeAll(async () => {
    fixture = await buildCompanionFixture(10);
    app = await createServer({ modelsDir: fixture.dir, metrics: { processMetrics: false }, live: { ...config.live, now: () => now, timer: false } });
    base = await listenOnLoopback(app);
  });

  afterAll(async () => {
    await app?.close();
    if (fixture) await rm(fixture.dir, { recursive: true, force: true });
  });

  /** Opens one page of the same device: the experiment client and live event sender that track() uses. */
  async function openPage(storage: ReturnType<typeof memoryStorage>) {
    let ids = 0;
    const experiments = new ExperimentClient(base, 'aisle', { fetch, storage, randomId: () => `page-${now}-${++ids}`, now: () => now }, 'returned');
    await experiments.load(1000);
    const sender = new LiveEventSender(base, { maxBatch: 500, flushMs: 600_000 }, { fetch });
    // The glue of track() in src/client/index.ts for an event the worker stored.
    const track = (type: string, itemId: string, listId?: string) => {
      const live = toLiveEvent(type, itemId, now, experiments.outcomeRanking(type, itemId, listId));
      if (live) sender.add(live);
    };
    const recommend = () => {
      const exposure = experiments.expose()!;
      for (const event of exposure.exposures) sender.add({ ...event, time: toMinute(event.time) });
      return exposure.rankingId;
    };
    return { experiments, sender, track, recommend };
  }

  it('counts cart and purchase for the clicked list', async () => {
    const storage = memoryStorage();
    const home = await openPage(storage);
    expect(home.experiments.view().assignments[0].variant).toBe('control');
    const first = home.recommend();
    const second = home.recommend();
    home.track('click', 'item-1', first);
    home.track('click', 'item-2', second);
    await home.sender.flush();

    // The product and checkout pages track without a list id.
    now += 5 * MINUTE;
    const product = await openPage(storage);
    product.track('add_to_cart', 'item-1');
    product.track('add_to_cart', 'item-2');
    product.track('add_to_cart', 'item-3');
    await product.sender.flush();
    now += 5 * MINUTE;
    const checkout = await openPage(storage);
    checkout.track('purchase', 'item-1');
    checkout.track('purchase', 'item-3');
    await checkout.sender.flush();

    // A purchase after the window of both lists is not attributed.
    now = T0 + RANKING_TTL_MS + MINUTE;
    const late = await openPage(storage);
    late.track('purchase', 'item-2');
    await late.sender.flush();

    const outcomes = (await (await fetch(`${base}/v1/experiments/outcomes`)).json()) as OutcomesResponse;
    expect(outcomes.experiments[0].variants).toMatchObject([
      { name: 'control', exposures: 2, click: 2, add_to_cart: 2, purchase: 1 },
      { name: 'personal', exposures: 0, click: 0, add_to_cart: 0, purchase: 0 },
    ]);
    // Both lists carried the bucket of the one device.
    const bucket = deviceBucket(home.experiments.view().deviceId!);
    const buckets = outcomes.experiments[0].variants[0].buckets!;
    expect(buckets.exposures[bucket]).toBe(2);
    expect(buckets.purchase[bucket]).toBe(1);
    expect(buckets.exposures.reduce((sum, n) => sum + n, 0)).toBe(2);

    const [control] = buildReport(outcomes);
    expect(control.conversion.interval).toEqual(wilsonInterval(1, 2));
    expect(control.conversion.interval.rate).toBe(0.5);
    expect(control.addToCart).toEqual(wilsonInterval(2, 2));
  });
});
