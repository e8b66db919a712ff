/**
 * Experiments on the companion: definitions from the config at GET /v1/experiments, and
 * exposures and outcomes posted to /v1/events, counted per variant at
 * GET /v1/experiments/outcomes. The clock is injected, so the outcome window is exact.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEVICE_BUCKETS } from '../../src/core/experiments.js';
import type { LiveEventsResponse } from '../../src/core/live-events.js';
import { createServer } from '../../src/server/app.js';
import { parseConfig } from '../../src/server/config.js';
import { OutcomeStore, type OutcomesResponse } from '../../src/server/experiments/outcomes.js';
import type { ExperimentsResponse } from '../../src/server/routes/experiments.js';
import { buildCompanionFixture, type CompanionFixture, listenOnLoopback } from './helpers/companion-fixture.js';

const MINUTE = 60_000;
const T0 = Date.UTC(2026, 11, 5, 12, 0, 0);
const CONFIG = parseConfig(
  {
    experiments: [{ name: 'home-row', salt: 's1', variants: [{ name: 'control', changes: { ranker: false } }, { name: 'personal' }] }],
    outcomeWindow: '30m',
  },
  'test.json',
);

let fixture: CompanionFixture;
let app: FastifyInstance;
let base: string;
let now = T0;

async function postEvents(events: unknown[]): Promise<LiveEventsResponse> {
  const response = await fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: JSON.stringify({ events }) });
  expect(response.status).toBe(200);
  return (await response.json()) as LiveEventsResponse;
}

beforeAll(async () => {
  fixture = await buildCompanionFixture(10);
  app = await createServer({ modelsDir: fixture.dir, metrics: { processMetrics: false }, live: { ...CONFIG.live, now: () => now, timer: false } });
  base = await listenOnLoopback(app);
});

afterAll(async () => {
  await app?.close();
  if (fixture) await rm(fixture.dir, { recursive: true, force: true });
});

describe('GET /v1/experiments', () => {
  it('serves the configured definitions', async () => {
    const response = await fetch(`${base}/v1/experiments`);
    expect(response.headers.get('cache-control')).toBe('public, max-age=300');
    const manifest = JSON.parse(await readFile(join(fixture.dir, 'manifest.json'), 'utf8')) as { version: string };
    expect((await response.json()) as ExperimentsResponse).toEqual({
      experiments: [{ name: 'home-row', salt: 's1', variants: [{ name: 'control', weight: 1, changes: { ranker: false } }, { name: 'personal', weight: 1, changes: {} }] }],
      modelVersion: manifest.version,
      modelVersions: [manifest.version],
    });
  });
});

describe('experiment outcomes', () => {
  it('counts exposures and outcomes per variant', async () => {
    const exposure = (ranking: string, variant: string, bucket?: unknown) => ({ type: 'exposure', ranking, experiment: 'home-row', variant, time: now, ...(bucket === undefined ? {} : { bucket }) });
    const result = await postEvents([
      exposure('r1', 'control', 3),
      // An SDK from before device buckets sends none.
      exposure('r2', 'control'),
      exposure('r3', 'personal', 0),
      exposure('r4', 'personal', 31),
      exposure('r4', 'personal', 31),
      { type: 'exposure', ranking: 'r5', experiment: 'other', variant: 'a', time: now },
      { type: 'exposure', ranking: 'r6', experiment: 'home-row', variant: 'personal', time: now, device: 'd' },
      exposure('r7', 'personal', 32),
      exposure('r8', 'personal', 1.5),
      exposure('r9', 'personal', '2'),
      exposure('r10', 'no-such-variant', 4),
      // Two clicks on one exposure count once; a purchase counts for conversion.
      { item: 'item-1', type: 'click', time: now, ranking: 'r3' },
      { item: 'item-2', type: 'click', time: now, ranking: 'r3' },
      { item: 'item-2', type: 'purchase', time: now, ranking: 'r3' },
      { item: 'item-1', type: 'click', time: now, ranking: 'r1' },
      { item: 'item-1', type: 'click', time: now, ranking: 'no-such-list' },
    ]);
    expect(result).toEqual({ accepted: 9, rejected: 7, reasons: { repeated_exposure: 1, unknown_experiment: 1, unknown_variant: 1, unknown_field: 1, invalid_bucket: 3 } });

    // A click after the 30 minute window does not count; one at the edge does.
    now = T0 + 30 * MINUTE;
    await postEvents([{ item: 'item-3', type: 'add_to_cart', time: now, ranking: 'r4' }]);
    now = T0 + 30 * MINUTE + 1;
    await postEvents([{ item: 'item-3', type: 'click', time: now, ranking: 'r2' }]);

    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('\naisle_experiment_exposures_total 4\n');
    // r3 click, click, purchase; r1 click; r4 add_to_cart: 5 matched. The unknown list and the late click: 2.
    expect(metrics).toContain('\naisle_experiment_outcomes_total{matched="true"} 5\n');
    expect(metrics).toContain('\naisle_experiment_outcomes_total{matched="false"} 2\n');

    const outcomes = (await (await fetch(`${base}/v1/experiments/outcomes`)).json()) as OutcomesResponse;
    expect(outcomes).toEqual({
      windowMs: 30 * MINUTE,
      experiments: [
        {
          name: 'home-row',
          variants: [
            { name: 'control', exposures: 2, click: 1, add_to_cart: 0, purchase: 0, buckets: { exposures: inBuckets({ 3: 1 }), click: inBuckets({ 3: 1 }), add_to_cart: inBuckets({}), purchase: inBuckets({}) } },
            { name: 'personal', exposures: 2, click: 1, add_to_cart: 1, purchase: 1, buckets: { exposures: inBuckets({ 0: 1, 31: 1 }), click: inBuckets({ 0: 1 }), add_to_cart: inBuckets({ 31: 1 }), purchase: inBuckets({ 0: 1 }) } },
          ],
        },
      ],
    });
  });
});

/** Returns DEVICE_BUCKETS counts, 0 except those given by bucket. */
function inBuckets(counts: Record<number, number>): number[] {
  const all = new Array<number>(DEVICE_BUCKETS).fill(0);
  for (const [bucket, n] of Object.entries(counts)) all[Number(bucket)] = n;
  return all;
}

describe('OutcomeStore', () => {
  it('forgets exposures past the window', () => {
    const store = new OutcomeStore(CONFIG.live.experiments ?? [], 10 * MINUTE);
    expect(store.expose('home-row', 'control', 'a', T0)).toBeUndefined();
    expect(store.expose('home-row', 'control', 'b', T0 + 5 * MINUTE)).toBeUndefined();
    store.sweep(T0 + 12 * MINUTE);
    expect(store.openExposures).toBe(1);
    expect(store.outcome('a', 'click', T0 + 12 * MINUTE)).toBe('unknown_ranking');
    expect(store.outcome('b', 'click', T0 + 12 * MINUTE)).toBeUndefined();
    expect(store.outcome('b', 'purchase', T0 + 16 * MINUTE)).toBe('late_outcome');
    // An outcome dated before its exposure does not count, beyond the minute of rounding.
    expect(store.outcome('b', 'add_to_cart', T0 + 4 * MINUTE - 1)).toBe('early_outcome');
    expect(store.outcome('b', 'add_to_cart', T0 + 4 * MINUTE)).toBeUndefined();
    expect(store.report().experiments[0].variants[0]).toEqual({ name: 'control', exposures: 2, click: 1, add_to_cart: 1, purchase: 0, buckets: { exposures: inBuckets({}), click: inBuckets({}), add_to_cart: inBuckets({}), purchase: inBuckets({}) } });
  });

  it('counts outcomes per exposure bucket', () => {
    const store = new OutcomeStore(CONFIG.live.experiments ?? [], 10 * MINUTE);
    expect(store.expose('home-row', 'personal', 'a', T0, 7)).toBeUndefined();
    expect(store.expose('home-row', 'personal', 'b', T0, 7)).toBeUndefined();
    expect(store.expose('home-row', 'personal', 'c', T0, 9)).toBeUndefined();
    expect(store.outcome('a', 'click', T0 + MINUTE)).toBeUndefined();
    expect(store.outcome('c', 'click', T0 + MINUTE)).toBeUndefined();
    expect(store.outcome('c', 'click', T0 + 2 * MINUTE)).toBeUndefined();
    const personal = store.report().experiments[0].variants[1];
    expect(personal.exposures).toBe(3);
    expect(personal.click).toBe(2);
    expect(personal.buckets?.exposures).toEqual(inBuckets({ 7: 2, 9: 1 }));
    expect(personal.buckets?.click).toEqual(inBuckets({ 7: 1, 9: 1 }));
  });
});
