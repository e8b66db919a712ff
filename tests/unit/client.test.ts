import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveOptions } from '../../src/client/index.js';
import { fromWireError, toReply, toWireError } from '../../src/client/protocol.js';
import { AisleError } from '../../src/core/errors.js';

describe('resolveOptions', () => {
  it('fills the defaults', () => {
    expect(resolveOptions({ endpoint: 'https://reco.example.com/' })).toEqual({
      endpoint: 'https://reco.example.com',
      models: 'https://reco.example.com/models/manifest.json',
      storage: 'indexeddb',
      timeoutMs: 3000,
      backend: 'auto',
      dbName: 'aisle',
      maxEvents: 1000,
      coalesce: true,
      ranker: 'auto',
    });
  });

  it('keeps an explicit models URL', () => {
    expect(resolveOptions({ endpoint: 'https://reco.example.com', models: 'https://cdn.example.com/m/manifest.json' }).models).toBe('https://cdn.example.com/m/manifest.json');
  });

  it.each([
    ['endpoint', { endpoint: 'not a url' }],
    ['timeoutMs', { endpoint: 'https://a.example', timeoutMs: 0 }],
    ['backend', { endpoint: 'https://a.example', backend: 'webgl' }],
    ['storage', { endpoint: 'https://a.example', storage: 'localStorage' }],
    ['maxEvents', { endpoint: 'https://a.example', maxEvents: 1.5 }],
    ['coalesce', { endpoint: 'https://a.example', coalesce: 'yes' }],
    ['ranker', { endpoint: 'https://a.example', ranker: 'wasm' }],
  ])('rejects a bad %s', (name, options) => {
    expect(() => resolveOptions(options as never)).toThrowError(expect.objectContaining({ code: 'AISLE_INVALID_ARGUMENT', message: expect.stringContaining(`option ${name}`) }));
  });
});

describe('resolveOptions endpoint', () => {
  afterEach(() => vi.unstubAllGlobals());
  const onPage = () => vi.stubGlobal('location', { href: 'https://shop.example/catalog/page.html' });

  it.each([
    ['missing', {}, 'got undefined'],
    ['a number', { endpoint: 42 }, 'got 42'],
    ['text that is not a URL', { endpoint: 'not a url' }, 'got "not a url"'],
    ['a path relative to the page', { endpoint: 'aisle' }, 'got "aisle"'],
    ['a protocol-relative URL', { endpoint: '//other.example' }, 'got "//other.example"'],
    ['an ftp URL', { endpoint: 'ftp://reco.example' }, 'got "ftp://reco.example"'],
  ])('rejects an endpoint that is %s, even on a page', (_, options, shown) => {
    onPage();
    expect(() => resolveOptions(options as never)).toThrowError(expect.objectContaining({
      code: 'AISLE_INVALID_ARGUMENT',
      message: expect.stringMatching(new RegExp(`option endpoint must be an absolute http\\(s\\) URL of the companion service.*${shown.replace(/[()]/g, '\\$&')}`)),
    }));
  });

  it('resolves a path that starts with / against the page origin', () => {
    onPage();
    expect(resolveOptions({ endpoint: '/aisle/' }).endpoint).toBe('https://shop.example/aisle');
    expect(resolveOptions({ endpoint: '/aisle' }).models).toBe('https://shop.example/aisle/models/manifest.json');
  });

  it('rejects a path that starts with / outside a page', () => {
    expect(() => resolveOptions({ endpoint: '/aisle' })).toThrowError(expect.objectContaining({ code: 'AISLE_INVALID_ARGUMENT' }));
  });
});

describe('wire errors', () => {
  it('keep code, message, details and cause', () => {
    const original = new AisleError('AISLE_MODEL_CHECKSUM_MISMATCH', 'Model x has sha256 a', { details: { file: 'x' }, cause: new Error('inner') });
    const copy = fromWireError(structuredClone(toWireError(original)));
    expect(copy).toBeInstanceOf(AisleError);
    expect(copy.code).toBe('AISLE_MODEL_CHECKSUM_MISMATCH');
    expect(copy.message).toBe('Model x has sha256 a');
    expect(copy.details).toEqual({ file: 'x' });
    expect(copy.cause).toBe('inner');
  });

  it('map unknown errors to AISLE_INTERNAL', () => {
    const wire = toWireError(new TypeError('x is undefined'));
    expect(wire.code).toBe('AISLE_INTERNAL');
    expect(wire.message).toContain('TypeError: x is undefined');
    expect(fromWireError({ ...wire, code: 'NOT_A_CODE' as never }).code).toBe('AISLE_INTERNAL');
  });

  it('toReply wraps values and errors', async () => {
    expect(await toReply(async () => 5)).toEqual({ ok: true, value: 5 });
    const failed = await toReply(async () => {
      throw new AisleError('AISLE_TIMEOUT', 'late');
    });
    expect(failed.ok).toBe(false);
    expect(failed.ok ? undefined : failed.error.code).toBe('AISLE_TIMEOUT');
  });
});
