/**
 * Property-based fuzzing of every HTTP route of the companion on 127.0.0.1 with fast-check:
 * random and hostile JSON, strings, vectors, query strings, paths, headers and raw bytes. Every
 * response must have a status below 500, an error must be a JSON ErrorBody whose code has that status in the
 * catalog, and a success must hold only catalog items with finite scores in [-1, 1]. After the
 * fuzzing, a fixed set of valid requests must get byte-identical responses, so no input corrupted
 * the server's state. Set FUZZ_SEED to replay a failure; FUZZ_RUNS_SCALE scales the run count.
 */
import { connect } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_CATALOG, isErrorCode, type AisleErrorCode } from '../../src/core/errors.js';
import type { ErrorBody, ItemWire } from '../../src/core/types.js';
import { encodeVector } from '../../src/core/vector.js';
import { createServer } from '../../src/server/app.js';
import { unitVector, writeModelsDir, type ModelsFixture } from '../support/companion-models.js';

const DIM = 16;
const ITEMS = 200;
const TOKEN = 'fuzz-admin-token-0123456789abcdef';
const SEED = Number(process.env.FUZZ_SEED ?? 20261205);
const RUNS = Math.max(1, Math.round(150 * Number(process.env.FUZZ_RUNS_SCALE ?? 1)));

let root: string;
let fixture: ModelsFixture;
let app: FastifyInstance;
let base: string;
let port: number;
let ids: Set<string>;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'aisle-fuzz-'));
  fixture = await writeModelsDir(join(root, 'models'), { items: ITEMS, dim: DIM, seed: 11, version: 'fuzz' });
  ids = new Set(fixture.items.map((item) => item.id));
  app = await createServer({ modelsDir: fixture.dir, adminToken: TOKEN });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (typeof address !== 'object' || address === null) throw new Error('server has no TCP address');
  port = address.port;
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await app?.close();
  if (root) await rm(root, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// Arbitraries

const HOSTILE_STRINGS = [
  '', ' ', '\u0000', '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty',
  '../../../etc/passwd', '..%2F..%2Fmanifest.json', '%00', '%', '%E0%A4%A', '\ud800', '\udfff',
  '👩‍👩‍👧‍👦', '\u202e', 'Ｆｕｌｌ', 'ǅ', 'A'.repeat(600), 'x'.repeat(5000), '${jndi:ldap://x}', '<script>',
  "' OR 1=1 --", 'NaN', 'Infinity', '-1', '1e309', 'null', 'true', '[]', '{}', 'fuzz-item-1', 'manifest.json',
];

const hostileString = fc.oneof(
  fc.constantFrom(...HOSTILE_STRINGS),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ maxLength: 300 }),
);

const hostileNumber = fc.oneof(
  fc.integer({ min: -5, max: 1100 }),
  fc.constantFrom(0, -0, 1, 1000, 1001, 2 ** 31, 2 ** 53, -(2 ** 53), 1e308, Number.MIN_VALUE, 0.5, 10.000001),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

// Base64 strings that decode to DIM floats, including NaN, ±Infinity, subnormals and zero.
const exactDimVector = fc.float32Array({ minLength: DIM, maxLength: DIM }).map((values) => encodeVector(values));

const vectorValue = fc.oneof(
  exactDimVector,
  fc.constant(encodeVector(unitVector(DIM, 1))),
  fc.float32Array({ maxLength: DIM * 2 + 2 }).map((values) => encodeVector(values)),
  fc.uint8Array({ maxLength: DIM * 8 }).map((bytes) => Buffer.from(bytes).toString('base64')),
  hostileString,
  hostileNumber,
  fc.constant(null),
  fc.array(fc.double(), { maxLength: DIM }),
);

const anyJson = fc.jsonValue({ maxDepth: 4 });

const candidatesBody = fc.record(
  {
    vector: vectorValue,
    k: fc.oneof(hostileNumber, hostileString, anyJson),
    exclude: fc.oneof(fc.array(hostileString, { maxLength: 20 }), fc.array(fc.constantFrom(...fixtureIds()), { maxLength: 50 }), anyJson),
    filter: fc.oneof(fc.record({ category: hostileString, brand: hostileString }, { requiredKeys: [] }), fc.dictionary(hostileString, anyJson, { maxKeys: 3 }), anyJson),
    extra: anyJson,
  },
  { requiredKeys: [] },
);

const searchBody = fc.record(
  {
    query: fc.oneof(hostileString, anyJson),
    k: fc.oneof(hostileNumber, anyJson),
    vector: vectorValue,
    fusion: fc.oneof(fc.constantFrom('rrf', 'weighted', 'RRF', ''), anyJson),
    weights: fc.oneof(fc.record({ bm25: hostileNumber, vector: hostileNumber }, { requiredKeys: [] }), anyJson),
  },
  { requiredKeys: [] },
);

// Item ids of the fixture, known before beforeAll runs because the generator is seeded.
function fixtureIds(): string[] {
  return Array.from({ length: 20 }, (_, i) => `fuzz-item-${i * 7}`);
}

// Bodies as sent: JSON of a generated value, JSON with a forbidden key spliced in, or raw text.
function bodyText(value: fc.Arbitrary<unknown>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: value.map((body) => JSON.stringify(body) ?? 'null') },
    { weight: 1, arbitrary: value.map((body) => `{"__proto__":{"polluted":1},"body":${JSON.stringify(body) ?? 'null'}}`) },
    { weight: 1, arbitrary: value.map((body) => `{"filter":{"constructor":{"prototype":{"x":1}}},"v":${JSON.stringify(body) ?? 'null'}}`) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }) },
    { weight: 1, arbitrary: fc.constantFrom('', '{', '[1,2', '{"k":', 'null', '"text"', '1e999', '{"a":1}{"b":2}', '[]'.repeat(20_000), `${'['.repeat(5000)}${']'.repeat(5000)}`) },
  );
}

const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=utf-16', undefined);

// Percent-encodes the UTF-8 bytes of a string; lone surrogates become U+FFFD, as a browser sends them.
function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');
}

const rawQueryPart = fc.oneof(hostileString.map(percentEncode), fc.constantFrom('%', '%zz', '%E0%A4%A', '&&&', '=', 'ids', '%2C%2C', ',,,,'));

// ---------------------------------------------------------------------------------------------
// Checks

interface Reply {
  status: number;
  text: string;
  contentType: string | null;
}

async function send(path: string, init: RequestInit = {}): Promise<Reply> {
  const response = await fetch(`${base}${path}`, init);
  return { status: response.status, text: await response.text(), contentType: response.headers.get('content-type') };
}

function checkReply(reply: Reply, label: string): unknown {
  expect(reply.status, `${label}: ${reply.text.slice(0, 300)}`).toBeLessThan(500);
  if (reply.status < 400) return reply.contentType?.startsWith('application/json') ? JSON.parse(reply.text) : reply.text;

  expect(reply.contentType, label).toMatch(/^application\/json/);
  const body = JSON.parse(reply.text) as ErrorBody;
  expect(isErrorCode(body.error?.code), `${label}: ${reply.text.slice(0, 300)}`).toBe(true);
  expect(typeof body.error.message, label).toBe('string');
  expect(ERROR_CATALOG[body.error.code as AisleErrorCode].status, `${label}: ${body.error.code}`).toBe(reply.status);
  return body;
}

function checkItems(items: ItemWire[], scoreField: 'annScore' | 'searchScore', label: string): void {
  for (const item of items) {
    expect(ids.has(item.id), `${label}: unknown id ${item.id}`).toBe(true);
    const score = (item as unknown as Record<string, number>)[scoreField];
    expect(Number.isFinite(score), `${label}: score ${score}`).toBe(true);
    if (scoreField === 'annScore') expect(Math.abs(score), label).toBeLessThanOrEqual(1);
  }
}

function post(path: string, body: string, type: string | undefined): Promise<Reply> {
  return send(path, { method: 'POST', body, headers: type === undefined ? {} : { 'content-type': type } });
}

// Valid requests whose responses must not change, which shows that fuzzing left the state intact.
const GOLDEN: Array<{ path: string; init?: RequestInit }> = [
  { path: '/v1/candidates', init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ vector: encodeVector(unitVector(DIM, 2)), k: 10 }) } },
  { path: '/v1/candidates', init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ vector: encodeVector(unitVector(DIM, 3)), k: 5, exclude: ['fuzz-item-1'], filter: { category: 'Serum' } }) } },
  { path: '/v1/search', init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'matte lipstick', k: 10 }) } },
  { path: '/v1/search', init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'velvet', k: 8, vector: encodeVector(unitVector(DIM, 4)), fusion: 'weighted', weights: { bm25: 0.3, vector: 0.7 } }) } },
  { path: '/v1/items?ids=fuzz-item-0,fuzz-item-5,missing' },
  { path: '/v1/trending?k=7' },
  { path: '/models/manifest.json' },
  { path: '/models/ranker.onnx' },
  { path: '/healthz' },
];

// Live counters change on purpose when fuzzed events are valid, and they carry the time they
// were read at. Everything else of a golden reply must stay byte for byte the same.
function withoutLive(text: string): string {
  return text.replace(/,?"live":\{[^{}]*\}/g, '');
}

async function goldenReplies(): Promise<Reply[]> {
  const replies: Reply[] = [];
  for (const { path, init } of GOLDEN) {
    const reply = await send(path, init);
    replies.push({ ...reply, text: withoutLive(reply.text) });
  }
  return replies;
}

// ---------------------------------------------------------------------------------------------

describe('companion fuzzing', () => {
  let before: Reply[];

  beforeAll(async () => {
    before = await goldenReplies();
    for (const reply of before) expect(reply.status).toBe(200);
  });

  it('POST /v1/candidates survives hostile bodies', async () => {
    await fc.assert(
      fc.asyncProperty(bodyText(candidatesBody), contentType, async (body, type) => {
        const reply = await post('/v1/candidates', body, type);
        const parsed = checkReply(reply, 'candidates') as { items?: ItemWire[]; popular?: ItemWire[] };
        if (reply.status === 200) {
          const k = (JSON.parse(body) as { k: number }).k;
          expect(parsed.items!.length).toBeLessThanOrEqual(k);
          checkItems(parsed.items!, 'annScore', 'candidates');
        }
      }),
      { numRuns: RUNS * 2, seed: SEED },
    );
  });

  it('POST /v1/search survives hostile bodies', async () => {
    await fc.assert(
      fc.asyncProperty(bodyText(searchBody), contentType, async (body, type) => {
        const reply = await post('/v1/search', body, type);
        const parsed = checkReply(reply, 'search') as { items?: ItemWire[] };
        if (reply.status === 200) checkItems(parsed.items!, 'searchScore', 'search');
      }),
      { numRuns: RUNS * 2, seed: SEED },
    );
  });

  it('GET /v1/items and /v1/trending survive hostile queries', async () => {
    const idList = fc.array(fc.oneof(rawQueryPart, fc.constantFrom(...fixtureIds())), { maxLength: 40 }).map((parts) => parts.join(','));
    const query = fc.oneof(
      idList.map((list) => `/v1/items?ids=${list}`),
      fc.tuple(rawQueryPart, rawQueryPart).map(([key, value]) => `/v1/items?${key}=${value}`),
      fc.array(fc.constantFrom(...fixtureIds()), { minLength: 1, maxLength: 3 }).map((list) => `/v1/items?ids=${list.join(',')}&ids=${list[0]}`),
      fc.oneof(rawQueryPart, hostileNumber.map(String)).map((k) => `/v1/trending?k=${k}`),
      fc.constant('/v1/trending?k=1&k=2'),
    );
    await fc.assert(
      fc.asyncProperty(query, async (path) => {
        const reply = await send(path);
        const parsed = checkReply(reply, path) as { items?: ItemWire[] };
        if (reply.status === 200) for (const item of parsed.items!) expect(ids.has(item.id)).toBe(true);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('GET /models/:file serves only listed files', async () => {
    const name = fc.oneof(hostileString.map(percentEncode), rawQueryPart, fc.constantFrom('items.json', 'item_vectors.f32', 'items.faiss', '..%2Fitems.json', '.%2Fmanifest.json', 'ranker.onnx%00', 'RANKER.ONNX'));
    await fc.assert(
      fc.asyncProperty(name, fc.constantFrom('GET', 'HEAD'), async (file, method) => {
        const reply = await send(`/models/${file}`, { method, headers: { 'if-none-match': '"x", W/"y", *' } });
        expect(reply.status, file).toBeLessThan(500);
        if (method === 'GET') checkReply(reply, file);
        if (reply.status < 400) expect(['manifest.json', 'ranker.onnx', 'user_tower.onnx']).toContain(decodeURIComponent(file));
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('POST /admin/reload rejects every wrong token', async () => {
    const header = fc.oneof(hostileString.filter((text) => /^[\x20-\x7e]*$/.test(text)).map((text) => `Bearer ${text}`), fc.constantFrom('Bearer', 'Bearer ', `Bearer ${TOKEN}x`, `Bearer ${TOKEN} ${TOKEN}`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, TOKEN));
    await fc.assert(
      fc.asyncProperty(header, async (authorization) => {
        const reply = await send('/admin/reload', { method: 'POST', headers: { authorization } });
        const body = checkReply(reply, authorization) as ErrorBody;
        expect(reply.status).toBe(401);
        expect(body.error.code).toBe('AISLE_UNAUTHORIZED');
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('unknown routes and methods get 404 or 405', async () => {
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS');
    const path = fc.oneof(
      fc.array(rawQueryPart, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`),
      fc.constantFrom('/v1/candidates', '/v1/search', '/v1/items', '/healthz', '/v1/', '//v1//candidates', '/admin', '/models/'),
    );
    await fc.assert(
      fc.asyncProperty(method, path, async (verb, url) => {
        const reply = await send(url, { method: verb, headers: { origin: 'https://shop.example' } });
        expect(reply.status, `${verb} ${url}`).toBeLessThan(500);
        // An OPTIONS request without Access-Control-Request-Method is an invalid CORS preflight,
        // which @fastify/cors rejects with a plain-text 400 before any Aisle handler runs.
        if (reply.status >= 400 && verb !== 'OPTIONS') checkReply(reply, `${verb} ${url}`);
      }),
      { numRuns: RUNS, seed: SEED },
    );
  });

  it('raw bytes never crash the HTTP parser', async () => {
    const prefix = fc.constantFrom('', 'GET / HTTP/1.1\r\n', 'POST /v1/candidates HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n', 'POST /v1/search HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n', 'GET /healthz HTTP/9.9\r\n\r\n');
    await fc.assert(
      fc.asyncProperty(prefix, fc.uint8Array({ maxLength: 300 }), async (head, bytes) => {
        const reply = await rawExchange(Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(bytes), Buffer.from('\r\n\r\n')]));
        const status = Number(reply.match(/^HTTP\/1\.1 (\d{3})/)?.[1] ?? 0);
        expect(status, reply.slice(0, 200)).toBeLessThan(500);
      }),
      { numRuns: Math.ceil(RUNS / 2), seed: SEED },
    );
    expect((await send('/healthz')).status).toBe(200);
  });

  it('responds the same after fuzzing', async () => {
    const after = await goldenReplies();
    after.forEach((reply, i) => {
      expect(reply.status, GOLDEN[i].path).toBe(before[i].status);
      expect(reply.text, GOLDEN[i].path).toBe(before[i].text);
    });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

// Writes bytes to a fresh connection and returns what the server sends before it closes or
// goes quiet for 300 ms (a valid request on a keep-alive connection).
function rawExchange(bytes: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(received);
    };
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      clearTimeout(timer);
      timer = setTimeout(finish, 50);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' || error.code === 'EPIPE' ? finish() : reject(error)));
    socket.on('close', finish);
    socket.write(bytes);
    timer = setTimeout(finish, 300);
  });
}
