import * as ortNode from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../src/core/features.js';
import { loadModelBytes } from '../../src/runtime/model-bytes.js';
import { createSessionPair, OrtModelRunner } from '../../src/runtime/model-runner.js';
import { validateManifest } from '../../src/runtime/manifest.js';
import type { LoadedOrt, OrtModule, OrtSession } from '../../src/runtime/ort.js';
import { ModelSession } from '../../src/runtime/session.js';
import { sha256Hex } from '../../src/runtime/sha256.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { buildTinyModelSet, expectedScore } from '../browser/fixtures/tiny-models.js';

const DIM = 4;

/**
 * onnxruntime-node posing as an ORT build with two backends. Sessions created for the
 * "webgpu" provider return `gpuValue` for every output, NaN by default, like a GPU kernel that
 * overflowed.
 */
function twoBackendOrt(gpuValue = Number.NaN): LoadedOrt {
  const ort = ortNode as unknown as OrtModule;
  const create = async (model: Uint8Array, options?: { executionProviders?: unknown[] }): Promise<OrtSession> => {
    const session = await ortNode.InferenceSession.create(model, { executionProviders: ['cpu'] });
    if (!options?.executionProviders?.includes('fake-webgpu')) return session as unknown as OrtSession;
    const run = async (feeds: never) => {
      const outputs = await session.run(feeds);
      for (const tensor of Object.values(outputs)) (tensor.data as Float32Array).fill(gpuValue);
      return outputs;
    };
    return Object.assign(Object.create(session), { run }) as OrtSession;
  };
  return { ort: { ...ort, InferenceSession: { create } } as unknown as OrtModule, providers: { webgpu: ['fake-webgpu'], wasm: ['cpu'] } };
}

describe('OrtModelRunner', () => {
  const { files } = buildTinyModelSet({ dim: DIM, seqLen: 4 });
  const bytes = { tower: files.get('user_tower.onnx')!, ranker: files.get('ranker.onnx')! };
  const features = new Float32Array(3 * FEATURE_COUNT).map((_, i) => (i % 7) / 7);

  it('moves from webgpu to wasm on NaN', async () => {
    const loaded = twoBackendOrt();
    const runner = new OrtModelRunner(loaded, await createSessionPair(loaded, 'webgpu', bytes), bytes);
    expect(runner.backend).toBe('webgpu');
    const scores = await runner.runRanker(features, 3, FEATURE_COUNT);
    expect(runner.backend).toBe('wasm');
    expect(runner.fallbackReason).toMatch(/NaN or Inf on webgpu/);
    for (let row = 0; row < 3; row++) {
      expect(scores[row]).toBeCloseTo(expectedScore(features.subarray(row * FEATURE_COUNT, (row + 1) * FEATURE_COUNT)), 5);
    }
    await runner.dispose();
  });

  it('moves from webgpu to wasm on Inf', async () => {
    const loaded = twoBackendOrt(Number.POSITIVE_INFINITY);
    const runner = new OrtModelRunner(loaded, await createSessionPair(loaded, 'webgpu', bytes), bytes);
    const scores = await runner.runRanker(features, 3, FEATURE_COUNT);
    expect(runner.backend).toBe('wasm');
    expect(runner.fallbackReason).toBe('The ranker returned NaN or Inf on webgpu, so the models run on wasm.');
    expect(scores[0]).toBeCloseTo(expectedScore(features.subarray(0, FEATURE_COUNT)), 5);
    await runner.dispose();
  });

  it('moves from webgpu to wasm on one score for differing rows', async () => {
    const loaded = twoBackendOrt(0.5);
    const runner = new OrtModelRunner(loaded, await createSessionPair(loaded, 'webgpu', bytes), bytes);
    const scores = await runner.runRanker(features, 3, FEATURE_COUNT);
    expect(runner.backend).toBe('wasm');
    expect(runner.fallbackReason).toBe('The ranker returned the same score for every row of differing inputs on webgpu, so the models run on wasm.');
    for (let row = 0; row < 3; row++) {
      expect(scores[row]).toBeCloseTo(expectedScore(features.subarray(row * FEATURE_COUNT, (row + 1) * FEATURE_COUNT)), 5);
    }
    expect(new Set(scores).size).toBe(3);
    await runner.dispose();
  });

  it('keeps webgpu when equal rows score equal', async () => {
    const loaded = twoBackendOrt(0.5);
    const runner = new OrtModelRunner(loaded, await createSessionPair(loaded, 'webgpu', bytes), bytes);
    const row = features.subarray(0, FEATURE_COUNT);
    const same = new Float32Array(3 * FEATURE_COUNT).map((_, i) => row[i % FEATURE_COUNT]);
    expect(Array.from(await runner.runRanker(same, 3, FEATURE_COUNT))).toEqual([0.5, 0.5, 0.5]);
    expect(runner.backend).toBe('webgpu');
    expect(runner.fallbackReason).toBeUndefined();
    await runner.dispose();
  });

  it('rejects NaN scores on wasm', async () => {
    const loaded = twoBackendOrt();
    loaded.providers.wasm = ['fake-webgpu'];
    const runner = new OrtModelRunner(loaded, await createSessionPair(loaded, 'wasm', bytes), bytes);
    await expect(runner.runRanker(features, 3, FEATURE_COUNT)).rejects.toMatchObject({ code: 'AISLE_MODEL_RUN_FAILED' });
    await runner.dispose();
  });

  it('returns no scores for zero rows', async () => {
    const loaded = twoBackendOrt();
    const runner = new OrtModelRunner(loaded, await createSessionPair(loaded, 'wasm', bytes), bytes);
    expect(await runner.runRanker(new Float32Array(0), 0, FEATURE_COUNT)).toHaveLength(0);
    await runner.dispose();
  });
});

describe('ModelSession', () => {
  it('never overlaps runs', async () => {
    let active = 0;
    let maxActive = 0;
    const fake = {
      run: async () => {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((resolve) => setTimeout(resolve, 5));
        active--;
        return {};
      },
      release: async () => undefined,
    } as unknown as OrtSession;
    const session = new ModelSession(fake, 'ranker', 'webgpu');
    await Promise.all([session.run({}), session.run({}), session.run({})]);
    expect(maxActive).toBe(1);
  });

  it('keeps running after a failed run', async () => {
    let calls = 0;
    const fake = {
      run: async () => {
        calls++;
        if (calls === 1) throw new Error('boom');
        return { ok: true };
      },
      release: async () => undefined,
    } as unknown as OrtSession;
    const session = new ModelSession(fake, 'ranker', 'wasm');
    await expect(session.run({})).rejects.toMatchObject({ code: 'AISLE_MODEL_RUN_FAILED' });
    await expect(session.run({})).resolves.toEqual({ ok: true });
    await session.dispose();
    await expect(session.run({})).rejects.toMatchObject({ code: 'AISLE_DESTROYED' });
  });
});

describe('loadModelBytes', () => {
  const model = new Uint8Array([1, 2, 3, 4, 5]);
  const manifestUrl = 'http://companion.test/models/manifest.json';

  function counter(body: Uint8Array) {
    const urls: string[] = [];
    const fetch = async (url: string) => {
      urls.push(url);
      return new Response(body.slice());
    };
    return { urls, fetch };
  }

  it('checks sha256 and caches by it', async () => {
    const sha256 = await sha256Hex(model);
    const store = new MemoryStore();
    const server = counter(model);
    const source = { fetch: server.fetch, store, manifestUrl, timeoutMs: 1000 };
    expect(Array.from(await loadModelBytes({ file: 'ranker.onnx', sha256, bytes: 5 }, source))).toEqual([1, 2, 3, 4, 5]);
    expect(server.urls).toEqual(['http://companion.test/models/ranker.onnx']);
    await loadModelBytes({ file: 'ranker.onnx', sha256, bytes: 5 }, source);
    expect(server.urls).toHaveLength(1);
    expect(await store.getModel(sha256)).toBeDefined();
  });

  it('rejects bytes with another sha256', async () => {
    const server = counter(model);
    const store = new MemoryStore();
    const entry = { file: 'ranker.onnx', sha256: '0'.repeat(64), bytes: 5 };
    await expect(loadModelBytes(entry, { fetch: server.fetch, store, manifestUrl, timeoutMs: 1000 })).rejects.toMatchObject({ code: 'AISLE_MODEL_CHECKSUM_MISMATCH' });
    expect(await store.getModel('0'.repeat(64))).toBeUndefined();
  });

  it('refetches a corrupted cache entry', async () => {
    const sha256 = await sha256Hex(model);
    const store = new MemoryStore();
    await store.putModel(sha256, new Uint8Array([9, 9]));
    const server = counter(model);
    const bytes = await loadModelBytes({ file: 'ranker.onnx', sha256, bytes: 5 }, { fetch: server.fetch, store, manifestUrl, timeoutMs: 1000 });
    expect(Array.from(bytes)).toEqual([1, 2, 3, 4, 5]);
    expect(server.urls).toHaveLength(1);
  });
});

describe('validateManifest', () => {
  const { manifest } = buildTinyModelSet({ dim: DIM });

  it('accepts the tiny manifest', () => {
    expect(validateManifest(manifest, 'm.json').dim).toBe(DIM);
  });

  it.each([
    ['format', { ...manifest, format: 2 }, 'AISLE_MANIFEST_INVALID'],
    ['dim', { ...manifest, dim: 0 }, 'AISLE_MANIFEST_INVALID'],
    ['ranker sha256', { ...manifest, models: { ...manifest.models, ranker: { ...manifest.models.ranker, sha256: 'xyz' } } }, 'AISLE_MANIFEST_INVALID'],
    ['features', { ...manifest, features: [...FEATURE_NAMES].reverse() }, 'AISLE_FEATURES_MISMATCH'],
  ])('rejects a bad %s', (_field, body, code) => {
    expect(() => validateManifest(body, 'm.json')).toThrowError(expect.objectContaining({ code }));
  });
});
