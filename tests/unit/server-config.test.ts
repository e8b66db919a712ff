/**
 * The companion's config file: durations with units, live counter keys, and the errors for
 * unknown keys and bad values.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, parseConfig, parseDuration } from '../../src/server/config.js';

describe('parseDuration', () => {
  it.each([
    [250, 250],
    ['500ms', 500],
    ['90s', 90_000],
    ['15m', 900_000],
    ['1.5h', 5_400_000],
    ['3d', 259_200_000],
  ])('reads %j', (value, ms) => {
    expect(parseDuration('c.json', 'k', value)).toBe(ms);
  });

  it.each([0, -5, '12', '12 hours', '0h', null])('rejects %j', (value) => {
    expect(() => parseDuration('c.json', 'live.trendingShort', value)).toThrowError(expect.objectContaining({ code: 'AISLE_INVALID_ARGUMENT', message: expect.stringContaining(`Config c.json: \`live.trendingShort\` must be a duration`) }));
  });
});

describe('parseConfig', () => {
  it('maps live keys to counter options', () => {
    const config = parseConfig({ live: { halfLives: { view: '6h', purchase: '3d' }, trendingShort: '30m', trendingLong: '12h', trendingPrior: 10, minTrendingCount: 3, minTrendingScore: 0.5, flushInterval: '2s', maxEventAge: '2d' } }, 'c.json');
    expect(config.live).toEqual({
      halfLivesMs: { view: 21_600_000, purchase: 259_200_000 },
      trendingShortMs: 1_800_000,
      trendingLongMs: 43_200_000,
      trendingPrior: 10,
      minTrendingCount: 3,
      minTrendingScore: 0.5,
      flushIntervalMs: 2000,
      maxEventAgeMs: 172_800_000,
    });
    expect(parseConfig({}, 'c.json')).toEqual({ live: {}, modelSets: {} });
  });

  it('rejects unknown keys with the allowed ones', () => {
    expect(() => parseConfig({ lvie: {} }, 'c.json')).toThrow('Config c.json: unknown key `lvie`; allowed keys are live, experiments, outcomeWindow, modelSets.');
    expect(() => parseConfig({ live: { halfLives: { search: '1h' } } }, 'c.json')).toThrow('Config c.json: unknown key `live.halfLives.search`; allowed keys are view, click, add_to_cart, purchase.');
    expect(() => parseConfig({ live: { trendingPrior: '20' } }, 'c.json')).toThrow('Config c.json: `live.trendingPrior` must be a finite number, got "20".');
    expect(() => parseConfig([], 'c.json')).toThrow('Config c.json: `(top level)` must be a JSON object, got [].');
  });

  it('resolves model set directories from the config file', () => {
    const config = parseConfig({ modelSets: { '2026-12-b': '../models-b', v3: '/srv/models/v3' } }, '/etc/aisle/companion.json');
    expect(config.modelSets).toEqual({ '2026-12-b': '/etc/models-b', v3: '/srv/models/v3' });
  });

  it('rejects bad model sets with the key and the fix', () => {
    expect(() => parseConfig({ modelSets: ['models-b'] }, 'c.json')).toThrow('Config c.json: `modelSets` must be an object of model set version to models directory, like { "2026-12-b": "../models-b" }, got ["models-b"].');
    expect(() => parseConfig({ modelSets: { 'v 2': 'models-b' } }, 'c.json')).toThrowError(expect.objectContaining({
      code: 'AISLE_INVALID_ARGUMENT',
      message: 'Config c.json: `modelSets`: model set version "v 2" cannot name a served model set; use 1 to 64 letters, digits or _.- starting with a letter or digit, as the manifest of `aisle train` has.',
    }));
    expect(() => parseConfig({ modelSets: { '.hidden': 'models-b' } }, 'c.json')).toThrow('model set version ".hidden" cannot name a served model set');
    expect(() => parseConfig({ modelSets: { v2: '' } }, 'c.json')).toThrow('Config c.json: `modelSets.v2` must be the path of a models directory written by `aisle train`, got "".');
    expect(() => parseConfig({ modelSets: { v2: 7 } }, 'c.json')).toThrow('Config c.json: `modelSets.v2` must be the path of a models directory written by `aisle train`, got 7.');
  });

  it('reads a file and names a malformed one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'aisle-config-'));
    try {
      await writeFile(join(dir, 'good.json'), JSON.stringify({ live: { trendingShort: '2h' } }));
      expect((await loadConfig(join(dir, 'good.json'))).live.trendingShortMs).toBe(7_200_000);
      await writeFile(join(dir, 'bad.json'), '{ live: ');
      await expect(loadConfig(join(dir, 'bad.json'))).rejects.toMatchObject({ code: 'AISLE_INVALID_ARGUMENT', message: expect.stringContaining(`Reading the config ${join(dir, 'bad.json')} failed`) });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
