/**
 * CORS of the companion: '*' by default for the public read routes, none at all with `cors: false`
 * (`aisle serve --cors off`), and never an allowed Authorization header, so a page on another
 * origin cannot call POST /admin/reload with the admin token.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from '../../src/server/app.js';
import { writeModelsDir, type ModelsFixture } from '../support/companion-models.js';

const TOKEN = 'cors-admin-token-0123456789';

let root: string;
let fixture: ModelsFixture;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'aisle-cors-'));
  fixture = await writeModelsDir(join(root, 'models'), { items: 20, dim: 4, seed: 3, version: 'cors' });
});

afterAll(async () => {
  if (root) await rm(root, { recursive: true, force: true });
});

describe('companion CORS', () => {
  it('sends no CORS headers when off', async () => {
    const app = await createServer({ modelsDir: fixture.dir, cors: false, textSearch: 'inline' });
    try {
      const response = await app.inject({ method: 'GET', url: '/healthz', headers: { origin: 'https://shop.example' } });
      expect(response.statusCode).toBe(200);
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
      const preflight = await app.inject({
        method: 'OPTIONS',
        url: '/v1/candidates',
        headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' },
      });
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      expect(preflight.headers['access-control-allow-methods']).toBeUndefined();
    } finally {
      await app.close();
    }
  });

  it('never allows the Authorization header', async () => {
    const app = await createServer({ modelsDir: fixture.dir, adminToken: TOKEN, textSearch: 'inline' });
    try {
      const preflight = await app.inject({
        method: 'OPTIONS',
        url: '/admin/reload',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
      const allowed = String(preflight.headers['access-control-allow-headers'] ?? '').toLowerCase();
      expect(allowed).toBe('content-type');
      expect(preflight.headers['access-control-allow-credentials']).toBeUndefined();
    } finally {
      await app.close();
    }
  });
});
