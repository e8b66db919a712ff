/**
 * GET /metrics of the real companion on 127.0.0.1 after a known sequence of requests: exact
 * request counts per route, FAISS calls and batch sizes, cache hits and misses, index size and
 * version, live events. Also the request ids in the response header and in the pino logs.
 */
import { rm } from 'node:fs/promises';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeVector } from '../../src/core/vector.js';
import { createServer } from '../../src/server/app.js';
import { buildCompanionFixture, type CompanionFixture, listenOnLoopback } from './helpers/companion-fixture.js';

let fixture: CompanionFixture;
let app: FastifyInstance;
let base: string;
const logLines: Array<Record<string, unknown>> = [];

/** Returns the value of one sample line of the exposition text, or undefined when it is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = match[2] ? match[2].split(',') : [];
    if (present.length === wanted.length && wanted.every((label) => present.includes(label))) return Number(match[3]);
  }
  return undefined;
}

async function scrape(): Promise<string> {
  const response = await fetch(`${base}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

function vectorOf(item: number): string {
  return encodeVector(fixture.vectors.subarray(item * fixture.dim, (item + 1) * fixture.dim));
}

async function candidates(item: number): Promise<Response> {
  return fetch(`${base}/v1/candidates`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ vector: vectorOf(item), k: 5 }) });
}

beforeAll(async () => {
  fixture = await buildCompanionFixture(30);
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  app = await createServer({ modelsDir: fixture.dir, metrics: { processMetrics: false }, logger: { level: 'info', stream } });
  base = await listenOnLoopback(app);
});

afterAll(async () => {
  await app?.close();
  if (fixture) await rm(fixture.dir, { recursive: true, force: true });
});

describe('GET /metrics', () => {
  it('starts with the index and zero counters', async () => {
    const text = await scrape();
    expect(sample(text, 'aisle_index_vectors', { type: 'Flat', version: 'fixture-1' })).toBe(30);
    expect(sample(text, 'aisle_catalog_items')).toBe(30);
    expect(sample(text, 'aisle_live_events_accepted_total')).toBe(0);
    expect(sample(text, 'aisle_live_events_rejected_total', { reason: 'too_old' })).toBe(0);
    expect(sample(text, 'aisle_ann_batch_size_count')).toBe(0);
    expect(sample(text, 'aisle_cache_hits_total', { cache: 'ann_result' })).toBe(0);
    expect(sample(text, 'aisle_cache_hit_ratio', { cache: 'ann_result' })).toBe(0);
    // No process metrics when they are turned off.
    expect(text).not.toContain('process_cpu_user_seconds_total');
  });

  it('counts requests, FAISS calls, caches and live events exactly', async () => {
    // Two distinct user vectors and one repeat: two FAISS calls, one result cache hit.
    for (const item of [1, 2, 1]) expect((await candidates(item)).status).toBe(200);
    expect((await fetch(`${base}/v1/items?ids=item-1,item-4`)).status).toBe(200);
    expect((await fetch(`${base}/no/such/route`)).status).toBe(404);
    const events = { events: [{ item: 'item-3', type: 'view', time: Date.now() }, { item: 'item-3', type: 'click', time: Date.now() }, { item: 'gone', type: 'view', time: Date.now() }, { item: 'item-3', type: 'view', time: 5 }] };
    expect((await fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) })).status).toBe(200);

    const text = await scrape();
    expect(sample(text, 'aisle_http_request_duration_seconds_count', { method: 'POST', route: '/v1/candidates', status_code: '200' })).toBe(3);
    expect(sample(text, 'aisle_http_request_duration_seconds_count', { method: 'GET', route: '/v1/items', status_code: '200' })).toBe(1);
    expect(sample(text, 'aisle_http_request_duration_seconds_count', { method: 'GET', route: 'unmatched', status_code: '404' })).toBe(1);
    expect(sample(text, 'aisle_http_request_duration_seconds_count', { method: 'POST', route: '/v1/events', status_code: '200' })).toBe(1);
    // The first scrape is counted too; this one is still running, so it is not.
    expect(sample(text, 'aisle_http_request_duration_seconds_count', { method: 'GET', route: '/metrics', status_code: '200' })).toBe(1);

    expect(sample(text, 'aisle_ann_search_duration_seconds_count')).toBe(2);
    expect(sample(text, 'aisle_ann_batch_size_count')).toBe(2);
    expect(sample(text, 'aisle_ann_batch_size_sum')).toBe(2);
    expect(sample(text, 'aisle_ann_batch_size_bucket', { le: '1' })).toBe(2);
    expect(sample(text, 'aisle_cache_hits_total', { cache: 'ann_result' })).toBe(1);
    expect(sample(text, 'aisle_cache_misses_total', { cache: 'ann_result' })).toBe(2);
    expect(sample(text, 'aisle_cache_hit_ratio', { cache: 'ann_result' })).toBeCloseTo(1 / 3, 12);

    expect(sample(text, 'aisle_live_batches_total')).toBe(1);
    expect(sample(text, 'aisle_live_events_accepted_total')).toBe(2);
    expect(sample(text, 'aisle_live_events_rejected_total', { reason: 'unknown_item' })).toBe(1);
    expect(sample(text, 'aisle_live_events_rejected_total', { reason: 'invalid_time' })).toBe(1);
    expect(sample(text, 'aisle_experiment_exposures_total')).toBe(0);
    expect(sample(text, 'aisle_experiment_outcomes_total', { matched: 'false' })).toBe(0);
  });

  it('keeps counters cumulative across scrapes', async () => {
    const before = await scrape();
    const hits = sample(before, 'aisle_cache_hits_total', { cache: 'item_json' }) ?? Number.NaN;
    expect((await fetch(`${base}/v1/items?ids=item-1`)).status).toBe(200);
    const after = await scrape();
    expect(sample(after, 'aisle_cache_hits_total', { cache: 'item_json' })).toBe(hits + 1);
    expect(sample(after, 'aisle_live_events_accepted_total')).toBe(2);
  });
});

describe('request ids', () => {
  it('keeps a safe incoming id and logs it', async () => {
    const response = await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'edge-42.a' } });
    expect(response.headers.get('x-request-id')).toBe('edge-42.a');
    const completed = logLines.find((line) => line.reqId === 'edge-42.a' && line.msg === 'request completed');
    expect(completed?.res).toEqual({ statusCode: 200 });
    expect(typeof completed?.responseTime).toBe('number');
  });

  it('replaces a missing or unsafe id with a UUID', async () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    expect((await fetch(`${base}/healthz`)).headers.get('x-request-id')).toMatch(uuid);
    expect((await fetch(`${base}/healthz`, { headers: { 'x-request-id': 'a b\u00e9' } })).headers.get('x-request-id')).toMatch(uuid);
  });
});
