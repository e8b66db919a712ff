import * as ortNode from 'onnxruntime-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { selectBackend } from '../../src/runtime/backend.js';
import type { OrtModule } from '../../src/runtime/ort.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { ModelSet, ORT_START_DELAY_MS } from '../../src/worker/model-set.js';
import type { RunnerFactory } from '../../src/worker/models.js';
import { buildCatalog, createFakeCompanion } from '../browser/fixtures/fake-companion.js';
import { buildTinyModelSet } from '../browser/fixtures/tiny-models.js';

/** Creates a model set over the tiny models whose runner factory counts its calls. */
function countingModelSet() {
  const { files } = buildTinyModelSet({ dim: 4, seqLen: 4 });
  const companion = createFakeCompanion({ catalog: buildCatalog(5, 4), modelFiles: files });
  let starts = 0;
  const createRunner: RunnerFactory = async (bytes, manifest) => {
    starts++;
    const loadOrt = async () => ({ ort: ortNode as unknown as OrtModule, providers: { wasm: ['cpu'] } });
    return selectBackend({ request: 'wasm', loadOrt, bytes, manifest });
  };
  const models = new ModelSet({ manifestUrl: 'http://companion.test/models/manifest.json', fetch: companion.fetch, store: new MemoryStore(), timeoutMs: 5000, createRunner, coalesce: false, ranker: 'auto' });
  return { models, starts: () => starts };
}

/** Lets pending I/O callbacks and promise chains run; setImmediate is not faked below. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

afterEach(() => {
  vi.useRealTimers();
});

describe('ModelSet', () => {
  it('defers ONNX Runtime until startOrt', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { models, starts } = countingModelSet();
    await models.rankerReady;
    for (let i = 0; i < 5; i++) await settle();
    expect(models.rankerRuntime()).toBe('js');
    expect(starts()).toBe(0);

    models.startOrt();
    await models.ready;
    expect(starts()).toBe(1);
    expect(models.runner?.backend).toBe('wasm');
    await models.dispose();
  });

  it('starts ONNX Runtime after the delay', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { models, starts } = countingModelSet();
    await models.rankerReady;
    await settle();
    vi.advanceTimersByTime(ORT_START_DELAY_MS - 1);
    await settle();
    expect(starts()).toBe(0);
    vi.advanceTimersByTime(1);
    await models.ready;
    expect(starts()).toBe(1);
    await models.dispose();
  });

  it('skips a deferred start on dispose', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { models, starts } = countingModelSet();
    await models.rankerReady;
    await models.dispose();
    expect(starts()).toBe(0);
    expect(models.runner).toBeUndefined();
  });

  it('records the load stages in order', async () => {
    const { models } = countingModelSet();
    models.startOrt();
    await models.ready;
    const { files, jsRanker, ort } = models.loadTimes;
    expect(files).toBeGreaterThanOrEqual(0);
    expect(jsRanker).toBeGreaterThanOrEqual(files!);
    expect(ort).toBeGreaterThanOrEqual(jsRanker!);
    await models.dispose();
  });
});
