/**
 * The `modelVersion` change of a variant: the companion states the model set version it serves at
 * GET /v1/experiments, and the SDK's ExperimentClient applies a variant only when its
 * modelVersion equals it. Otherwise the device reports AISLE_MODEL_VERSION_UNAVAILABLE, sends no
 * exposure for that experiment and keeps the default settings.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExperimentClient } from '../../src/client/experiments.js';
import { createServer } from '../../src/server/app.js';
import { parseConfig } from '../../src/server/config.js';
import { buildCompanionFixture, type CompanionFixture, listenOnLoopback } from './helpers/companion-fixture.js';

let fixture: CompanionFixture;
let app: FastifyInstance;
let base: string;
let served: string;

beforeAll(async () => {
  fixture = await buildCompanionFixture(10);
  served = (JSON.parse(await readFile(join(fixture.dir, 'manifest.json'), 'utf8')) as { version: string }).version;
  // The heavy first variants put every device in them (bucket < 9999.99).
  const config = parseConfig(
    {
      experiments: [
        { name: 'current-models', salt: 's', variants: [{ name: 'served', weight: 1e6, changes: { modelVersion: served, liveWeight: 2 } }, { name: 'other', weight: 1 }] },
        { name: 'next-models', salt: 's', variants: [{ name: 'next', weight: 1e6, changes: { modelVersion: 'v-next', ranker: false } }, { name: 'control', weight: 1 }] },
      ],
    },
    'test.json',
  );
  app = await createServer({ modelsDir: fixture.dir, metrics: { processMetrics: false }, live: { ...config.live, timer: false } });
  base = await listenOnLoopback(app);
});

afterAll(async () => {
  await app?.close();
  if (fixture) await rm(fixture.dir, { recursive: true, force: true });
});

describe('variant modelVersion', () => {
  it('applies only the served version', async () => {
    const experiments = new ExperimentClient(base, 'aisle', { fetch, randomId: () => 'device-1', now: () => Date.now() }, 'returned');
    await experiments.load(5000);
    const [current, next] = experiments.view().assignments;
    expect(current).toEqual({ experiment: 'current-models', variant: 'served', changes: { modelVersion: served, liveWeight: 2 } });
    expect(next.variant).toBe('next');
    expect(next.degraded).toEqual({
      code: 'AISLE_MODEL_VERSION_UNAVAILABLE',
      reason: `Variant next of experiment next-models asks for model set version "v-next", but the companion serves model set version ${JSON.stringify(served)}. This device takes no part in the experiment. Serve that model set or remove modelVersion from the variant.`,
    });
    expect(experiments.issues()).toEqual([next.degraded]);

    // ranker: false of the variant it cannot apply stays off.
    expect(experiments.recommendDefaults()).toEqual({ liveWeight: 2 });
    const exposure = experiments.expose();
    expect(exposure?.exposures.map((event) => event.experiment)).toEqual(['current-models']);
  });

  it('rejects a companion without a version', async () => {
    const definitions = { experiments: [{ name: 'next-models', salt: 's', variants: [{ name: 'next', weight: 1e6, changes: { modelVersion: 'v-next' } }, { name: 'control', weight: 1 }] }] };
    const fetchOld = (async () => new Response(JSON.stringify(definitions))) as unknown as typeof fetch;
    const experiments = new ExperimentClient('https://reco.example', 'aisle', { fetch: fetchOld, randomId: () => 'device-1', now: () => Date.now() });
    await experiments.load(1000);
    expect(experiments.issues()[0].reason).toContain('but the companion does not state the model set version it serves.');
    expect(experiments.expose()).toBeNull();
  });
});
