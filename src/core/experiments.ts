/**
 * Experiment definitions and on-device assignment. The companion serves the definitions; the SDK
 * assigns a variant on the device from a random anonymous device id and the experiment's salt.
 * The same id and salt always give the same variant, and a new salt reshuffles everyone.
 */
import { AisleError } from './errors.js';

/** Settings a variant changes. Every field is optional; an absent one keeps the default. */
export interface VariantChanges {
  /** false serves the retrieval order without the ranker (a popularity or ANN baseline). */
  ranker?: boolean;
  /** liveWeight of recommend() for this variant (0 to 10). */
  liveWeight?: number;
  /**
   * Fusion of search(): 'learned', 'rrf', or 'weighted' with both BM25 and vector weights in
   * [0, 1] or neither (the companion's default weights).
   */
  fusion?: { method: 'rrf' | 'weighted' | 'learned'; bm25?: number; vector?: number };
  /** Model set version the variant is meant for, reported to the page by experiments(). */
  modelVersion?: string;
}

/** One arm of an experiment. */
export interface Variant {
  name: string;
  /** Share of devices, relative to the other variants' weights; > 0. */
  weight: number;
  changes: VariantChanges;
}

/** An experiment as the companion serves it at GET /v1/experiments. */
export interface Experiment {
  /** Unique name; also the key of its outcomes. */
  name: string;
  /** Mixed into the hash, so experiments assign independently of each other. */
  salt: string;
  variants: Variant[];
}

/** Buckets of the assignment hash; weights are resolved to this precision. */
export const ASSIGNMENT_BUCKETS = 10_000;
/** Maximum number of variants of one experiment. */
export const MAX_VARIANTS = 16;

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const UTF8 = new TextEncoder();

/**
 * Returns a 32-bit hash of a string: FNV-1a over its UTF-8 bytes, then MurmurHash3's 32-bit
 * finalizer, because FNV-1a alone spreads short keys that differ in their last byte poorly.
 */
export function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of UTF8.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return hash >>> 0;
}

/**
 * Number of device buckets. Each exposure carries its device's bucket, so the companion can take
 * the bucket as the unit of its tests. Each bucket contains about 1/32 of all devices, so the
 * bucket gives the companion at most 5 bits of information about a device.
 */
export const DEVICE_BUCKETS = 32;

/**
 * Returns the bucket of a device, 0 to DEVICE_BUCKETS − 1. It is the same in every experiment,
 * so exposures of several experiments in one batch add no bits, and its hash input differs from
 * the variant's, so the bucket is spread evenly over the variants.
 */
export function deviceBucket(deviceId: string): number {
  return hash32(`device-bucket\u0000${deviceId}`) % DEVICE_BUCKETS;
}

/** Returns the variant of a device: bucket hash(salt:deviceId) mod 10000, split by cumulative weight. */
export function assignVariant(experiment: Experiment, deviceId: string): Variant {
  const bucket = hash32(`${experiment.salt}:${deviceId}`) % ASSIGNMENT_BUCKETS;
  const total = experiment.variants.reduce((sum, variant) => sum + variant.weight, 0);
  let upper = 0;
  for (const variant of experiment.variants) {
    upper += (variant.weight / total) * ASSIGNMENT_BUCKETS;
    if (bucket < upper) return variant;
  }
  // Rounding can leave the last bucket just above the sum of the shares.
  return experiment.variants[experiment.variants.length - 1];
}

function invalid(where: string, message: string): AisleError {
  return new AisleError('AISLE_INVALID_ARGUMENT', `${where}: ${message}`, { details: { where } });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkUnit(where: string, name: string, value: unknown, max = 1): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) throw invalid(where, `\`${name}\` must be a number from 0 to ${max}, got ${JSON.stringify(value)}.`);
  return value;
}

function parseChanges(where: string, raw: unknown): VariantChanges {
  if (raw === undefined) return {};
  if (!isObject(raw)) throw invalid(where, `\`changes\` must be an object, got ${JSON.stringify(raw)}.`);
  const changes: VariantChanges = {};
  for (const key of Object.keys(raw)) {
    if (!['ranker', 'liveWeight', 'fusion', 'modelVersion'].includes(key)) {
      throw invalid(where, `unknown change \`${key}\`; allowed are ranker, liveWeight, fusion, modelVersion.`);
    }
  }
  if (raw.ranker !== undefined) {
    if (typeof raw.ranker !== 'boolean') throw invalid(where, `\`ranker\` must be true or false, got ${JSON.stringify(raw.ranker)}.`);
    changes.ranker = raw.ranker;
  }
  if (raw.liveWeight !== undefined) changes.liveWeight = checkUnit(where, 'liveWeight', raw.liveWeight, 10);
  if (raw.modelVersion !== undefined) {
    if (typeof raw.modelVersion !== 'string' || raw.modelVersion.length === 0) throw invalid(where, `\`modelVersion\` must be a non-empty string, got ${JSON.stringify(raw.modelVersion)}.`);
    changes.modelVersion = raw.modelVersion;
  }
  if (raw.fusion !== undefined) {
    const fusion = raw.fusion;
    if (!isObject(fusion) || (fusion.method !== 'rrf' && fusion.method !== 'weighted' && fusion.method !== 'learned')) throw invalid(where, `\`fusion.method\` must be 'learned', 'rrf' or 'weighted', got ${JSON.stringify(isObject(fusion) ? fusion.method : fusion)}.`);
    changes.fusion = { method: fusion.method };
    // The companion takes both weights or neither, so the SDK could only drop a half-given pair.
    if ((fusion.bm25 === undefined) !== (fusion.vector === undefined)) throw invalid(where, `\`fusion\` must give both \`bm25\` and \`vector\` weights or neither, got ${JSON.stringify(fusion)}.`);
    if (fusion.method !== 'weighted' && fusion.bm25 !== undefined) throw invalid(where, `\`fusion\` weights apply only to method 'weighted'; remove them or set method 'weighted', got ${JSON.stringify(fusion)}.`);
    if (fusion.bm25 !== undefined) changes.fusion.bm25 = checkUnit(where, 'fusion.bm25', fusion.bm25);
    if (fusion.vector !== undefined) changes.fusion.vector = checkUnit(where, 'fusion.vector', fusion.vector);
  }
  return changes;
}

function parseVariant(where: string, raw: unknown, names: Set<string>): Variant {
  if (!isObject(raw)) throw invalid(where, `a variant must be an object like { "name": "control", "weight": 1 }, got ${JSON.stringify(raw)}.`);
  const name = raw.name;
  if (typeof name !== 'string' || !NAME.test(name)) throw invalid(where, `variant \`name\` must be 1 to 64 letters, digits or _.-, got ${JSON.stringify(name)}.`);
  if (names.has(name)) throw invalid(where, `variant name ${JSON.stringify(name)} appears twice.`);
  names.add(name);
  const weight = raw.weight ?? 1;
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0) throw invalid(`${where} variant ${name}`, `\`weight\` must be a number > 0, got ${JSON.stringify(weight)}.`);
  return { name, weight, changes: parseChanges(`${where} variant ${name}`, raw.changes) };
}

/**
 * Checks experiment definitions (from the companion's config, or from GET /v1/experiments in the
 * SDK); throws AISLE_INVALID_ARGUMENT naming the experiment, the field and the bad value. `source`
 * names where the definitions came from, for the message.
 */
export function parseExperiments(raw: unknown, source: string): Experiment[] {
  if (!Array.isArray(raw)) throw invalid(source, `\`experiments\` must be an array, got ${JSON.stringify(raw)}.`);
  const seen = new Set<string>();
  return raw.map((entry, position) => {
    const where = `${source} experiment ${position}`;
    if (!isObject(entry)) throw invalid(where, `an experiment must be an object, got ${JSON.stringify(entry)}.`);
    const name = entry.name;
    if (typeof name !== 'string' || !NAME.test(name)) throw invalid(where, `\`name\` must be 1 to 64 letters, digits or _.-, got ${JSON.stringify(name)}.`);
    if (seen.has(name)) throw invalid(where, `experiment name ${JSON.stringify(name)} appears twice.`);
    seen.add(name);
    const salt = entry.salt ?? name;
    if (typeof salt !== 'string' || salt.length === 0 || salt.length > 128) throw invalid(`${source} experiment ${name}`, `\`salt\` must be a string of 1 to 128 characters, got ${JSON.stringify(salt)}.`);
    if (!Array.isArray(entry.variants) || entry.variants.length < 2 || entry.variants.length > MAX_VARIANTS) {
      throw invalid(`${source} experiment ${name}`, `\`variants\` must be an array of 2 to ${MAX_VARIANTS} variants, got ${JSON.stringify(entry.variants)}.`);
    }
    const names = new Set<string>();
    const variants = entry.variants.map((variant) => parseVariant(`${source} experiment ${name}`, variant, names));
    return { name, salt, variants };
  });
}
