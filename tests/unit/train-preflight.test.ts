import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AisleError } from '../../src/core/errors.js';
import { train } from '../../src/training/train.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aisle-preflight-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** MovieLens-100k genre flags: 19 zero columns. */
const NO_GENRES = Array(19).fill('0').join('|');

describe('train checks before training', () => {
  it('rejects an unknown index description', async () => {
    const error = await train({ data: 'demo', out: join(dir, 'index'), index: 'Bogus99' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AisleError);
    expect((error as AisleError).code).toBe('AISLE_INVALID_ARGUMENT');
    expect((error as AisleError).message).toContain('--index "Bogus99"');
  });

  it('rejects an --out that cannot be created', async () => {
    const error = await train({ data: 'demo', out: '/proc/nope' }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AisleError);
    expect((error as AisleError).code).toBe('AISLE_INVALID_ARGUMENT');
    expect((error as AisleError).message).toContain('--out "/proc/nope"');
  });

  it('leaves no probe file in --out', async () => {
    const out = join(dir, 'probe', 'nested');
    await train({ data: join(dir, 'missing'), out }).catch(() => undefined);
    expect(await readdir(out)).toEqual([]);
  });

  it('rejects a dataset with too few usable users', async () => {
    const data = join(dir, 'ml-tiny');
    await rm(data, { recursive: true, force: true });
    await mkdir(data);
    await writeFile(join(data, 'u.item'), `1|A (1995)|||x|${NO_GENRES}\n2|B (1995)|||x|${NO_GENRES}\n`);
    await writeFile(join(data, 'u.data'), '1\t1\t5\t100\n1\t2\t3\t101\n');

    const error = await train({ data, out: join(dir, 'tiny-out'), epochs: 1 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AisleError);
    expect((error as AisleError).code).toBe('AISLE_DATA_INVALID');
    expect((error as AisleError).message).toContain(`dataset ${data} has 0 usable users`);
    expect((error as AisleError).message).toContain('at least 10 usable users and 2 items');
  });
});
