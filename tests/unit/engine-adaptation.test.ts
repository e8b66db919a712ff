/**
 * Adaptation and explain() in the engine, on the fake companion and the tiny models (a linear
 * ranker, so every expected score and attribution is exact).
 */
import * as ortNode from 'onnxruntime-node';
import { afterEach, describe, expect, it } from 'vitest';
import type { ResolvedOptions } from '../../src/client/protocol.js';
import { DEFAULT_ADAPTATION, emptyAdaptation, type AdaptationExample, type AdaptationOptions, type AdaptationState } from '../../src/core/adaptation.js';
import { FEATURE_NAMES } from '../../src/core/features.js';
import type { Manifest } from '../../src/core/types.js';
import { selectBackend } from '../../src/runtime/backend.js';
import type { ModelBytes } from '../../src/runtime/model-runner.js';
import type { OrtModule } from '../../src/runtime/ort.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { EventStore } from '../../src/store/types.js';
import { adaptationStep } from '../../src/worker/adaptation/tf-trainer.js';
import { Engine } from '../../src/worker/engine.js';
import { buildCatalog, createFakeCompanion, type FakeItem } from '../browser/fixtures/fake-companion.js';
import { buildTinyModelSet } from '../browser/fixtures/tiny-models.js';

const DIM = 8;
const T0 = 1_790_000_000_000;
const engines: Engine[] = [];

afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.destroy().catch(() => undefined);
});

interface Harness {
  engine: Engine;
  catalog: FakeItem[];
  store: EventStore;
  clock: { now: number };
  /** Every call of the adaptation step: its examples and the state it returned. */
  steps: Array<{ examples: readonly AdaptationExample[]; result: AdaptationState }>;
}

async function createHarness(options: { adaptation?: AdaptationOptions | null; store?: EventStore; fixedState?: AdaptationState } = {}): Promise<Harness> {
  const catalog = buildCatalog(30, DIM);
  const companion = createFakeCompanion({ catalog, modelFiles: buildTinyModelSet({ dim: DIM, seqLen: 8 }).files });
  const store = options.store ?? new MemoryStore();
  const clock = { now: T0 };
  const steps: Harness['steps'] = [];
  const createRunner = async (bytes: ModelBytes, manifest: Manifest) => {
    const loadOrt = async () => ({ ort: ortNode as unknown as OrtModule, providers: { wasm: ['cpu'] } });
    return selectBackend({ request: 'wasm', loadOrt, bytes, manifest, probeWebGpu: async () => ({ adapter: false }) });
  };
  const resolved: ResolvedOptions = { endpoint: 'http://companion.test', models: 'http://companion.test/models/manifest.json', storage: 'memory', timeoutMs: 20_000, backend: 'wasm', dbName: 'unused', maxEvents: 1000, ranker: 'ort', adaptation: options.adaptation === undefined ? { ...DEFAULT_ADAPTATION } : options.adaptation };
  let ids = 0;
  const engine = await Engine.create(resolved, {
    fetch: companion.fetch,
    store,
    createRunner,
    now: () => clock.now,
    makeId: () => `event-${++ids}`,
    adaptationStep: async (state, examples, adaptation, now) => {
      const result = options.fixedState ?? (await adaptationStep(state, examples, adaptation, now));
      steps.push({ examples, result });
      return result;
    },
  });
  engines.push(engine);
  await engine.info().then(() => engine.ready);
  return { engine, catalog, store, clock, steps };
}

async function showAndClick(harness: Harness, shown: string[], clicked?: string): Promise<void> {
  for (const [position, itemId] of shown.entries()) {
    harness.clock.now += 100;
    await harness.engine.track({ type: 'impression', itemId, listId: 'home', position });
  }
  if (clicked) {
    harness.clock.now += 1000;
    await harness.engine.track({ type: 'click', itemId: clicked, listId: 'home' });
  }
}

describe('Engine adaptation', () => {
  it('learns from a click and the skips above and below it', async () => {
    const harness = await createHarness();
    const { items } = await harness.engine.rank(['item-0', 'item-1', 'item-2', 'item-3']);
    const shown = items.map((item) => item.id).slice(0, 3);
    await showAndClick(harness, shown, shown[1]);

    expect(harness.steps).toHaveLength(1);
    const { examples } = harness.steps[0];
    expect(examples.map((example) => example.label)).toEqual([0, 1, 0]);
    // Offsets are ranker scores minus the ranking's best, so the top item's is 0.
    expect(examples[0].offset).toBe(0);
    expect(examples[1].offset).toBeCloseTo(items[1].score - items[0].score, 5);
    const profile = await harness.engine.profile();
    expect(profile.adaptation?.clicks).toBe(1);
    expect(profile.adaptation?.skips).toBe(2);
    expect(profile.adaptation?.featureWeights).toHaveLength(FEATURE_NAMES.length);
    expect(profile.adaptation?.vectorWeights).toHaveLength(DIM);
  });

  it('centers rows on the ranking mean', async () => {
    const harness = await createHarness();
    await harness.engine.rank(['item-0', 'item-1', 'item-2', 'item-3']);
    await showAndClick(harness, ['item-0', 'item-1', 'item-2', 'item-3'], 'item-3');
    const { examples } = harness.steps[0];
    const popularity = FEATURE_NAMES.indexOf('popularity');
    // Popularity is 1 - i/30 for item-i, so the mean of items 0..3 is 1 - 1.5/30.
    expect(examples[0].features[popularity]).toBeCloseTo(1.5 / 30, 6);
    expect(examples[3].features[popularity]).toBeCloseTo(-1.5 / 30, 6);
    for (let j = 0; j < DIM; j++) expect(examples.reduce((sum, example) => sum + example.vector[j], 0)).toBeCloseTo(0, 6);
  });

  it('counts an unclicked impression as skipped after skipAfterMs', async () => {
    const harness = await createHarness({ adaptation: { ...DEFAULT_ADAPTATION, skipAfterMs: 10_000 } });
    await harness.engine.rank(['item-0', 'item-1']);
    await showAndClick(harness, ['item-0', 'item-1']);
    harness.clock.now += 9_000;
    await harness.engine.rank(['item-0', 'item-1']);
    expect(harness.steps).toHaveLength(0);
    harness.clock.now += 1_000;
    await harness.engine.rank(['item-0', 'item-1']);
    expect(harness.steps).toHaveLength(1);
    expect(harness.steps[0].examples.map((example) => example.label)).toEqual([0, 0]);
    expect((await harness.engine.profile()).adaptation?.skips).toBe(2);
  });

  it('adds the learned correction to ranker scores', async () => {
    const fixed = emptyAdaptation(T0);
    fixed.featureWeights[FEATURE_NAMES.indexOf('popularity')] = 2;
    const harness = await createHarness({ fixedState: fixed });
    const ids = ['item-0', 'item-5', 'item-10'];
    const before = await harness.engine.rank(ids);
    // A skip, not a click, so the history and with it the ranker features stay the same.
    await showAndClick(harness, ['item-0']);
    harness.clock.now += DEFAULT_ADAPTATION.skipAfterMs;
    const after = await harness.engine.rank(ids);
    expect(harness.steps).toHaveLength(1);
    for (const id of ids) {
      const popularity = 1 - Number(id.slice(5)) / 30;
      const scoreBefore = before.items.find((item) => item.id === id)!.score;
      expect(after.items.find((item) => item.id === id)!.score).toBeCloseTo(scoreBefore + 2 * popularity, 5);
    }
  });

  it('stores the adaptation with the profile', async () => {
    const store = new MemoryStore();
    const harness = await createHarness({ store });
    await harness.engine.rank(['item-0', 'item-1', 'item-2']);
    await showAndClick(harness, ['item-0', 'item-1', 'item-2'], 'item-2');
    const learned = (await harness.engine.profile()).adaptation!;
    expect((await store.getProfile())?.adaptation).toEqual(learned);

    // A new engine on the same store, as after a reload, restores it.
    const reloaded = await createHarness({ store });
    expect((await reloaded.engine.profile()).adaptation).toEqual(learned);
  });

  it('erases the adaptation on forget', async () => {
    const harness = await createHarness();
    await harness.engine.rank(['item-0', 'item-1']);
    await showAndClick(harness, ['item-0', 'item-1'], 'item-1');
    expect((await harness.engine.profile()).adaptation).not.toBeNull();
    await harness.engine.forget();
    expect((await harness.engine.profile()).adaptation).toBeNull();
    expect((await harness.store.getProfile())?.adaptation).toBeUndefined();
    // Pending impressions went too: a click now teaches nothing.
    await harness.engine.track({ type: 'click', itemId: 'item-0' });
    expect(harness.steps).toHaveLength(1);
  });

  it('drops a malformed stored adaptation', async () => {
    const store = new MemoryStore();
    await store.putProfile({ userVector: null, vectorVersion: 0, counts: {}, updatedAt: T0, adaptation: { ...emptyAdaptation(T0), featureWeights: [1, 2, 3] } });
    const harness = await createHarness({ store });
    expect((await harness.engine.profile()).adaptation).toBeNull();
  });

  it('learns nothing when turned off', async () => {
    const harness = await createHarness({ adaptation: null });
    await harness.engine.rank(['item-0', 'item-1']);
    await showAndClick(harness, ['item-0', 'item-1'], 'item-1');
    expect(harness.steps).toHaveLength(0);
    expect((await harness.engine.profile()).adaptation).toBeNull();
  });
});

describe('Engine explain', () => {
  it('attributes the linear ranker exactly', async () => {
    const harness = await createHarness({ adaptation: null });
    await harness.engine.track({ type: 'view', itemId: 'item-3' });
    const ranked = await harness.engine.rank(['item-4', 'item-8']);
    const explanation = await harness.engine.explain('item-4');

    expect(explanation.rankerScore).toBeCloseTo(ranked.items.find((item) => item.id === 'item-4')!.score, 5);
    expect(explanation.baselineScore).toBeCloseTo(0.1, 6);
    const byFactor = Object.fromEntries(explanation.contributions.map((entry) => [entry.factor, entry]));
    const features = { ...byFactor.history.features, ...byFactor.covisitation.features, ...byFactor.popularity.features };
    // The tiny ranker is 0.1 + 2 user_cosine + last_cosine + 1.5 covisit_last + 0.5 popularity - seen.
    expect(byFactor.history.contribution).toBeCloseTo(2 * features.user_cosine! + features.last_cosine!, 5);
    expect(byFactor.covisitation.contribution).toBeCloseTo(1.5 * 0.9, 5);
    expect(byFactor.popularity.contribution).toBeCloseTo(0.5 * (1 - 4 / 30), 5);
    expect(byFactor.trending.contribution).toBe(0);
    expect(byFactor.price.contribution).toBe(0);
    const total = explanation.contributions.reduce((sum, entry) => sum + entry.contribution, 0);
    expect(total).toBeCloseTo(explanation.rankerScore - explanation.baselineScore, 5);

    expect(explanation.events.map((event) => event.itemId)).toEqual(explanation.events.length ? ['item-3'] : []);
    const covisitation = explanation.reasons.find((reason) => reason.kind === 'covisitation');
    expect(covisitation?.text).toBe('Often chosen after Item 3 blue mascara');
    expect(explanation.reasons.find((reason) => reason.kind === 'popular')?.text).toBe('Popular in even');
  });

  it('puts matching searches first', async () => {
    const harness = await createHarness({ adaptation: null });
    await harness.engine.track({ type: 'search', query: 'red lipstick' });
    await harness.engine.track({ type: 'search', query: 'blue jeans' });
    const explanation = await harness.engine.explain('item-6');
    expect(explanation.reasons[0]).toEqual({ kind: 'search', text: 'Matches your search “red lipstick”', weight: 1, query: 'red lipstick' });
    expect(explanation.reasons.filter((reason) => reason.kind === 'search')).toHaveLength(1);
  });

  it('names the most similar recent events', async () => {
    const harness = await createHarness({ adaptation: null });
    for (const id of ['item-1', 'item-2', 'item-7']) await harness.engine.track({ type: 'view', itemId: id });
    // The item the history factor raises most: 2 user_cosine + last_cosine in the tiny ranker.
    const userVector = (await harness.engine.profile()).userVector!;
    const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((sum, x, i) => sum + x * b[i], 0);
    const last = harness.catalog[7].vector;
    const target = harness.catalog.filter((entry) => !['item-1', 'item-2', 'item-7'].includes(entry.id)).sort((a, b) => 2 * dot(userVector, b.vector) + dot(last, b.vector) - 2 * dot(userVector, a.vector) - dot(last, a.vector))[0];

    const explanation = await harness.engine.explain(target.id);
    const expectedEvents = harness.catalog.filter((entry) => ['item-1', 'item-2', 'item-7'].includes(entry.id) && dot(entry.vector, target.vector) > 0).sort((a, b) => dot(b.vector, target.vector) - dot(a.vector, target.vector));
    expect(explanation.events.map((event) => event.itemId)).toEqual(expectedEvents.map((entry) => entry.id));
    explanation.events.forEach((event, i) => expect(event.similarity).toBeCloseTo(dot(expectedEvents[i].vector, target.vector), 6));
    const history = explanation.contributions.find((entry) => entry.factor === 'history')!;
    expect(history.contribution).toBeGreaterThan(0);
    expect(explanation.reasons.find((reason) => reason.kind === 'recent_event')?.text).toBe(`Because you viewed ${expectedEvents[0].title}`);
  });

  it('includes the adaptation contribution', async () => {
    const fixed = emptyAdaptation(T0);
    fixed.featureWeights[FEATURE_NAMES.indexOf('popularity')] = 1;
    const harness = await createHarness({ fixedState: fixed });
    await harness.engine.rank(['item-0', 'item-1']);
    await showAndClick(harness, ['item-0'], 'item-0');
    const explanation = await harness.engine.explain('item-1');
    const adaptation = explanation.contributions.find((entry) => entry.factor === 'adaptation');
    expect(adaptation?.contribution).toBeCloseTo(1 - 1 / 30, 6);
    expect(explanation.score).toBeCloseTo(explanation.rankerScore + (1 - 1 / 30), 5);
    expect(explanation.reasons.some((reason) => reason.kind === 'adaptation')).toBe(true);
  });

  it('rejects unknown and invalid ids', async () => {
    const harness = await createHarness({ adaptation: null });
    await expect(harness.engine.explain('no-such-item')).rejects.toMatchObject({ code: 'AISLE_NOT_FOUND' });
    await expect(harness.engine.explain('')).rejects.toMatchObject({ code: 'AISLE_INVALID_ARGUMENT' });
  });
});
