/**
 * Reloading the companion's models directory: the atomic swap in ServingState, reloadServer(),
 * POST /admin/reload, SIGHUP of `aisle serve`, and a bounded load on 127.0.0.1 across reloads in
 * which no request may fail or mix two directories.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, symlink, truncate, unlink, rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CandidatesResponse, ErrorBody, SearchResponse } from '../../src/core/types.js';
import { encodeVector } from '../../src/core/vector.js';
import { createServer, reloadServer } from '../../src/server/app.js';
import { ServingState } from '../../src/server/serving-state.js';
import type { ServerState } from '../../src/server/state.js';
import { unitVector, writeModelsDir, type ModelsFixture } from '../support/companion-models.js';

const DIM = 16;
const TOKEN = 'test-admin-token-0123456789';

let root: string;
let first: ModelsFixture;
let second: ModelsFixture;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'aisle-reload-'));
  first = await writeModelsDir(join(root, 'v1'), { items: 300, dim: DIM, seed: 1, version: 'v1' });
  second = await writeModelsDir(join(root, 'v2'), { items: 400, dim: DIM, seed: 2, version: 'v2', index: 'HNSW16,Flat' });
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

async function listen(app: FastifyInstance): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('server has no TCP address');
  return `http://127.0.0.1:${address.port}`;
}

async function candidates(base: string, seed: number, k = 5): Promise<Response> {
  return fetch(`${base}/v1/candidates`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ vector: encodeVector(unitVector(DIM, seed)), k }),
  });
}

async function health(base: string): Promise<{ version: string; items: number; index: { type: string; ntotal: number } }> {
  return (await fetch(`${base}/healthz`)).json() as Promise<{ version: string; items: number; index: { type: string; ntotal: number } }>;
}

// A ServerState stand-in that records when it is freed; ServingState touches only these fields.
function fakeState(name: string, freed: string[]): ServerState {
  return {
    modelsDir: name,
    text: { search: async () => [], close: async () => void freed.push(`${name}.text`) },
    queryEncoder: null,
    ann: { dispose: () => void freed.push(`${name}.ann`) },
  } as unknown as ServerState;
}

describe('ServingState', () => {
  it('frees a replaced state after its last lease', async () => {
    const freed: string[] = [];
    const states = new ServingState(fakeState('a', freed));
    const lease = states.acquire();
    const swapped = states.swap(fakeState('b', freed));

    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(states.state.modelsDir).toBe('b');
    expect(lease.state.modelsDir).toBe('a');
    expect(freed).toEqual([]);
    expect(states.drainingCount).toBe(1);

    lease.release();
    lease.release();
    await swapped;
    expect(freed).toEqual(['a.text', 'a.ann']);
    expect(states.drainingCount).toBe(0);
  });

  it('frees a state without leases at once', async () => {
    const freed: string[] = [];
    const states = new ServingState(fakeState('a', freed));
    await states.use(() => 'done');
    await states.swap(fakeState('b', freed));
    expect(freed).toEqual(['a.text', 'a.ann']);
  });

  it('frees the new state when swapped after close', async () => {
    const freed: string[] = [];
    const states = new ServingState(fakeState('a', freed));
    await states.close();
    await expect(states.swap(fakeState('b', freed))).rejects.toMatchObject({ code: 'AISLE_DESTROYED' });
    expect(freed).toEqual(['a.text', 'a.ann', 'b.text', 'b.ann']);
  });
});

describe('reloadServer', () => {
  let app: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    app = await createServer({ modelsDir: first.dir });
    base = await listen(app);
  });

  afterAll(async () => {
    await app?.close();
  });

  it('swaps in another directory', async () => {
    const before = (await (await candidates(base, 7)).json()) as CandidatesResponse;
    expect(before.items.every((item) => item.id.startsWith('v1-'))).toBe(true);

    const result = await reloadServer(app, second.dir);
    expect(result).toMatchObject({ status: 'reloaded', version: 'v2', items: 400, dim: DIM, index: { type: 'HNSW16,Flat', ntotal: 400 } });

    const after = (await (await candidates(base, 7)).json()) as CandidatesResponse;
    expect(after.index).toEqual({ type: 'HNSW16,Flat', version: 'v2', ntotal: 400 });
    expect(after.items.every((item) => item.id.startsWith('v2-'))).toBe(true);
    expect((await health(base)).version).toBe('v2');

    await reloadServer(app, first.dir);
    const back = (await (await candidates(base, 7)).json()) as CandidatesResponse;
    // Live signals carry the time they were read at, so they are left out of the comparison.
    const strip = (items: CandidatesResponse['items']) => items.map(({ live: _live, ...rest }) => rest);
    expect(strip(back.items)).toEqual(strip(before.items));
  });

  it('keeps serving after a corrupt index', async () => {
    const broken = await writeModelsDir(join(root, 'broken'), { items: 300, dim: DIM, seed: 3, version: 'broken' });
    await truncate(join(broken.dir, 'items.faiss'), 200);
    const before = await (await candidates(base, 11)).json();

    const failure = reloadServer(app, broken.dir);
    await expect(failure).rejects.toMatchObject({ code: 'AISLE_INDEX_LOAD_FAILED' });
    await expect(failure).rejects.toThrow(join(broken.dir, 'items.faiss'));

    expect((await health(base)).version).toBe('v1');
    expect(await (await candidates(base, 11)).json()).toEqual(before);
  });

  it('rejects a directory of another dim', async () => {
    const wide = await writeModelsDir(join(root, 'wide'), { items: 100, dim: DIM * 2, seed: 4, version: 'wide' });
    const failure = reloadServer(app, wide.dir);
    await expect(failure).rejects.toMatchObject({ code: 'AISLE_RELOAD_REJECTED', details: { dim: DIM * 2, servedDim: DIM } });
    expect((await health(base)).version).toBe('v1');
  });

  it('loses no request under load across reloads', async () => {
    const clients = 8;
    const requestsPerClient = 60;
    const reloads = 6;
    const failures: string[] = [];
    let answered = 0;
    let done = false;

    // Search requests use the text search worker and the query vector path of the old state.
    const search = async (seed: number) => {
      const response = await fetch(`${base}/v1/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: 'matte velvet', k: 10, vector: encodeVector(unitVector(DIM, seed)) }),
      });
      const body = (await response.json()) as SearchResponse & ErrorBody;
      if (response.status !== 200) {
        failures.push(`search status ${response.status}: ${JSON.stringify(body.error)}`);
        return;
      }
      const prefixes = new Set(body.items.map((item) => item.id.split('-')[0]));
      if (body.items.length !== 10 || prefixes.size !== 1) failures.push(`mixed search: ${body.items.map((item) => item.id).join(',')}`);
      answered += 1;
    };

    const client = async (id: number) => {
      for (let i = 0; i < requestsPerClient; i++) {
        if (i % 3 === 2) {
          await search(id * 1000 + i);
          continue;
        }
        const response = await candidates(base, id * 1000 + i, 10);
        const body = (await response.json()) as CandidatesResponse & ErrorBody;
        if (response.status !== 200) {
          failures.push(`status ${response.status}: ${JSON.stringify(body.error)}`);
          continue;
        }
        // Every item of one response comes from the directory that its `index.version` names.
        const prefix = `${body.index?.version}-`;
        if (body.items.length !== 10 || !body.items.every((item) => item.id.startsWith(prefix))) {
          failures.push(`mixed answer: index ${body.index?.version}, items ${body.items.map((item) => item.id).join(',')}`);
        }
        answered += 1;
      }
    };

    const reloader = async () => {
      let count = 0;
      while (!done && count < reloads) {
        await reloadServer(app, count % 2 === 0 ? second.dir : first.dir);
        count += 1;
      }
      return count;
    };

    const load = Promise.all(Array.from({ length: clients }, (_, id) => client(id))).finally(() => {
      done = true;
    });
    const [, reloaded] = await Promise.all([load, reloader()]);

    expect(failures).toEqual([]);
    expect(answered).toBe(clients * requestsPerClient);
    expect(reloaded).toBeGreaterThan(0);
    if (reloaded % 2 === 1) await reloadServer(app, first.dir);
  });
});

describe('POST /admin/reload', () => {
  let app: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    app = await createServer({ modelsDir: first.dir, adminToken: TOKEN });
    base = await listen(app);
  });

  afterAll(async () => {
    await app?.close();
  });

  async function reload(authorization?: string): Promise<Response> {
    return fetch(`${base}/admin/reload`, { method: 'POST', headers: authorization === undefined ? {} : { authorization } });
  }

  it('rejects a missing or wrong token', async () => {
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789', TOKEN, `Basic ${TOKEN}`]) {
      const response = await reload(authorization);
      const body = (await response.json()) as ErrorBody;
      expect(response.status).toBe(401);
      expect(body.error.code).toBe('AISLE_UNAUTHORIZED');
    }
  });

  it('reloads with the token', async () => {
    const response = await reload(`Bearer ${TOKEN}`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'reloaded', version: 'v1', items: 300, modelsDir: first.dir });
  });

  it('does not exist without a token', async () => {
    const plain = await createServer({ modelsDir: first.dir });
    try {
      const response = await plain.inject({ method: 'POST', url: '/admin/reload', headers: { authorization: `Bearer ${TOKEN}` } });
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe('AISLE_NOT_FOUND');
    } finally {
      await plain.close();
    }
  });

  it('rejects a short token at start-up', async () => {
    await expect(createServer({ modelsDir: first.dir, adminToken: 'short' })).rejects.toMatchObject({ code: 'AISLE_INVALID_ARGUMENT' });
  });
});

// Runs `aisle serve` to its exit and returns the exit code and stderr.
async function runServe(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['bin/aisle.mjs', 'serve', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stderr };
}

describe('aisle serve process', () => {
  it('exits 1 on a truncated index', async () => {
    const broken = await writeModelsDir(join(root, 'broken-cli'), { items: 50, dim: DIM, seed: 12, version: 'broken' });
    await truncate(join(broken.dir, 'items.faiss'), 64);
    const { code, stderr } = await runServe(['--models', broken.dir, '--port', '0', '--log-level', 'silent']);
    expect(code).toBe(1);
    expect(stderr).toContain('AISLE_INDEX_LOAD_FAILED');
    expect(stderr).toContain(join(broken.dir, 'items.faiss'));
  });

  it('exits 1 on a short admin token', async () => {
    const { code, stderr } = await runServe(['--models', first.dir, '--port', '0', '--log-level', 'silent'], { AISLE_ADMIN_TOKEN: 'tok3n-xyz' });
    expect(code).toBe(1);
    expect(stderr).toContain('AISLE_INVALID_ARGUMENT');
    expect(stderr).not.toContain('tok3n-xyz');
  });

  it('reloads the directory behind a symlink', async () => {
    const link = join(root, 'current');
    await symlink(first.dir, link);
    const child = spawn(process.execPath, ['bin/aisle.mjs', 'serve', '--models', link, '--port', '0', '--log-level', 'info'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, AISLE_ADMIN_TOKEN: '' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));

    const waitFor = async (pattern: RegExp): Promise<RegExpMatchArray> => {
      for (let i = 0; i < 600; i++) {
        const match = output.match(pattern);
        if (match) return match;
        if (child.exitCode !== null) throw new Error(`aisle serve exited with ${child.exitCode}:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      throw new Error(`no line matching ${pattern} in the output of aisle serve:\n${output}`);
    };

    try {
      const port = (await waitFor(/"port":(\d+)/))[1];
      const base = `http://127.0.0.1:${port}`;
      expect((await health(base)).version).toBe('v1');

      // Replace the symlink atomically, as a deploy would, then ask for a reload.
      await symlink(second.dir, `${link}.next`);
      await rename(`${link}.next`, link);
      child.kill('SIGHUP');
      await waitFor(/models directory reloaded/);
      expect(await health(base)).toMatchObject({ version: 'v2', items: 400 });
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      await unlink(link).catch(() => {});
    }
  });
});
