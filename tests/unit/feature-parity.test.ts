/**
 * Feature parity between training and serving. For the same events, the offline candidate lists
 * (`buildCandidateLists`) and the worker's Engine on the real companion must produce the same
 * user vector and the same ranker feature matrix, with the candidates in the same order.
 */
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import * as ortNode from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResolvedOptions } from '../../src/client/protocol.js';
import { FEATURE_COUNT, FEATURE_NAMES } from '../../src/core/features.js';
import type { Manifest } from '../../src/core/types.js';
import { createServer } from '../../src/server/app.js';
import { selectBackend } from '../../src/runtime/backend.js';
import type { ModelBytes, ModelRunner } from '../../src/runtime/model-runner.js';
import type { OrtModule } from '../../src/runtime/ort.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import type { Dataset, LeaveOneOutUser } from '../../src/training/data/dataset.js';
import { historyFor, leaveOneOut } from '../../src/training/data/split.js';
import { buildCandidateLists, type CandidateList } from '../../src/training/pipeline/candidate-lists.js';
import { loadModels, type LoadedModels } from '../../src/training/pipeline/load-models.js';
import { loadTrainingData, train } from '../../src/training/train.js';
import { Engine } from '../../src/worker/engine.js';

const MAX_USERS = 250;
const SEED = 7;
const USER_COUNT = 3;

let dir: string;
let dataset: Dataset;
let models: LoadedModels;
let server: FastifyInstance;
let endpoint: string;
let users: LeaveOneOutUser[];
let offline: CandidateList[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aisle-parity-'));
  await train({ data: 'demo', out: dir, maxUsers: MAX_USERS, epochs: 2, seed: SEED, queryEncoderSteps: 0 });

  dataset = await loadTrainingData('demo', MAX_USERS, SEED);
  const all = leaveOneOut(dataset);
  // Spread the picks over the user list so that short and long histories both occur.
  users = [all[0], all[Math.floor(all.length / 2)], all[all.length - 1]].slice(0, USER_COUNT);

  models = await loadModels(dir);
  const requests = users.map((user) => {
    const history = historyFor(user, 'test');
    // The same "now" as the offline evaluation: the target's timestamp when ages are used.
    const now = models.manifest.usesAges ? (user.sequence.timestamps?.[history.items.length] ?? 0) : 0;
    return { user: user.user, history, target: user.test, now };
  });
  offline = await buildCandidateLists(models.catalog, models.encoder, models.index, requests);

  server = await createServer({ modelsDir: dir });
  await server.listen({ host: '127.0.0.1', port: 0 });
  endpoint = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
}, 180_000);

afterAll(async () => {
  await server?.close();
  await models?.dispose();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The ranker input and output of the engine's last ranker run. */
interface RankerCall {
  features: Float32Array;
  rows: number;
  scores: Float32Array;
}

/**
 * Creates an engine on the real companion whose clock always reads `now`, running the served
 * models with onnxruntime-node. `calls` receives every ranker run.
 */
async function createEngine(now: number, calls: RankerCall[]): Promise<Engine> {
  const options: ResolvedOptions = {
    endpoint,
    models: `${endpoint}/models/manifest.json`,
    storage: 'memory',
    timeoutMs: 30_000,
    backend: 'auto',
    dbName: 'unused',
    maxEvents: 10_000,
  };
  const createRunner = async (bytes: ModelBytes, manifest: Manifest) => {
    const loadOrt = async () => ({ ort: ortNode as unknown as OrtModule, providers: { wasm: ['cpu'] } });
    const { runner, selection } = await selectBackend({ request: 'auto', loadOrt, bytes, manifest, probeWebGpu: async () => ({ adapter: false }) });
    const recording: ModelRunner = {
      get backend() {
        return runner.backend;
      },
      runTower: (input, seqLen, dim) => runner.runTower(input, seqLen, dim),
      runRanker: async (features, rows, count) => {
        const scores = await runner.runRanker(features, rows, count);
        calls.push({ features: features.slice(), rows, scores });
        return scores;
      },
      dispose: () => runner.dispose(),
    };
    return { runner: recording, selection };
  };

  let ids = 0;
  const engine = await Engine.create(options, { fetch: fetch as never, store: new MemoryStore(), createRunner, now: () => now, makeId: () => `parity-${++ids}` });
  await engine.ready;
  return engine;
}

/** Replays the test history of `user` through track() and returns the engine's recommend state. */
async function serve(user: LeaveOneOutUser, now: number) {
  const calls: RankerCall[] = [];
  const engine = await createEngine(now, calls);
  try {
    const history = historyFor(user, 'test');
    for (let i = 0; i < history.items.length; i++) {
      const tracked = await engine.track({ type: history.types?.[i] ?? 'view', itemId: dataset.items[history.items[i]].id, timestamp: history.timestamps?.[i] });
      expect(tracked.degraded, `track event ${i}`).toBeUndefined();
    }
    const profile = await engine.profile();
    const result = await engine.recommend({ k: 100 });
    return { profile, result, call: calls[calls.length - 1] };
  } finally {
    await engine.destroy();
  }
}

describe('offline and served features', () => {
  it('uses ages in the demo manifest', () => {
    expect(models.manifest.usesAges).toBe(true);
  });

  for (let pick = 0; pick < USER_COUNT; pick++) {
    it(`match for test user ${pick}`, async () => {
      const user = users[pick];
      const list = offline[pick];
      const history = historyFor(user, 'test');
      const now = user.sequence.timestamps?.[history.items.length] ?? 0;
      expect(now).toBeGreaterThan(0);

      const { profile, result, call } = await serve(user, now);
      expect(result.degraded).toBeUndefined();

      // User vector from the tower on the same history and the same "now".
      expect(profile.userVector).not.toBeNull();
      const served = profile.userVector as number[];
      expect(served.length).toBe(list.userVector.length);
      for (let d = 0; d < served.length; d++) expect(Math.abs(served[d] - list.userVector[d]), `user vector [${d}]`).toBeLessThanOrEqual(1e-5);

      // Same number of candidates and the same feature matrix, row by row in merge order.
      expect(call).toBeDefined();
      expect(call.rows).toBe(list.items.length);
      expect(call.features.length).toBe(list.features.length);
      for (let row = 0; row < call.rows; row++) {
        for (let column = 0; column < FEATURE_COUNT; column++) {
          const index = row * FEATURE_COUNT + column;
          const difference = Math.abs(call.features[index] - list.features[index]);
          expect(difference, `row ${row} (${dataset.items[list.items[row]].id}) ${FEATURE_NAMES[column]}: served ${call.features[index]}, offline ${list.features[index]}`).toBeLessThanOrEqual(1e-6);
        }
      }

      // recommend() returns at most 100 items, so ids are checked through the scores: each
      // returned id must carry the ranker score of the row the offline list puts it at.
      const offlineRow = new Map(Array.from(list.items, (item, row) => [dataset.items[item].id, row]));
      expect(result.items.length).toBe(Math.min(100, list.items.length));
      for (const item of result.items) {
        const row = offlineRow.get(item.id);
        expect(row, `${item.id} in the offline list`).toBeDefined();
        expect(item.score, `score of ${item.id}`).toBe(call.scores[row as number]);
      }
    }, 60_000);
  }
});
