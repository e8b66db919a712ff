/**
 * Checks of POST /v1/items that run before any model. The fixture's models are placeholders, so a
 * request that passes every check is rejected later for lack of an item content model.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErrorBody } from '../../src/core/types.js';
import { createServer } from '../../src/server/app.js';
import { writeModelsDir } from '../support/companion-models.js';

const TOKEN = 'add-items-admin-token-0123456789';

let root: string;
let app: FastifyInstance;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'aisle-add-items-'));
  const fixture = await writeModelsDir(join(root, 'models'), { items: 50, dim: 8, seed: 3, version: 'add' });
  app = await createServer({ modelsDir: fixture.dir, adminToken: TOKEN, textSearch: 'inline' });
});

afterAll(async () => {
  await app?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

async function add(payload: string | object, authorization?: string): Promise<{ status: number; body: ErrorBody }> {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/items',
    payload,
    headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
  });
  return { status: response.statusCode, body: response.json() as ErrorBody };
}

describe('POST /v1/items admin token', () => {
  it('returns 401 before parsing the body', async () => {
    const bodies: Array<string | object> = [{ bogus: 1 }, { items: [] }, { items: [{ id: '' }] }, 'not json', ''];
    for (const body of bodies) {
      for (const authorization of [undefined, 'Bearer wrong-token', TOKEN]) {
        const { status, body: answer } = await add(body, authorization);
        expect(status, `${JSON.stringify(body)} with ${authorization}`).toBe(401);
        expect(answer.error.code).toBe('AISLE_UNAUTHORIZED');
      }
    }
  });

  it('accepts the scheme in any case', async () => {
    for (const authorization of [`bearer ${TOKEN}`, `BEARER ${TOKEN}`, `Bearer  ${TOKEN}`]) {
      const { status, body } = await add({ items: [{ id: 'x', title: 'a', color: 'red' }] }, authorization);
      expect(status, authorization).toBe(400);
      expect(body.error.code, authorization).toBe('AISLE_INVALID_REQUEST');
    }
  });

  it('names a bad field with the token', async () => {
    const { status, body } = await add({ items: [{ id: 'x', title: 'a', color: 'red' }] }, `Bearer ${TOKEN}`);
    expect(status).toBe(400);
    expect(body.error.code).toBe('AISLE_INVALID_REQUEST');
    expect(body.error.message).toContain('`color`');
  });
});

describe('POST /v1/items ids', () => {
  it('rejects ids with a comma', async () => {
    const { status, body } = await add({ items: [{ id: 'mug-1', title: 'Blue mug' }, { id: 'a,b', title: 'Comma mug' }] }, `Bearer ${TOKEN}`);
    expect(status).toBe(400);
    expect(body.error.code).toBe('AISLE_INVALID_REQUEST');
    expect(body.error.message).toContain('["a,b"]');
    expect(body.error.details).toEqual({ ids: ['a,b'] });
  });

  it('accepts ids without a comma', async () => {
    const { status, body } = await add({ items: [{ id: 'mug-1', title: 'Blue mug' }] }, `Bearer ${TOKEN}`);
    expect(status).toBe(400);
    expect(body.error.message).toContain('item content model');
  });
});
