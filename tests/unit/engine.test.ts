import { createHash } from 'node:crypto';
import * as ortNode from 'onnxruntime-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RankerRequest, ResolvedOptions } from '../../src/client/protocol.js';
import { buildFeatureMatrix, FEATURE_COUNT } from '../../src/core/features.js';
import { AisleError } from '../../src/core/errors.js';
import { RANKER_IO } from '../../src/core/model-dir.js';
import type { HistoryEntry, ItemRecord, Manifest, RankResult } from '../../src/core/types.js';
import { normalize } from '../../src/core/vector.js';
import { selectBackend } from '../../src/runtime/backend.js';
import type { ModelBytes, ModelRunner } from '../../src/runtime/model-runner.js';
import type { OrtModule } from '../../src/runtime/ort.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { EventStore } from '../../src/store/types.js';
import { Engine } from '../../src/worker/engine.js';
import type { RunnerFactory } from '../../src/worker/models.js';
import { CANDIDATE_REUSE_DISTANCE, cosineDistance } from '../../src/worker/retrieval.js';
import { DType, GraphBuilder } from '../../src/training/onnx/graph.js';
import type { TabChannel, TabMessage } from '../../src/worker/tab-channel.js';
import { buildCatalog, createFakeCompanion, type FakeCompanionLog, type FakeItem } from '../browser/fixtures/fake-companion.js';
import { createRandom } from '../../src/core/random.js';
import { decodeVector } from '../../src/core/vector.js';
import { JsQueryEncoder } from '../../src/runtime/js-query-encoder.js';
import { createQueryEncoder } from '../../src/training/models/query-encoder.js';
import { exportQueryEncoder } from '../../src/training/models/query-encoder-onnx.js';
import { initTensorflow } from '../../src/training/models/tf.js';
import { buildTinyModelSet, expectedScore } from '../browser/fixtures/tiny-models.js';

const DIM = 8;
const SEQ_LEN = 8;
const T0 = 1_790_000_000_000;

const OPTIONS: ResolvedOptions = {
  endpoint: 'http://companion.test',
  models: 'http://companion.test/models/manifest.json',
  storage: 'memory',
  timeoutMs: 20_000,
  backend: 'auto',
  dbName: 'unused',
  maxEvents: 1000,
};

interface Harness {
  engine: Engine;
  catalog: FakeItem[];
  log: FakeCompanionLog;
  store: EventStore;
  /** Model runs of the ranker so far, as info() reports them (ONNX Runtime or JavaScript). */
  rankerRuns: () => Promise<number>;
  /** Runs of the ONNX Runtime ranker so far. */
  ortRankerRuns: () => number;
  setDown: (down: boolean) => void;
}

const engines: Engine[] = [];

afterEach(async () => {
  for (const engine of engines.splice(0)) await engine.destroy().catch(() => undefined);
});

/** Creates an engine on the fake companion and the tiny models, run by onnxruntime-node. */
interface HarnessOptions {
  modelFiles?: Map<string, Uint8Array>;
  store?: EventStore;
  catalog?: FakeItem[];
  timeoutMs?: number;
  fetchOverride?: typeof fetch;
  channel?: TabChannel;
  coalesce?: boolean;
  ranker?: RankerRequest;
  /** Replaces the onnxruntime-node runner factory, such as one that never finishes. */
  createRunner?: RunnerFactory;
  /** Resolve createHarness before the models load (default: after). */
  skipReady?: boolean;
}

async function createHarness(options: HarnessOptions = {}): Promise<Harness> {
  const catalog = options.catalog ?? buildCatalog(30, DIM);
  const modelFiles = options.modelFiles ?? buildTinyModelSet({ dim: DIM, seqLen: SEQ_LEN }).files;
  let down = false;
  const companion = createFakeCompanion({ catalog, modelFiles, down: () => down });
  let runs = 0;
  const store = options.store ?? new MemoryStore();
  let clock = T0;

  const createRunner = async (bytes: ModelBytes, manifest: Manifest) => {
    const loadOrt = async () => ({ ort: ortNode as unknown as OrtModule, providers: { wasm: ['cpu'] } });
    const { runner, selection } = await selectBackend({ request: 'auto', loadOrt, bytes, manifest, probeWebGpu: async () => ({ adapter: false }) });
    const counting: ModelRunner = {
      get backend() {
        return runner.backend;
      },
      runTower: (input, seqLen, dim) => runner.runTower(input, seqLen, dim),
      runRanker: (features, rows, count) => {
        runs++;
        return runner.runRanker(features, rows, count);
      },
      dispose: () => runner.dispose(),
    };
    return { runner: counting, selection };
  };

  let ids = 0;
  const engine = await Engine.create(
    { ...OPTIONS, timeoutMs: options.timeoutMs ?? OPTIONS.timeoutMs, coalesce: options.coalesce ?? true, ranker: options.ranker ?? 'auto' },
    { fetch: (options.fetchOverride as never) ?? companion.fetch, store, createRunner: options.createRunner ?? createRunner, channel: options.channel, now: () => (clock += 1000), makeId: () => `generated-${++ids}` },
  );
  engines.push(engine);
  // info() lets ONNX Runtime start without waiting for a first result.
  if (!options.skipReady) await engine.info().then(() => engine.ready);
  const rankerRuns = async () => (await engine.info()).ranker.runs;
  return { engine, catalog, log: companion.log, store, rankerRuns, ortRankerRuns: () => runs, setDown: (value) => (down = value) };
}

function record(item: FakeItem): ItemRecord {
  return { id: item.id, title: item.title, category: item.category, brand: item.brand, price: item.price, vector: item.vector, stats: { popularity: item.popularity, trending: 0 }, neighbors: item.neighbors };
}

describe('Engine with tiny ONNX models', () => {
  it('loads models on the wasm backend', async () => {
    const { engine } = await createHarness();
    const info = await engine.info();
    expect(info.backend).toBe('wasm');
    expect(info.models?.dim).toBe(DIM);
    expect(info.degraded).toEqual([]);
    expect(info.backendTimings.wasm).toBeGreaterThan(0);
    expect(info.backendTimings.webgpu).toBeUndefined();
  });

  it('recommends popular items to a new shopper', async () => {
    const { engine, log } = await createHarness();
    const result = await engine.recommend({ k: 5 });
    expect(result.degraded).toBeUndefined();
    expect(result.items.map((item) => item.id)).toEqual(['item-0', 'item-1', 'item-2', 'item-3', 'item-4']);
    expect(log.paths).toContain('/v1/trending');
    expect(log.paths).not.toContain('/v1/candidates');
  });

  it('computes the user vector from tracked items', async () => {
    const { engine, catalog } = await createHarness();
    await engine.track({ type: 'view', itemId: 'item-3' });
    await engine.track({ type: 'add_to_cart', itemId: 'item-5' });
    const profile = await engine.profile();
    const sum = catalog[3].vector.map((value, i) => value + catalog[5].vector[i]);
    const expected = normalize(Float32Array.from(sum));
    expect(profile.userVector).toHaveLength(DIM);
    profile.userVector!.forEach((value, i) => expect(value).toBeCloseTo(expected[i], 5));
    expect(profile.vectorVersion).toBe(2);
    expect(profile.counts).toEqual({ view: 1, add_to_cart: 1 });
  });

  it('returns k ranker-ordered items after tracking', async () => {
    const { engine, catalog, log } = await createHarness();
    await engine.track({ type: 'view', itemId: 'item-3' });
    const result = await engine.recommend({ k: 6 });
    expect(result.degraded).toBeUndefined();
    expect(result.items).toHaveLength(6);
    expect(log.paths).toContain('/v1/candidates');
    expect(result.items.map((item) => item.id)).not.toContain('item-3');
    const scores = result.items.map((item) => item.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);

    // The top score equals the tiny ranker applied to the core features of that item.
    const top = catalog.find((item) => item.id === result.items[0].id)!;
    const history: HistoryEntry[] = [{ item: record(catalog[3]), type: 'view', timestamp: T0 }];
    const userVector = Float32Array.from((await engine.profile()).userVector!);
    const sources = result.items[0].id === 'item-4' ? (['ann', 'covisit'] as const) : (['ann'] as const);
    const annRank = [...catalog].filter((item) => item.id !== 'item-3').sort((a, b) => dotOf(userVector, b) - dotOf(userVector, a)).findIndex((item) => item.id === top.id);
    const row = buildFeatureMatrix({ userVector, history, candidates: [{ item: record(top), sources: [...sources], annRank, annScore: dotOf(userVector, top) }] });
    expect(row).toHaveLength(FEATURE_COUNT);
    expect(result.items[0].score).toBeCloseTo(expectedScore(row), 4);
  });

  it('keeps seen items only on request', async () => {
    const { engine } = await createHarness();
    await engine.track({ type: 'view', itemId: 'item-0' });
    const without = await engine.recommend({ k: 30 });
    expect(without.items.map((item) => item.id)).not.toContain('item-0');
    const withSeen = await engine.recommend({ k: 30, includeSeen: true });
    expect(withSeen.items.map((item) => item.id)).toContain('item-0');
  });

  it('does not treat impressions as seen', async () => {
    const { engine } = await createHarness();
    await engine.track({ type: 'impression', itemId: 'item-0', listId: 'home', position: 0 });
    const result = await engine.recommend({ k: 3 });
    expect(result.items[0].id).toBe('item-0');
    expect((await engine.profile()).counts).toEqual({ impression: 1 });
  });

  it('applies exclude and the category filter', async () => {
    const { engine } = await createHarness();
    await engine.track({ type: 'view', itemId: 'item-3' });
    const result = await engine.recommend({ k: 5, exclude: ['item-4'], context: { filter: { category: 'even' } } });
    expect(result.items).toHaveLength(5);
    for (const item of result.items) expect(item.item?.category).toBe('even');
    expect(result.items.map((item) => item.id)).not.toContain('item-4');
  });

  it('reuses candidates until the vector moves', async () => {
    const { engine, log } = await createHarness();
    await engine.track({ type: 'view', itemId: 'item-3' });
    await engine.recommend({ k: 3 });
    await engine.recommend({ k: 3 });
    expect(log.paths.filter((path) => path === '/v1/candidates')).toHaveLength(1);
    await engine.track({ type: 'view', itemId: 'item-9' });
    await engine.recommend({ k: 3 });
    expect(log.paths.filter((path) => path === '/v1/candidates')).toHaveLength(2);
  });

  it('tracks an eventId once', async () => {
    const { engine } = await createHarness();
    const first = await engine.track({ type: 'view', itemId: 'item-1', eventId: 'e-1' });
    const second = await engine.track({ type: 'view', itemId: 'item-1', eventId: 'e-1' });
    expect(first.stored).toBe(true);
    expect(second.stored).toBe(false);
    const profile = await engine.profile();
    expect(profile.events).toHaveLength(1);
    expect(profile.counts.view).toBe(1);
  });

  it('rejects invalid events and arguments', async () => {
    const { engine } = await createHarness();
    await expect(engine.track({ type: 'view' } as never)).rejects.toMatchObject({ code: 'AISLE_INVALID_EVENT' });
    await expect(engine.recommend({ k: 0 })).rejects.toMatchObject({ code: 'AISLE_INVALID_ARGUMENT' });
    await expect(engine.rank('item-1' as never)).rejects.toMatchObject({ code: 'AISLE_INVALID_ARGUMENT' });
    await expect(engine.search('  ')).rejects.toMatchObject({ code: 'AISLE_INVALID_ARGUMENT' });
  });

  it.each([
    ['a number', { category: 42 }, 'context.filter.category must be a string of 1 to 256 characters; got 42.'],
    ['an empty string', { brand: '' }, 'context.filter.brand must be a string of 1 to 256 characters; got "".'],
    ['a string of 257 characters', { brand: 'b'.repeat(257) }, 'context.filter.brand must be a string of 1 to 256 characters'],
    ['an unknown key', { color: 'red' }, 'context.filter may only have the keys category and brand, not "color"'],
    ['not an object', 'Lipstick', "context.filter must be an object like { category: 'Lipstick' }"],
  ])('rejects a filter with %s', async (_, filter, message) => {
    const { engine } = await createHarness();
    await expect(engine.recommend({ k: 3, context: { filter: filter as never } })).rejects.toMatchObject({ code: 'AISLE_INVALID_ARGUMENT', message: expect.stringContaining(`recommend(): ${message}`) });
    await expect(engine.rank(['item-1'], { filter: filter as never })).rejects.toMatchObject({ code: 'AISLE_INVALID_ARGUMENT', message: expect.stringContaining(`rank(): ${message}`) });
  });

  it('rank reorders the same items in one run', async () => {
    const { engine, rankerRuns } = await createHarness();
    await engine.track({ type: 'view', itemId: 'item-10' });
    const given = ['item-20', 'item-11', 'item-25', 'item-12'];
    const before = await rankerRuns();
    const result = await engine.rank(given);
    expect((await rankerRuns()) - before).toBe(1);
    expect(result.degraded).toBeUndefined();
    expect([...result.items.map((item) => item.id)].sort()).toEqual([...given].sort());
    // item-11 is the strongest co-visitation neighbor of item-10.
    expect(result.items[0].id).toBe('item-11');
  });

  it('rank takes up to 1000 ids', async () => {
    const { engine } = await createHarness();
    const ids = Array.from({ length: 1000 }, (_, i) => `item-${i}`);
    const result = await engine.rank(ids);
    expect(result.items).toHaveLength(1000);
    expect(result.items.slice(0, 30).every((item) => Number.isFinite(item.score))).toBe(true);
    await expect(engine.rank([...ids, 'item-1000'])).rejects.toMatchObject({ code: 'AISLE_INVALID_ARGUMENT', message: expect.stringContaining('at most 1000 item ids') });
  });

  it('rank of an empty list skips the model', async () => {
    const { engine, rankerRuns } = await createHarness();
    const before = await rankerRuns();
    expect((await engine.rank([])).items).toEqual([]);
    expect(await rankerRuns()).toBe(before);
  });

  it('rank puts unknown ids last', async () => {
    const { engine } = await createHarness();
    const result = await engine.rank(['nope', 'item-2', 'item-1']);
    expect(result.items.map((item) => item.id)).toEqual(['item-1', 'item-2', 'nope']);
    expect(result.items[2].score).toBe(Number.NEGATIVE_INFINITY);
  });

  it('rank keeps the input order and reports AISLE_NOT_FOUND when no id is known', async () => {
    const { engine } = await createHarness();
    const result = await engine.rank(['sku-1', 'sku-2', 'sku-3']);
    expect(result.items).toEqual([
      { id: 'sku-1', score: Number.NEGATIVE_INFINITY },
      { id: 'sku-2', score: Number.NEGATIVE_INFINITY },
      { id: 'sku-3', score: Number.NEGATIVE_INFINITY },
    ]);
    expect(result.degraded).toEqual({ code: 'AISLE_NOT_FOUND', reason: expect.stringContaining('none of the 3 ids is in the catalog') });
    // The page receives results through structured clone, which keeps -Infinity.
    expect(structuredClone(result).items[0].score).toBe(Number.NEGATIVE_INFINITY);
  });

  it('search returns k reranked hits', async () => {
    const { engine } = await createHarness();
    const result = await engine.search('lipstick', { k: 4 });
    expect(result.degraded).toBeUndefined();
    expect(result.items).toHaveLength(4);
    for (const item of result.items) expect(item.item?.title).toContain('lipstick');
  });

  it('search sends the query vector of the device once its encoder is in', async () => {
    await initTensorflow();
    const tiny = buildTinyModelSet({ dim: DIM, seqLen: SEQ_LEN });
    const encoderBytes = exportQueryEncoder(createQueryEncoder(DIM, createRandom(3)));
    const manifest: Manifest = { ...tiny.manifest, models: { ...tiny.manifest.models, queryEncoder: { file: 'query_encoder.onnx', sha256: createHash('sha256').update(encoderBytes).digest('hex'), bytes: encoderBytes.length } } };
    const files = new Map(tiny.files);
    files.set('manifest.json', new TextEncoder().encode(JSON.stringify(manifest)));
    files.set('query_encoder.onnx', encoderBytes);
    const { engine, log } = await createHarness({ modelFiles: files });

    // The first search goes out with its text alone and starts loading the encoder.
    expect((await engine.search('lipstick', { k: 3 })).items).toHaveLength(3);
    expect(log.searches[0].vector).toBeUndefined();
    for (let i = 0; i < 50 && (await engine.info()).queryEncoder.state === 'loading'; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await engine.info()).queryEncoder).toEqual({ state: 'ready' });

    await engine.search('Red lipstick', { k: 3 });
    const sent = decodeVector(log.searches[1].vector as string) as Float32Array;
    const expected = JsQueryEncoder.fromOnnx(encoderBytes).encode('Red lipstick') as Float32Array;
    expect(Array.from(sent)).toEqual(Array.from(expected));
    // Text without words has no vector.
    await engine.search('!!!', { k: 3 });
    expect(log.searches[2].vector).toBeUndefined();
  });

  it('search forwards tag filters and returns the facets, and rejects bad tags', async () => {
    const { engine, log } = await createHarness();
    const result = await engine.search('lipstick', { k: 3, tags: ['even', 'even'] });
    expect(log.searches[0].tags).toEqual(['even']);
    expect(result.facets).toEqual([]);
    for (const tags of ['even', [''], [3], Array.from({ length: 65 }, (_, i) => `t${i}`)]) {
      await expect(engine.search('lipstick', { tags: tags as never })).rejects.toMatchObject({ code: 'AISLE_INVALID_ARGUMENT' });
    }
  });

  it('search says how far personalization lifted each hit', async () => {
    const { engine } = await createHarness();
    const result = await engine.search('lipstick', { k: 10 });
    for (const item of result.items) expect(Number.isInteger(item.lifted) && (item.lifted as number) >= 0).toBe(true);
  });

  it('forget erases the profile and events', async () => {
    const { engine, store } = await createHarness();
    await engine.track({ type: 'purchase', itemId: 'item-4' });
    await engine.forget();
    const profile = await engine.profile();
    expect(profile.events).toEqual([]);
    expect(profile.userVector).toBeNull();
    expect(profile.counts).toEqual({});
    expect(await store.getProfile()).toBeUndefined();
    const result = await engine.recommend({ k: 5 });
    expect(result.items.map((item) => item.id)).toContain('item-4');
  });

  it('forget drops cached item records', async () => {
    const { engine, log } = await createHarness();
    await engine.track({ type: 'view', itemId: 'item-4' });
    await engine.rank(['item-4', 'item-5']);
    const lookups = () => log.paths.filter((path) => path.startsWith('/v1/items')).length;
    const before = lookups();
    await engine.rank(['item-4', 'item-5']);
    expect(lookups()).toBe(before);

    await engine.forget();
    await engine.rank(['item-4', 'item-5']);
    expect(lookups()).toBe(before + 1);
  });

  it('recomputes a vector from another tower', async () => {
    const store = new MemoryStore();
    const first = await createHarness({ store });
    await first.engine.track({ type: 'view', itemId: 'item-6' });
    const computed = (await first.engine.profile()).userVector!;
    const tower = (await store.getProfile())!.userTower;
    expect(tower).toMatch(/^[0-9a-f]{64}$/);

    // A vector stored by the same tower is kept as it is, even one that differs from a fresh run.
    const planted = Float32Array.from(computed, (value) => value + 1);
    await store.updateProfile((saved) => ({ ...saved!, userVector: planted }));
    const same = await createHarness({ store });
    await same.engine.track({ type: 'search', query: 'mugs' });
    expect(Array.from((await same.engine.profile()).userVector!)).toEqual(Array.from(planted));

    // One stored by another tower is computed again from the stored events once the models load.
    await store.updateProfile((saved) => ({ ...saved!, userVector: planted, userTower: 'a-tower-of-another-model-set' }));
    const moved = await createHarness({ store });
    await expect.poll(async () => (await store.getProfile())?.userTower).toBe(tower);
    const profile = await moved.engine.profile();
    profile.userVector!.forEach((value, i) => expect(value).toBeCloseTo(computed[i], 6));
    expect(profile.vectorVersion).toBeGreaterThan((await first.engine.profile()).vectorVersion);
  });

  it('restores the profile in a new engine', async () => {
    const store = new MemoryStore();
    const first = await createHarness({ store });
    await first.engine.track({ type: 'view', itemId: 'item-6' });
    const vector = (await first.engine.profile()).userVector;
    const before = await first.engine.recommend({ k: 3 });
    // Simulates a reload: same store, new engine. destroy() closes the store, a no-op for memory.
    const second = await createHarness({ store });
    const profile = await second.engine.profile();
    expect(profile.userVector).toEqual(vector);
    expect(profile.events.map((event) => event.itemId)).toEqual(['item-6']);
    const result = await second.engine.recommend({ k: 3 });
    expect(result.items.map((item) => item.id)).not.toContain('item-6');
    expect(result.items.map((item) => item.id)).toEqual(before.items.map((item) => item.id));
    // Either engine may score with ONNX Runtime or the JavaScript ranker: equal up to float32 rounding.
    result.items.forEach((item, i) => expect(item.score).toBeCloseTo(before.items[i].score, 5));
  });

  it('rejects calls after destroy', async () => {
    const { engine } = await createHarness();
    await engine.destroy();
    await expect(engine.recommend({ k: 1 })).rejects.toMatchObject({ code: 'AISLE_DESTROYED' });
    await expect(engine.track({ type: 'view', itemId: 'item-1' })).rejects.toMatchObject({ code: 'AISLE_DESTROYED' });
  });
});

/** Two linked channels that deliver each message to the other side only, like BroadcastChannel. */
function channelPair(): [TabChannel, TabChannel] {
  const listeners: Array<Array<(message: TabMessage) => void>> = [[], []];
  const side = (self: number): TabChannel => ({
    post: (message) => listeners[1 - self].forEach((listener) => listener(structuredClone(message))),
    subscribe: (listener) => listeners[self].push(listener),
    close: () => (listeners[self].length = 0),
  });
  return [side(0), side(1)];
}

describe('Engine across tabs', () => {
  it('shares events tracked in another tab', async () => {
    const store = new MemoryStore();
    const [left, right] = channelPair();
    const tabA = await createHarness({ store, channel: left });
    const tabB = await createHarness({ store, channel: right });
    await tabA.engine.track({ type: 'view', itemId: 'item-3' });
    await tabA.engine.track({ type: 'view', itemId: 'item-8' });

    const profileA = await tabA.engine.profile();
    const profileB = await tabB.engine.profile();
    expect(profileB.events.map((event) => event.itemId)).toEqual(['item-3', 'item-8']);
    expect(profileB.userVector).toHaveLength(DIM);
    profileB.userVector!.forEach((value, i) => expect(value).toBeCloseTo(profileA.userVector![i], 6));
    const result = await tabB.engine.recommend({ k: 10 });
    expect(result.items.map((item) => item.id)).not.toContain('item-3');
  });

  it('forgets in every tab', async () => {
    const store = new MemoryStore();
    const [left, right] = channelPair();
    const tabA = await createHarness({ store, channel: left });
    const tabB = await createHarness({ store, channel: right });
    await tabA.engine.track({ type: 'view', itemId: 'item-3' });
    expect((await tabB.engine.profile()).events).toHaveLength(1);
    await tabB.engine.forget();
    const profileA = await tabA.engine.profile();
    expect(profileA.events).toEqual([]);
    expect(profileA.userVector).toBeNull();
  });
});

describe('Engine degraded answers', () => {
  it('rejects a model with a wrong sha256', async () => {
    const { files } = buildTinyModelSet({ dim: DIM, seqLen: SEQ_LEN });
    const ranker = files.get('ranker.onnx')!.slice();
    ranker[ranker.length - 1] ^= 0xff;
    files.set('ranker.onnx', ranker);
    const { engine } = await createHarness({ modelFiles: files });

    const info = await engine.info();
    expect(info.backend).toBeNull();
    expect(info.degraded.map((issue) => issue.code)).toContain('AISLE_MODEL_CHECKSUM_MISMATCH');
    const result = await engine.recommend({ k: 3 });
    expect(result.items).toHaveLength(3);
    expect(result.degraded?.code).toBe('AISLE_MODEL_CHECKSUM_MISMATCH');
  });

  it('rejects a manifest with other features', async () => {
    const { files, manifest } = buildTinyModelSet({ dim: DIM, seqLen: SEQ_LEN });
    files.set('manifest.json', new TextEncoder().encode(JSON.stringify({ ...manifest, features: ['user_cosine'] })));
    const { engine } = await createHarness({ modelFiles: files });
    expect((await engine.info()).degraded.map((issue) => issue.code)).toContain('AISLE_FEATURES_MISMATCH');
  });

  it('answers from cache when the companion is down', async () => {
    const { engine, setDown } = await createHarness();
    await engine.track({ type: 'view', itemId: 'item-3' });
    const fresh = await engine.recommend({ k: 4 });
    setDown(true);
    const cached = await engine.recommend({ k: 4 });
    expect(cached.degraded).toBeUndefined();
    expect(cached.items.map((item) => item.id)).toEqual(fresh.items.map((item) => item.id));

    await engine.track({ type: 'view', itemId: 'item-9' });
    const stale = await engine.recommend({ k: 4 });
    expect(stale.degraded?.code).toBe('AISLE_COMPANION_UNREACHABLE');
    expect(stale.items).toHaveLength(4);
    const ranked = await engine.rank(['item-1', 'unknown-1']);
    expect(ranked.items.map((item) => item.id)).toEqual(['item-1', 'unknown-1']);
    const search = await engine.search('lipstick');
    expect(search.degraded?.code).toBe('AISLE_COMPANION_UNREACHABLE');
    expect(search.items).toEqual([]);
  });

  it('answers with no companion at all', async () => {
    const refused = async (): Promise<Response> => {
      throw new TypeError('fetch failed');
    };
    const { engine } = await createHarness({ fetchOverride: refused as never });
    const result = await engine.recommend({ k: 3 });
    expect(result.items).toEqual([]);
    expect(result.degraded?.code).toBe('AISLE_COMPANION_UNREACHABLE');
    const tracked = await engine.track({ type: 'view', itemId: 'item-1' });
    expect(tracked.stored).toBe(true);
    expect(tracked.degraded?.code).toBe('AISLE_COMPANION_UNREACHABLE');
    expect((await engine.info()).degraded.map((issue) => issue.code)).toContain('AISLE_COMPANION_UNREACHABLE');
  });

  it('times out a companion that hangs', async () => {
    const { files } = buildTinyModelSet({ dim: DIM, seqLen: SEQ_LEN });
    const good = createFakeCompanion({ catalog: buildCatalog(30, DIM), modelFiles: files });
    const hanging = (input: string, init?: RequestInit): Promise<Response> => {
      if (input.includes('/models/')) return good.fetch(input, init);
      return new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    };
    const { engine } = await createHarness({ fetchOverride: hanging as never, timeoutMs: 200 });
    const result = await engine.recommend({ k: 2 });
    expect(result.degraded?.code).toBe('AISLE_TIMEOUT');
  });
});

function dotOf(a: Float32Array, item: FakeItem): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * item.vector[i];
  return sum;
}

/** Returns the tiny model files with `ranker` in place of the tiny ranker. */
function withRanker(ranker: Uint8Array): Map<string, Uint8Array> {
  const { files, manifest } = buildTinyModelSet({ dim: DIM, seqLen: SEQ_LEN });
  const sha256 = createHash('sha256').update(ranker).digest('hex');
  const changed = { ...manifest, models: { ...manifest.models, ranker: { file: 'ranker.onnx', sha256, bytes: ranker.length } } };
  files.set('ranker.onnx', ranker);
  files.set('manifest.json', new TextEncoder().encode(JSON.stringify(changed)));
  return files;
}

/** The tiny linear ranker followed by Abs, an op the JavaScript ranker does not compile. */
function absRanker(): Uint8Array {
  const g = new GraphBuilder('abs_ranker');
  const features = g.input(RANKER_IO.input, DType.float, ['batch', FEATURE_COUNT]);
  const w = g.float('w', Float32Array.from({ length: FEATURE_COUNT }, (_, i) => (i % 3) - 1), [FEATURE_COUNT, 1]);
  g.output(g.reshape(g.op('Abs', [g.matMul(features, w)]), [-1]), RANKER_IO.output, DType.float, ['batch']);
  return g.toBytes();
}

describe('Engine before ONNX Runtime is ready', () => {
  it('ranks with the JavaScript ranker', async () => {
    let failLoading!: (error: Error) => void;
    const loading = new Promise<never>((_, reject) => (failLoading = reject));
    // info() waits for loading for half the budget, 100 ms here.
    const waiting = await createHarness({ createRunner: () => loading, skipReady: true, timeoutMs: 200 });
    const loaded = await createHarness();
    const given = ['item-20', 'item-11', 'item-25', 'item-12', 'item-2'];

    const early = await waiting.engine.rank(given);
    const info = await waiting.engine.info();
    expect(early.degraded).toBeUndefined();
    expect(info.backend).toBeNull();
    expect(info.ranker.runtime).toBe('js');
    expect(info.loadTimes.jsRanker).toBeGreaterThanOrEqual(0);
    expect(info.loadTimes.ort).toBeUndefined();

    const reference = await loaded.engine.rank(given);
    expect(early.items.map((item) => item.id)).toEqual(reference.items.map((item) => item.id));
    early.items.forEach((item, i) => expect(item.score).toBeCloseTo(reference.items[i].score, 5));

    // ONNX Runtime failing later leaves the JavaScript ranker in place.
    failLoading(new Error('the wasm file failed to compile'));
    await waiting.engine.ready;
    const after = await waiting.engine.rank(given);
    expect(after.degraded).toBeUndefined();
    expect(after.items).toEqual(early.items);
    const failed = await waiting.engine.info();
    expect(failed.ranker.runtime).toBe('js');
    expect(failed.degraded.map((issue) => issue.code)).toContain('AISLE_MODEL_LOAD_FAILED');
  });

  it('waits for ONNX Runtime when the ranker is outside the JS subset', async () => {
    const { engine } = await createHarness({ modelFiles: withRanker(absRanker()) });
    const result = await engine.rank(['item-1', 'item-2', 'item-3']);
    expect(result.degraded).toBeUndefined();
    const info = await engine.info();
    expect(info.ranker.runtime).toBe('ort');
    expect(info.loadTimes.jsRanker).toBeUndefined();
    expect(info.ranker.timings).toEqual({});
  });

  it('times both rankers once ONNX Runtime is ready', async () => {
    const { engine } = await createHarness();
    const info = await engine.info();
    expect(info.ranker.timings.js).toBeGreaterThanOrEqual(0);
    expect(info.ranker.timings.ort).toBeGreaterThanOrEqual(0);
    expect(info.ranker.difference).toBeLessThanOrEqual(1e-5);
    const faster = info.ranker.timings.js! <= info.ranker.timings.ort! ? 'js' : 'ort';
    expect(info.ranker.runtime).toBe(faster);
    expect(info.loadTimes.ort).toBeGreaterThanOrEqual(info.loadTimes.jsRanker!);
  });

  it('pins the ranker runtime on request', async () => {
    const ort = await createHarness({ ranker: 'ort' });
    const ortInfo = await ort.engine.info();
    expect(ortInfo.ranker.runtime).toBe('ort');
    expect(ortInfo.loadTimes.jsRanker).toBeUndefined();
    const js = await createHarness({ ranker: 'js' });
    const jsInfo = await js.engine.info();
    expect(jsInfo.ranker.runtime).toBe('js');
    expect(jsInfo.ranker.timings.ort).toBeGreaterThanOrEqual(0);
    const given = ['item-4', 'item-9', 'item-1'];
    const [byOrt, byJs] = [await ort.engine.rank(given), await js.engine.rank(given)];
    expect(byJs.items.map((item) => item.id)).toEqual(byOrt.items.map((item) => item.id));
    byJs.items.forEach((item, i) => expect(item.score).toBeCloseTo(byOrt.items[i].score, 5));
  });

  it('keeps ONNX Runtime when the rankers disagree', async () => {
    const reference = await createHarness();
    const createRunner: RunnerFactory = async (bytes, manifest) => {
      const loadOrt = async () => ({ ort: ortNode as unknown as OrtModule, providers: { wasm: ['cpu'] } });
      const { runner, selection } = await selectBackend({ request: 'wasm', loadOrt, bytes, manifest });
      // A runner whose scores are all 0.5 higher, as if its kernels computed something else.
      const shifted: ModelRunner = {
        backend: 'wasm',
        runTower: (input, seqLen, dim) => runner.runTower(input, seqLen, dim),
        runRanker: async (features, rows, count) => (await runner.runRanker(features, rows, count)).map((score) => score + 0.5),
        dispose: () => runner.dispose(),
      };
      return { runner: shifted, selection };
    };
    const { engine } = await createHarness({ createRunner });
    const info = await engine.info();
    expect(info.ranker.runtime).toBe('ort');
    expect(info.ranker.difference).toBeGreaterThan(0.1);
    const given = ['item-4', 'item-9', 'item-1'];
    const [shiftedResult, referenceResult] = [await engine.rank(given), await reference.engine.rank(given)];
    shiftedResult.items.forEach((item, i) => expect(item.score).toBeCloseTo(referenceResult.items[i].score + 0.5, 5));
  });
});

describe('Engine after an ONNX Runtime failure', () => {
  it('moves scoring to JavaScript', async () => {
    let crashed = false;
    const createRunner: RunnerFactory = async (bytes, manifest) => {
      const loadOrt = async () => ({ ort: ortNode as unknown as OrtModule, providers: { wasm: ['cpu'] } });
      const { runner, selection } = await selectBackend({ request: 'wasm', loadOrt, bytes, manifest });
      // Scores off by 0.5 keep ONNX Runtime as the ranker when both are compared. Then the test
      // makes it fail, as a crashed ORT worker would.
      const failing: ModelRunner = {
        backend: 'wasm',
        runTower: (input, seqLen, dim) => runner.runTower(input, seqLen, dim),
        runRanker: async (features, rows, count) => {
          if (crashed) throw new AisleError('AISLE_WORKER_FAILED', 'The ONNX Runtime worker failed: crashed.');
          return (await runner.runRanker(features, rows, count)).map((score) => score + 0.5);
        },
        dispose: () => runner.dispose(),
      };
      return { runner: failing, selection };
    };
    const { engine } = await createHarness({ createRunner });
    expect((await engine.info()).ranker.runtime).toBe('ort');

    crashed = true;
    const result = await engine.rank(['item-3', 'item-1', 'item-2']);
    expect(result.degraded).toBeUndefined();
    expect(result.items).toHaveLength(3);
    const info = await engine.info();
    expect(info.ranker.runtime).toBe('js');
    expect(info.degraded.map((issue) => issue.code)).toContain('AISLE_WORKER_FAILED');
  });
});

describe('Engine coalescing', () => {
  const lists = Array.from({ length: 10 }, (_, i) => Array.from({ length: 6 }, (_, j) => `item-${(i * 3 + j * 5) % 30}`));

  it('joins concurrent ORT rank calls into one run', async () => {
    const { engine, rankerRuns } = await createHarness({ ranker: 'ort' });
    await engine.track({ type: 'view', itemId: 'item-10' });
    const sequential: RankResult[] = [];
    for (const list of lists) sequential.push(await engine.rank(list));

    const before = await rankerRuns();
    const together = await Promise.all(lists.map((list) => engine.rank(list)));
    expect((await rankerRuns()) - before).toBe(1);
    expect((await engine.info()).ranker.requests).toBe(20);
    together.forEach((result, i) => {
      expect(result.items).toEqual(sequential[i].items);
      expect(result.degraded).toBeUndefined();
    });
  });

  it('runs each call alone when coalesce is off', async () => {
    const { engine, rankerRuns } = await createHarness({ coalesce: false, ranker: 'ort' });
    const before = await rankerRuns();
    await Promise.all(lists.map((list) => engine.rank(list)));
    expect((await rankerRuns()) - before).toBe(10);
  });

  it('runs JavaScript ranker calls at once', async () => {
    const { engine, rankerRuns } = await createHarness({ ranker: 'js' });
    expect((await engine.info()).ranker.runtime).toBe('js');
    const before = await rankerRuns();
    await Promise.all(lists.map((list) => engine.rank(list)));
    expect((await rankerRuns()) - before).toBe(10);
  });
});

describe('Engine candidate cache', () => {
  /** The fake catalog with item-28 a near copy of item-3 (cosine above 0.999). */
  function catalogWithTwin(): FakeItem[] {
    const catalog = buildCatalog(30, DIM);
    const twin = catalog[3].vector.map((value, i) => value + (i === 0 ? 0.02 : 0));
    catalog[28] = { ...catalog[28], vector: normalize(Float32Array.from(twin)) };
    return catalog;
  }

  it('reuses candidates within the reuse distance', async () => {
    const { engine, log } = await createHarness({ catalog: catalogWithTwin() });
    const requests = () => log.paths.filter((path) => path === '/v1/candidates').length;
    await engine.track({ type: 'view', itemId: 'item-3' });
    const first = await engine.profile();
    await engine.recommend({ k: 3 });
    expect(requests()).toBe(1);

    await engine.track({ type: 'view', itemId: 'item-28' });
    const moved = await engine.profile();
    expect(moved.vectorVersion).toBe(first.vectorVersion + 1);
    const distance = cosineDistance(Float32Array.from(moved.userVector!), Float32Array.from(first.userVector!));
    expect(distance).toBeGreaterThan(0);
    expect(distance).toBeLessThanOrEqual(CANDIDATE_REUSE_DISTANCE);
    const reused = await engine.recommend({ k: 3 });
    expect(requests()).toBe(1);
    expect(reused.degraded).toBeUndefined();

    // A move past the distance, measured from the vector the candidates were made for, refetches.
    await engine.track({ type: 'view', itemId: 'item-9' });
    const far = await engine.profile();
    expect(cosineDistance(Float32Array.from(far.userVector!), Float32Array.from(first.userVector!))).toBeGreaterThan(CANDIDATE_REUSE_DISTANCE);
    await engine.recommend({ k: 3 });
    expect(requests()).toBe(2);
  });
});

describe('Engine event order and length', () => {
  const hourAgo = T0 - 3_600_000;
  // Event i views one of the 30 catalog items, i seconds after `start`.
  const timed = (i: number, start = hourAgo) => ({ type: 'view' as const, itemId: `item-${(i * 7) % 30}`, eventId: `e-${i}`, timestamp: start + i * 1000 });

  it('gives out-of-order events the features of sorted ones', async () => {
    const sorted = await createHarness();
    const shuffled = await createHarness();
    const events = Array.from({ length: 12 }, (_, i) => timed(i));
    for (const event of events) await sorted.engine.track(event);
    for (const event of [...events].reverse()) await shuffled.engine.track(event);

    const [profileA, profileB] = [await sorted.engine.profile(), await shuffled.engine.profile()];
    expect(profileB.events.map((event) => event.eventId)).toEqual(events.map((event) => event.eventId));
    expect(profileB.userVector).toEqual(profileA.userVector);
    const [resultA, resultB] = [await sorted.engine.recommend({ k: 5 }), await shuffled.engine.recommend({ k: 5 })];
    expect(resultB.items.map((item) => item.id)).toEqual(resultA.items.map((item) => item.id));
    resultB.items.forEach((item, i) => expect(item.score).toBeCloseTo(resultA.items[i].score, 6));
  });

  it('builds the user vector from the last seqLen of 5,000 events', async () => {
    const long = new MemoryStore({ cap: 10_000 });
    const short = new MemoryStore({ cap: 10_000 });
    const start = hourAgo - 5_000_000;
    for (let i = 0; i < 5000; i++) await long.addEvent(timed(i, start));
    for (let i = 5000 - (SEQ_LEN - 1); i < 5000; i++) await short.addEvent(timed(i, start));

    const withLong = await createHarness({ store: long });
    const withShort = await createHarness({ store: short });
    const latest = { type: 'view' as const, itemId: 'item-3', eventId: 'latest' };
    await withLong.engine.track(latest);
    await withShort.engine.track(latest);

    const vector = (await withLong.engine.profile()).userVector;
    expect(vector).not.toBeNull();
    expect(vector).toEqual((await withShort.engine.profile()).userVector);
    // Only the history window's item records were fetched, not 5,000.
    const itemRequests = withLong.log.paths.filter((path) => path.startsWith('/v1/items'));
    expect(itemRequests.length).toBeLessThanOrEqual(3);
  });
});

describe('Engine unknown items', () => {
  it('never gives an unknown item a vector', async () => {
    const withUnknown = await createHarness();
    const knownOnly = await createHarness();
    const unknown = await withUnknown.engine.track({ type: 'view', itemId: 'not-in-catalog' });
    expect(unknown.stored).toBe(true);
    expect((await withUnknown.engine.profile()).userVector).toBeNull();

    await withUnknown.engine.track({ type: 'view', itemId: 'item-4' });
    await knownOnly.engine.track({ type: 'view', itemId: 'item-4' });
    expect((await withUnknown.engine.profile()).userVector).toEqual((await knownOnly.engine.profile()).userVector);

    const ranked = await withUnknown.engine.rank(['not-in-catalog', 'item-5', 'item-6']);
    expect(ranked.items.at(-1)).toEqual({ id: 'not-in-catalog', score: Number.NEGATIVE_INFINITY });
    expect(ranked.items.slice(0, 2).every((item) => Number.isFinite(item.score))).toBe(true);
  });
});

describe('Engine with model runs that never settle', () => {
  const stalled: RunnerFactory = async () => ({
    runner: {
      backend: 'wasm',
      runTower: () => new Promise<Float32Array>(() => undefined),
      runRanker: () => new Promise<Float32Array>(() => undefined),
      dispose: async () => undefined,
    },
  });

  it('runs the tower again once a late run settles', async () => {
    let release!: () => void;
    let runs = 0;
    const late: RunnerFactory = async (bytes, manifest) => {
      const { runner } = await selectBackend({ request: 'wasm', loadOrt: async () => ({ ort: ortNode as unknown as OrtModule, providers: { wasm: ['cpu'] } }), bytes, manifest });
      return {
        runner: {
          backend: 'wasm',
          // The first run finishes only when the test releases it, long after the deadline.
          runTower: async (input, seqLen, dim) => {
            if (++runs === 1) await new Promise<void>((resolve) => (release = resolve));
            return runner.runTower(input, seqLen, dim);
          },
          runRanker: (features, rows, count) => runner.runRanker(features, rows, count),
          dispose: () => runner.dispose(),
        },
      };
    };
    const { engine } = await createHarness({ createRunner: late, timeoutMs: 300 });

    const first = await engine.track({ type: 'view', itemId: 'item-3' });
    expect(first.degraded?.code).toBe('AISLE_TIMEOUT');
    release();
    // The late run settles after its ORT run, a few milliseconds later.
    await vi.waitFor(async () => expect((await engine.info()).degraded.map((issue) => issue.code)).not.toContain('AISLE_TIMEOUT'));
    const second = await engine.track({ type: 'view', itemId: 'item-4' });
    expect(second.degraded).toBeUndefined();
    expect(runs).toBe(2);
    expect((await engine.profile()).userVector).not.toBeNull();
  });

  it('answers within the budget, degraded', async () => {
    const { engine } = await createHarness({ createRunner: stalled, ranker: 'ort', timeoutMs: 300 });

    const first = await engine.track({ type: 'view', itemId: 'item-3' });
    expect(first.stored).toBe(true);
    expect(first.degraded?.code).toBe('AISLE_TIMEOUT');
    expect(first.degraded?.reason).toContain('The wasm user tower run did not finish within timeoutMs = 300 ms.');
    // The stuck run would hold every later run of the session, so the tower is not tried again.
    const second = await engine.track({ type: 'view', itemId: 'item-4' });
    expect(second.degraded).toEqual(first.degraded);

    const ranked = await engine.rank(['item-1', 'item-2', 'item-5']);
    expect(ranked.items.map((item) => item.id)).toEqual(['item-1', 'item-2', 'item-5']);
    expect(ranked.degraded?.code).toBe('AISLE_TIMEOUT');
    expect(ranked.degraded?.reason).toBe('The wasm ranker run did not finish within timeoutMs = 300 ms.');
    const info = await engine.info();
    expect(info.degraded).toContainEqual(first.degraded);
  });
});

describe('recommend() liveWeight', () => {
  // Wraps the fake companion so every item of /v1/candidates carries live signals: `trending`
  // for one chosen item, 0 for the others.
  function withTrending(hot: string, trending: number): (fetchImpl: typeof fetch) => typeof fetch {
    return (fetchImpl) =>
      (async (input: string, init?: RequestInit) => {
        const response = await fetchImpl(input, init);
        if (!String(input).endsWith('/v1/candidates') || !response.ok) return response;
        const body = (await response.json()) as { items: Array<{ id: string; live?: unknown }> };
        for (const item of body.items) item.live = { views: 0, clicks: 0, addToCart: 0, purchases: 0, trending: item.id === hot ? trending : 0, lastEventAt: null, at: T0 };
        return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
      }) as typeof fetch;
  }

  it('adds the live boost to the ranker score', async () => {
    const catalog = buildCatalog(30, DIM);
    const companion = createFakeCompanion({ catalog, modelFiles: buildTinyModelSet({ dim: DIM, seqLen: SEQ_LEN }).files });
    const plain = await createHarness({ catalog });
    await plain.engine.track({ type: 'view', itemId: 'item-3' });
    const order = (await plain.engine.recommend({ k: 20 })).items;
    const last = order[order.length - 1];

    const { engine } = await createHarness({ catalog, fetchOverride: withTrending(last.id, 1)(companion.fetch as typeof fetch) });
    await engine.track({ type: 'view', itemId: 'item-3' });
    const unweighted = (await engine.recommend({ k: 20 })).items;
    expect(unweighted.map((item) => item.id)).toEqual(order.map((item) => item.id));

    const boosted = (await engine.recommend({ k: 20, liveWeight: 10 })).items;
    const moved = boosted.find((item) => item.id === last.id)!;
    expect(moved.score).toBeCloseTo(last.score + 10 * Math.log(2), 4);
    expect(boosted.findIndex((item) => item.id === last.id)).toBeLessThan(order.length - 1);
  });

  it('rejects a weight outside 0 to 10', async () => {
    const { engine } = await createHarness();
    await expect(engine.recommend({ k: 5, liveWeight: -1 })).rejects.toMatchObject({ code: 'AISLE_INVALID_ARGUMENT', message: 'recommend(): liveWeight must be a number from 0 to 10; got -1.' });
    await expect(engine.recommend({ k: 5, liveWeight: 11 })).rejects.toMatchObject({ code: 'AISLE_INVALID_ARGUMENT' });
  });
});
