import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AisleError, ERROR_CATALOG, isErrorCode } from '../../src/core/errors.js';

describe('error catalog', () => {
  const docs = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const documented = new Map<string, { status: number; kind: string }>();
  for (const match of docs.matchAll(/^\| `([A-Z_]+)` \| (\d+) \| (\w+) \|/gm)) {
    documented.set(match[1], { status: Number(match[2]), kind: match[3] });
  }

  it('documents every code with its status and kind', () => {
    for (const [code, entry] of Object.entries(ERROR_CATALOG)) {
      expect(documented.get(code), code).toEqual({ status: entry.status, kind: entry.kind });
    }
  });

  it('documents no code that does not exist', () => {
    for (const code of documented.keys()) expect(isErrorCode(code), code).toBe(true);
  });

  it('gives errors their catalog status and a plain JSON form', () => {
    const error = new AisleError('AISLE_INVALID_VECTOR', 'vector has dim 3; expected 64', { cause: new Error('decode'), details: { dim: 3 } });
    expect(error.status).toBe(400);
    expect(error.toJSON()).toEqual({ name: 'AisleError', code: 'AISLE_INVALID_VECTOR', message: 'vector has dim 3; expected 64', details: { dim: 3 }, cause: 'decode' });
    expect(JSON.parse(JSON.stringify(error)).code).toBe('AISLE_INVALID_VECTOR');
  });

  it('uses codes that start with AISLE_', () => {
    for (const code of Object.keys(ERROR_CATALOG)) expect(code).toMatch(/^AISLE_[A-Z_]+$/);
  });
});
