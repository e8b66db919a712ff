import * as ortNode from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { selectBackend, type BackendRequest } from '../../src/runtime/backend.js';
import type { LoadedOrt, OrtModule, OrtSession } from '../../src/runtime/ort.js';
import { buildTinyModelSet } from '../browser/fixtures/tiny-models.js';

const { files, manifest } = buildTinyModelSet({ dim: 4, seqLen: 4 });
const bytes = { tower: files.get('user_tower.onnx')!, ranker: files.get('ranker.onnx')! };

/**
 * onnxruntime-node posing as an ORT build with a wasm and a webgpu backend. Every run advances
 * a fake clock by the cost of its backend, so the timings are known; `failWebGpu` makes
 * creating a webgpu session throw.
 */
function timedOrt(costs: { wasm: number; webgpu: number }, options: { failWebGpu?: boolean } = {}) {
  let clock = 0;
  const create = async (model: Uint8Array, sessionOptions?: { executionProviders?: string[] }): Promise<OrtSession> => {
    const provider = sessionOptions?.executionProviders?.[0] === 'fake-webgpu' ? 'webgpu' : 'wasm';
    if (provider === 'webgpu' && options.failWebGpu) throw new Error('no GPU device');
    const session = await ortNode.InferenceSession.create(model, { executionProviders: ['cpu'] });
    const run = async (feeds: never) => {
      clock += costs[provider];
      return session.run(feeds);
    };
    return Object.assign(Object.create(session), { run, release: () => session.release() }) as OrtSession;
  };
  const loaded: LoadedOrt = { ort: { ...(ortNode as unknown as OrtModule), InferenceSession: { create } } as unknown as OrtModule, providers: { webgpu: ['fake-webgpu'], wasm: ['cpu'] } };
  return { loadOrt: async () => loaded, now: () => clock };
}

async function select(request: BackendRequest, costs: { wasm: number; webgpu: number }, adapter: boolean, options: { failWebGpu?: boolean } = {}) {
  const { loadOrt, now } = timedOrt(costs, options);
  const result = await selectBackend({ request, loadOrt, bytes, manifest, now, probeWebGpu: async () => ({ adapter, fallbackAdapter: adapter }) });
  await result.runner.dispose();
  return result.selection;
}

describe('selectBackend', () => {
  it('auto keeps wasm when it is faster', async () => {
    const selection = await select('auto', { wasm: 1, webgpu: 30 }, true);
    expect(selection.backend).toBe('wasm');
    // One timing is one tower run plus one ranker run.
    expect(selection.timings).toEqual({ wasm: 2, webgpu: 60 });
    expect(selection.webgpu).toEqual({ adapter: true, fallbackAdapter: true });
    expect(selection.reason).toBeUndefined();
  });

  it('auto keeps webgpu when it is faster', async () => {
    const selection = await select('auto', { wasm: 5, webgpu: 2 }, true);
    expect(selection.backend).toBe('webgpu');
    expect(selection.timings).toEqual({ wasm: 10, webgpu: 4 });
  });

  it('webgpu request keeps webgpu even when slower', async () => {
    const selection = await select('webgpu', { wasm: 1, webgpu: 30 }, true);
    expect(selection.backend).toBe('webgpu');
    expect(selection.timings).toEqual({ wasm: 2, webgpu: 60 });
  });

  it('times only wasm without an adapter', async () => {
    const selection = await select('auto', { wasm: 1, webgpu: 0.5 }, false);
    expect(selection.backend).toBe('wasm');
    expect(selection.timings).toEqual({ wasm: 2 });
    expect(selection.reason).toBeUndefined();
  });

  it('explains a webgpu request without an adapter', async () => {
    const selection = await select('webgpu', { wasm: 1, webgpu: 0.5 }, false);
    expect(selection.backend).toBe('wasm');
    expect(selection.reason).toMatch(/no adapter/);
  });

  it('never probes for a wasm request', async () => {
    const { loadOrt, now } = timedOrt({ wasm: 1, webgpu: 1 });
    let probes = 0;
    const result = await selectBackend({ request: 'wasm', loadOrt, bytes, manifest, now, probeWebGpu: async () => {
        probes++;
        return { adapter: true, fallbackAdapter: false };
      },
    });
    await result.runner.dispose();
    expect(probes).toBe(0);
    expect(result.selection.backend).toBe('wasm');
  });

  it('falls back to wasm when webgpu sessions fail', async () => {
    const selection = await select('auto', { wasm: 1, webgpu: 0.5 }, true, { failWebGpu: true });
    expect(selection.backend).toBe('wasm');
    expect(selection.timings).toEqual({ wasm: 2 });
    expect(selection.reason).toMatch(/Creating WebGPU sessions failed \(.*no GPU device/);
  });
});
