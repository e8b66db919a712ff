import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AisleError } from '../../src/core/errors.js';
import { checkOrtFiles, explainOrtFailure } from '../../src/runtime/ort-files.js';

const WASM_BYTES = Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
let server: Server;
let base: string;

// /good/ serves the ORT files, /spa/ returns index.html for every path like an SPA fallback,
// /typeless/ serves wasm bytes as application/octet-stream, and other paths are 404.
beforeAll(async () => {
  server = createServer((request, response) => {
    const path = request.url ?? '/';
    if (path.startsWith('/good/') && path.endsWith('.mjs')) response.writeHead(200, { 'content-type': 'text/javascript' }).end('export {};');
    else if (path.startsWith('/good/') && path.endsWith('.wasm')) response.writeHead(200, { 'content-type': 'application/wasm' }).end(WASM_BYTES);
    else if (path.startsWith('/spa/')) response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><div id="app"></div>');
    else if (path.startsWith('/typeless/') && path.endsWith('.mjs')) response.writeHead(200, { 'content-type': 'text/javascript' }).end('export {};');
    else if (path.startsWith('/typeless/')) response.writeHead(200, { 'content-type': 'application/octet-stream' }).end(WASM_BYTES);
    else response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((done) => server.close(() => done())));

const fetchFile = (url: string) => fetch(url);

describe('checkOrtFiles', () => {
  it('accepts served ORT files', async () => {
    expect(await checkOrtFiles(`${base}/good/`, 'wasm', fetchFile)).toBeUndefined();
    expect(await checkOrtFiles(`${base}/good/`, 'webgpu', fetchFile)).toBeUndefined();
  });

  it('names the URL, status and type of an SPA fallback', async () => {
    const problem = await checkOrtFiles(`${base}/spa/`, 'wasm', fetchFile);
    expect(problem).toContain(`${base}/spa/ort-wasm-simd-threaded.mjs returned HTTP 200 with content type text/html; charset=utf-8, expected a JavaScript file`);
  });

  it('names a missing wasm file', async () => {
    const problem = await checkOrtFiles(`${base}/missing/`, 'webgpu', fetchFile);
    expect(problem).toContain(`${base}/missing/ort-wasm-simd-threaded.asyncify.mjs returned HTTP 404 with content type text/plain`);
  });

  it('rejects wasm without its content type', async () => {
    const problem = await checkOrtFiles(`${base}/typeless/`, 'wasm', fetchFile);
    expect(problem).toContain(`${base}/typeless/ort-wasm-simd-threaded.wasm returned HTTP 200 with content type application/octet-stream, expected application/wasm`);
  });

  it('names a folder that cannot be fetched', async () => {
    const problem = await checkOrtFiles('http://127.0.0.1:9/ort/', 'wasm', fetchFile);
    expect(problem).toMatch(/^fetching http:\/\/127\.0\.0\.1:9\/ort\/ort-wasm-simd-threaded\.mjs failed: /);
  });
});

describe('explainOrtFailure', () => {
  it('wraps the ORT error with the bad file', async () => {
    const original = new Error('no available backend found');
    const explained = await explainOrtFailure(original, `${base}/spa/`, ['wasm', 'webgpu'], fetchFile);
    expect(explained).toBeInstanceOf(AisleError);
    expect(explained).toMatchObject({ code: 'AISLE_MODEL_LOAD_FAILED', cause: original });
    expect((explained as AisleError).message).toMatch(/^Loading ONNX Runtime failed because ONNX Runtime's module http:\/\/127\.0\.0\.1:\d+\/spa\/ort-wasm-simd-threaded\.mjs returned HTTP 200 with content type text\/html/);
    expect((explained as AisleError).message).toContain('ONNX Runtime reported: no available backend found');
  });

  it('keeps the error when the files are fine', async () => {
    const original = new Error('session failed');
    expect(await explainOrtFailure(original, `${base}/good/`, ['wasm', 'webgpu'], fetchFile)).toBe(original);
    expect(await explainOrtFailure(original, undefined, ['wasm'], fetchFile)).toBe(original);
  });
});
