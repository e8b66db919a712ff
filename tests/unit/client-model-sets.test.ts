/**
 * The page's model set: the SDK's ExperimentClient reads the served versions from a real
 * companion with an extra model set, and the first variant that requests a served version picks
 * the set the worker loads (one per page). Variants that request another set, a version the
 * companion does not serve, or a set other than the one the page started on report
 * AISLE_MODEL_VERSION_UNAVAILABLE.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExperimentClient, modelSetEndpoint } from '../../src/client/experiments.js';
import { createServer } from '../../src/server/app.js';
import { parseConfig } from '../../src/server/config.js';
import { writeModelsDir } from '../support/companion-models.js';
import { listenOnLoopback } from './helpers/companion-fixture.js';

let root: string;
let app: FastifyInstance;
let base: string;

// The first variant's weight puts every device in it (bucket < 9999.99).
const heavy = (name: string, modelVersion: string) => ({ name: `${name}-${modelVersion}`, weight: 1e6, changes: { modelVersion } });

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'aisle-client-sets-'));
  await writeModelsDir(join(root, 'a'), { items: 20, dim: 8, seed: 1, version: 'set-a', idPrefix: 'sku' });
  await writeModelsDir(join(root, 'b'), { items: 20, dim: 8, seed: 2, version: 'set-b', idPrefix: 'sku' });
  const config = parseConfig(
    {
      experiments: [
        { name: 'models', salt: 's', variants: [heavy('to', 'set-b'), { name: 'control' }] },
        { name: 'row', salt: 's', variants: [{ name: 'popular', weight: 1e6, changes: { ranker: false } }, { name: 'personal' }] },
        { name: 'pinned', salt: 's', variants: [heavy('to', 'set-a'), { name: 'control' }] },
        { name: 'future', salt: 's', variants: [heavy('to', 'set-z'), { name: 'control' }] },
      ],
      modelSets: { 'set-b': 'b' },
    },
    join(root, 'companion.json'),
  );
  app = await createServer({ modelsDir: join(root, 'a'), modelSets: config.modelSets, metrics: false, textSearch: 'inline', live: { ...config.live, timer: false } });
  base = await listenOnLoopback(app);
});

afterAll(async () => {
  await app?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

describe('model set of the page', () => {
  it('follows the first variant that requests a served set', async () => {
    const experiments = new ExperimentClient(base, 'aisle', { fetch, randomId: () => 'device-1', now: () => Date.now() }, 'returned');
    await experiments.load(5000);
    expect(experiments.modelSetVersion()).toBe('set-b');
    expect(modelSetEndpoint(base, 'set-b')).toBe(`${base}/versions/set-b`);

    const [models, row, pinned, future] = experiments.view().assignments;
    expect(models).toEqual({ experiment: 'models', variant: 'to-set-b', changes: { modelVersion: 'set-b' } });
    expect(row.degraded).toBeUndefined();
    expect(pinned.degraded).toEqual({
      code: 'AISLE_MODEL_VERSION_UNAVAILABLE',
      reason: 'Variant to-set-a of experiment pinned asks for model set version "set-a", but the variant of experiment models on this device requests model set version "set-b", and a page runs one model set. This device takes no part in experiment pinned. Give the variants of experiments that run together the same modelVersion, or none.',
    });
    expect(future.degraded).toEqual({
      code: 'AISLE_MODEL_VERSION_UNAVAILABLE',
      reason: 'Variant to-set-z of experiment future asks for model set version "set-z", but the companion serves model set versions "set-a", "set-b". This device takes no part in the experiment. Serve that model set or remove modelVersion from the variant.',
    });
    expect(experiments.issues()).toEqual([pinned.degraded, future.degraded]);

    // Exposures go out for the applied experiments only.
    const exposure = experiments.expose();
    expect(exposure?.exposures.map((event) => [event.experiment, event.variant])).toEqual([['models', 'to-set-b'], ['row', 'popular']]);
  });

  it('keeps the default set for its own version', async () => {
    const definitions = { experiments: [{ name: 'pinned', salt: 's', variants: [heavy('to', 'set-a'), { name: 'control' }] }], modelVersion: 'set-a', modelVersions: ['set-a', 'set-b'] };
    const experiments = new ExperimentClient('https://reco.example', 'aisle', { fetch: respond(() => definitions), randomId: () => 'device-1', now: () => Date.now() });
    await experiments.load(1000);
    expect(experiments.modelSetVersion()).toBeNull();
    expect(experiments.issues()).toEqual([]);
  });

  it('keeps the started set after a reassignment', async () => {
    let definitions = { experiments: [{ name: 'models', salt: 's', variants: [heavy('to', 'set-b'), { name: 'control' }] }], modelVersion: 'set-a', modelVersions: ['set-a', 'set-b'] };
    const experiments = new ExperimentClient('https://reco.example', 'aisle', { fetch: respond(() => definitions), randomId: () => 'device-1', now: () => Date.now() });
    await experiments.load(1000);
    expect(experiments.modelSetVersion()).toBe('set-b');

    // forget() reassigns, here into a variant of the default set, while the worker keeps set-b.
    definitions = { ...definitions, experiments: [{ name: 'models', salt: 's', variants: [heavy('back', 'set-a'), { name: 'control' }] }] };
    await experiments.reset(1000);
    expect(experiments.modelSetVersion()).toBe('set-b');
    expect(experiments.issues()).toEqual([
      {
        code: 'AISLE_MODEL_VERSION_UNAVAILABLE',
        reason: 'Variant back-set-a of experiment models asks for model set version "set-a", but this page started on model set version "set-b", and a page runs one model set. This device takes part in the experiment from the next page load.',
      },
    ]);
    expect(experiments.expose()).toBeNull();
  });

  it('runs the default set when the definitions time out', async () => {
    const never = ((_url: string, init?: RequestInit) => new Promise<Response>((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new Error('aborted'))))) as unknown as typeof fetch;
    const experiments = new ExperimentClient('https://reco.example', 'aisle', { fetch: never, randomId: () => 'device-1', now: () => Date.now() });
    await experiments.load(50);
    expect(experiments.modelSetVersion()).toBeNull();
    expect(experiments.issues()).toEqual([{ code: 'AISLE_TIMEOUT', reason: 'GET /v1/experiments did not respond within 50 ms, so this page runs the default model set and takes part in no experiment.' }]);
    expect(experiments.view().error).toBe('Loading experiments from https://reco.example/v1/experiments failed: aborted.');
  });
});

function respond(body: () => unknown): typeof fetch {
  return (async () => new Response(JSON.stringify(body()))) as unknown as typeof fetch;
}
