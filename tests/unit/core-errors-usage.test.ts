import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOG, isErrorCode } from '../../src/core/errors.js';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

/** Returns every quoted 'AISLE_…' literal in the TypeScript files under src/, with its file. */
function quotedCodes(): Array<{ code: string; file: string }> {
  const found: Array<{ code: string; file: string }> = [];
  for (const entry of readdirSync(SRC, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = join(entry.parentPath, entry.name);
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/['"`](AISLE_[A-Z0-9_]+)['"`]/g)) found.push({ code: match[1], file: file.slice(SRC.length + 1) });
  }
  return found;
}

describe('error codes in the source', () => {
  const used = quotedCodes();

  // A degraded result carries its code as a plain string, so the compiler does not check it.
  it('uses only catalog codes', () => {
    for (const { code, file } of used) expect(isErrorCode(code), `${code} in src/${file}`).toBe(true);
  });

  it('raises every catalog code', () => {
    const codes = new Set(used.map((entry) => entry.code));
    for (const code of Object.keys(ERROR_CATALOG)) expect(codes.has(code), code).toBe(true);
  });
});
