/**
 * Live signals over HTTP: POST /v1/events into the real companion on 127.0.0.1, then the counters
 * in GET /v1/trending, POST /v1/candidates and GET /v1/items. The clock is injected and the sink
 * flushed by hand, so every value is exact.
 */
import { rm } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveEventsResponse, LiveSignals } from '../../src/core/live-events.js';
import type { CandidatesResponse, ErrorBody, ItemsResponse, ItemWire } from '../../src/core/types.js';
import { encodeVector } from '../../src/core/vector.js';
import { createServer } from '../../src/server/app.js';
import { DecayedCounterStore } from '../../src/server/live/decayed-counters.js';
import { InProcessEventSink } from '../../src/server/live/event-sink.js';
import { buildCompanionFixture, type CompanionFixture, listenOnLoopback } from './helpers/companion-fixture.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 11, 5, 12, 0, 0);

let fixture: CompanionFixture;
let app: FastifyInstance;
let base: string;
let now = T0;
let liveSink: InProcessEventSink;

async function postEvents(body: unknown, contentType = 'application/json'): Promise<Response> {
  return fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });
}

async function trending(k = 5): Promise<Array<ItemWire & { live: LiveSignals }>> {
  const response = await fetch(`${base}/v1/trending?k=${k}`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: Array<ItemWire & { live: LiveSignals }> }).items;
}

beforeAll(async () => {
  fixture = await buildCompanionFixture();
  // The store and sink are passed in, as a deployment with its own event path would, so the test
  // can flush by hand.
  const ids = fixture.items.map((item) => item.id);
  const store = new DecayedCounterStore({ size: ids.length, idAt: (i) => ids[i], indexOf: (id) => (ids.includes(id) ? ids.indexOf(id) : undefined) }, {
    halfLivesMs: { view: HOUR, click: HOUR, add_to_cart: HOUR, purchase: HOUR },
    trendingShortMs: HOUR,
    trendingLongMs: 4 * HOUR,
    trendingPrior: 0,
    minTrendingCount: 3,
    minTrendingScore: 1,
  });
  liveSink = new InProcessEventSink(store, { now: () => now, timer: false });
  app = await createServer({ modelsDir: fixture.dir, live: { now: () => now, store, sink: liveSink } });
  base = await listenOnLoopback(app);
});

afterAll(async () => {
  await app?.close();
  if (fixture) await rm(fixture.dir, { recursive: true, force: true });
});

describe('POST /v1/events', () => {
  it('counts accepted and rejected events', async () => {
    const response = await postEvents({
      events: [
        { item: 'item-5', type: 'view', time: T0 },
        { item: 'item-5', type: 'click', time: T0 },
        { item: 'no-such-item', type: 'view', time: T0 },
        { item: 'item-5', type: 'view', time: T0, device: 'd-1' },
      ],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as LiveEventsResponse;
    expect(body).toEqual({ accepted: 2, rejected: 2, reasons: { unknown_item: 1, unknown_field: 1 } });
  });

  it('accepts a text/plain body as sendBeacon sends it', async () => {
    const response = await postEvents(JSON.stringify({ events: [{ item: 'item-6', type: 'purchase', time: T0 }] }), 'text/plain;charset=UTF-8');
    expect(response.status).toBe(200);
    expect(((await response.json()) as LiveEventsResponse).accepted).toBe(1);
  });

  it('rejects a body without an events array', async () => {
    const response = await postEvents({ items: [] });
    expect(response.status).toBe(400);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.code).toBe('AISLE_INVALID_REQUEST');
    expect(body.error.message).toContain('events');
  });

  it('rejects a field beside the events', async () => {
    const response = await postEvents({ events: [], device: 'd-1' });
    expect(response.status).toBe(400);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.code).toBe('AISLE_INVALID_REQUEST');
    expect(body.error.message).toContain('device');
  });

  it('rejects a batch of more than 500 events', async () => {
    const events = Array.from({ length: 501 }, () => ({ item: 'item-1', type: 'view', time: T0 }));
    const response = await postEvents({ events });
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error.code).toBe('AISLE_INVALID_REQUEST');
  });

  it('rejects malformed JSON in a text/plain body', async () => {
    const response = await postEvents('{"events": [', 'text/plain');
    expect(response.status).toBe(400);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.code).toBe('AISLE_INVALID_REQUEST');
    expect(body.error.message).toBe('Invalid request body: the text/plain body is not valid JSON. Send a JSON object such as {"events": [...]}.');
  });
});

describe('live signals in responses', () => {
  it('ships decayed counters once the sink flushes', async () => {
    const before = await fetch(`${base}/v1/items?ids=item-5`);
    const stale = ((await before.json()) as ItemsResponse).items[0];
    expect(stale.live?.views).toBe(0);

    now = T0 + HOUR;
    await liveSink.flush();
    const response = await fetch(`${base}/v1/items?ids=item-5,item-6`);
    const { items } = (await response.json()) as ItemsResponse;
    expect(items[0].live).toEqual({ views: 0.5, clicks: 0.5, addToCart: 0, purchases: 0, trending: expect.any(Number), lastEventAt: T0, at: T0 + HOUR });
    expect(items[1].live?.purchases).toBe(0.5);
  });

  it('keeps the popular order before anything trends', async () => {
    const items = await trending(3);
    expect(items.map((item) => item.id)).toEqual(['item-0', 'item-1', 'item-2']);
    expect(items[0].live).toEqual({ views: 0, clicks: 0, addToCart: 0, purchases: 0, trending: 0, lastEventAt: null, at: T0 + HOUR });
  });

  it('moves a burst to the top of trending and the cold-start list', async () => {
    now = T0 + 2 * HOUR;
    const burst = Array.from({ length: 8 }, () => ({ item: 'item-30', type: 'view', time: now }));
    expect(((await (await postEvents({ events: burst })).json()) as LiveEventsResponse).accepted).toBe(8);
    // Not in the snapshot until the next flush.
    expect((await trending(1))[0].id).toBe('item-0');

    now += 1000;
    await liveSink.flush();
    const items = await trending(3);
    expect(items.map((item) => item.id)).toEqual(['item-30', 'item-0', 'item-1']);
    expect(items[0].live.views).toBe(8 * 2 ** (-1000 / HOUR));
    expect(items[0].live.trending).toBeGreaterThan(1);

    const vector = encodeVector(fixture.vectors.subarray(0, fixture.dim));
    const response = await fetch(`${base}/v1/candidates`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ vector, k: 3 }) });
    const body = (await response.json()) as CandidatesResponse;
    expect(body.popular?.slice(0, 2).map((item) => item.id)).toEqual(['item-30', 'item-0']);
    expect(body.items[0].id).toBe('item-0');
    expect(body.items[0].annScore).toBeCloseTo(1, 5);
    expect(body.items[0].live?.at).toBe(now);

    const excluded = await fetch(`${base}/v1/candidates`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ vector, k: 3, exclude: ['item-30'] }) });
    expect(((await excluded.json()) as CandidatesResponse).popular?.[0].id).toBe('item-0');
  });
});
