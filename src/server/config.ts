/**
 * The companion's config file (`aisle serve --config FILE`), a JSON object:
 *
 *   { "live": { "halfLives": { "view": "12h", "purchase": "3d" }, "trendingShort": "1h",
 *               "trendingLong": "24h", "trendingPrior": 20, "minTrendingCount": 5,
 *               "minTrendingScore": 1, "flushInterval": "1s", "maxEventAge": "24h" },
 *     "experiments": [{ "name": "home-row", "salt": "2026-12", "variants": [
 *         { "name": "control", "weight": 1, "changes": { "ranker": false } },
 *         { "name": "personal", "weight": 1 }] }],
 *     "outcomeWindow": "30m",
 *     "modelSets": { "2026-12-b": "../models-b" } }
 *
 * Durations are milliseconds as a number, or a string of a number and a unit: ms, s, m, h or d.
 * `modelSets` maps a model set version to its models directory (relative paths start at the
 * config file's folder); the companion serves each one under /versions/<version>/ next to the
 * default set of --models (model-sets.ts).
 * Every key is optional; an unknown key is rejected, so a typo never silently keeps a default.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { AisleError } from '../core/errors.js';
import { LIVE_EVENT_TYPES, type LiveEventType } from '../core/live-events.js';
import { parseExperiments } from '../core/experiments.js';
import type { LiveOptions } from './live/live-state.js';
import { checkModelSetVersion } from './model-sets.js';

/** The parsed config file. */
export interface CompanionConfig {
  live: LiveOptions;
  /** Models directories of the extra model sets by version, as absolute paths; empty without `modelSets`. */
  modelSets: Record<string, string>;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function invalid(file: string, key: string, expected: string, value: unknown): AisleError {
  return new AisleError('AISLE_INVALID_ARGUMENT', `Config ${file}: \`${key}\` must be ${expected}, got ${JSON.stringify(value)}.`, { details: { file, key } });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(file: string, path: string, value: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new AisleError('AISLE_INVALID_ARGUMENT', `Config ${file}: unknown key \`${path}${key}\`; allowed keys are ${allowed.join(', ')}.`, { details: { file, key: `${path}${key}` } });
    }
  }
}

/** Parses a duration: milliseconds as a number, or a string such as "90s", "12h" or "3d". */
export function parseDuration(file: string, key: string, value: unknown): number {
  const expected = 'a duration: milliseconds as a number > 0, or a string like "500ms", "90s", "15m", "12h" or "3d"';
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  if (typeof value !== 'string') throw invalid(file, key, expected, value);
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(value.trim());
  if (!match || Number(match[1]) <= 0) throw invalid(file, key, expected, value);
  return Number(match[1]) * UNIT_MS[match[2]];
}

function parseNumber(file: string, key: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(file, key, 'a finite number', value);
  return value;
}

const LIVE_KEYS = ['halfLives', 'trendingShort', 'trendingLong', 'trendingPrior', 'minTrendingCount', 'minTrendingScore', 'flushInterval', 'maxEventAge'] as const;

function parseLive(file: string, raw: unknown): LiveOptions {
  if (raw === undefined) return {};
  if (!isObject(raw)) throw invalid(file, 'live', 'an object', raw);
  checkKeys(file, 'live.', raw, LIVE_KEYS);

  const live: LiveOptions = {};
  if (raw.halfLives !== undefined) {
    if (!isObject(raw.halfLives)) throw invalid(file, 'live.halfLives', 'an object of event type to duration', raw.halfLives);
    checkKeys(file, 'live.halfLives.', raw.halfLives, LIVE_EVENT_TYPES);
    const halfLives: Partial<Record<LiveEventType, number>> = {};
    for (const [type, value] of Object.entries(raw.halfLives)) halfLives[type as LiveEventType] = parseDuration(file, `live.halfLives.${type}`, value);
    live.halfLivesMs = halfLives;
  }
  if (raw.trendingShort !== undefined) live.trendingShortMs = parseDuration(file, 'live.trendingShort', raw.trendingShort);
  if (raw.trendingLong !== undefined) live.trendingLongMs = parseDuration(file, 'live.trendingLong', raw.trendingLong);
  if (raw.flushInterval !== undefined) live.flushIntervalMs = parseDuration(file, 'live.flushInterval', raw.flushInterval);
  if (raw.maxEventAge !== undefined) live.maxEventAgeMs = parseDuration(file, 'live.maxEventAge', raw.maxEventAge);
  if (raw.trendingPrior !== undefined) live.trendingPrior = parseNumber(file, 'live.trendingPrior', raw.trendingPrior);
  if (raw.minTrendingCount !== undefined) live.minTrendingCount = parseNumber(file, 'live.minTrendingCount', raw.minTrendingCount);
  if (raw.minTrendingScore !== undefined) live.minTrendingScore = parseNumber(file, 'live.minTrendingScore', raw.minTrendingScore);
  return live;
}

// Relative directories start at the config file's folder, so a config and its models can move together.
function parseModelSets(file: string, raw: unknown): Record<string, string> {
  if (raw === undefined) return {};
  if (!isObject(raw)) throw invalid(file, 'modelSets', 'an object of model set version to models directory, like { "2026-12-b": "../models-b" }', raw);
  const sets: Record<string, string> = {};
  for (const [version, dir] of Object.entries(raw)) {
    checkModelSetVersion(version, `Config ${file}: \`modelSets\``);
    if (typeof dir !== 'string' || dir.trim() === '') throw invalid(file, `modelSets.${version}`, 'the path of a models directory written by `aisle train`', dir);
    sets[version] = resolve(dirname(file), dir);
  }
  return sets;
}

/** Parses the config object; throws AISLE_INVALID_ARGUMENT naming the file, the key and the bad value. */
export function parseConfig(raw: unknown, file: string): CompanionConfig {
  if (!isObject(raw)) throw invalid(file, '(top level)', 'a JSON object', raw);
  checkKeys(file, '', raw, ['live', 'experiments', 'outcomeWindow', 'modelSets']);
  const live = parseLive(file, raw.live);
  if (raw.experiments !== undefined) live.experiments = parseExperiments(raw.experiments, `Config ${file}`);
  if (raw.outcomeWindow !== undefined) live.outcomeWindowMs = parseDuration(file, 'outcomeWindow', raw.outcomeWindow);
  return { live, modelSets: parseModelSets(file, raw.modelSets) };
}

/** Reads and parses a config file. */
export async function loadConfig(file: string): Promise<CompanionConfig> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new AisleError('AISLE_INVALID_ARGUMENT', `Reading the config ${file} failed: ${(error as Error).message}. Pass --config a JSON file.`, { cause: error, details: { file } });
  }
  return parseConfig(raw, file);
}
