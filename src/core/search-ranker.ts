/**
 * The search ranker: a small network over the features of search-features.ts that orders the
 * candidates of a search (the BM25 hits and the vector hits together). It has a linear term and
 * one hidden ReLU layer,
 *
 *   score(x) = linear · z + output · relu(hidden · z + hiddenBias) + outputBias,  z = (x − mean) / scale,
 *
 * so it can learn both "more words matched is better" and interactions such as "a high cosine
 * matters when few words matched". `aisle train` fits it (training/search/train-search-ranker.ts)
 * and writes it as JSON (search_ranker.json); the companion reads it at start-up.
 */
import { AisleError } from './errors.js';
import { SEARCH_FEATURE_COUNT, SEARCH_FEATURES } from './search-features.js';

/** Marks a search ranker file. */
export const SEARCH_RANKER_FORMAT = 'aisle-search-ranker';
export const SEARCH_RANKER_VERSION = 1;

/** The JSON form of a search ranker. */
export interface SearchRankerJson {
  format: typeof SEARCH_RANKER_FORMAT;
  version: typeof SEARCH_RANKER_VERSION;
  /** Feature names in input order; must equal SEARCH_FEATURES. */
  features: string[];
  mean: number[];
  scale: number[];
  linear: number[];
  /** Row-major [units, features]. */
  hidden: number[];
  hiddenBias: number[];
  output: number[];
  outputBias: number;
  /**
   * Weight of the shopper's standardized ranker score when the worker reranks this ranker's
   * results (reranking.ts rankSearchHits on the 'logit' scale), chosen by `aisle train` on
   * queries for users' validation items. Absent in rankers trained before it was chosen.
   */
  personalWeight?: number;
}

/** Largest personal weight a search ranker file may carry: beyond it behaviour would outweigh any text match. */
export const MAX_PERSONAL_WEIGHT = 10;

/** A parsed search ranker, ready to score feature rows. */
export class SearchRanker {
  readonly units: number;
  readonly personalWeight: number | undefined;
  private readonly mean: Float64Array;
  private readonly scale: Float64Array;
  private readonly linear: Float64Array;
  private readonly hidden: Float64Array;
  private readonly hiddenBias: Float64Array;
  private readonly output: Float64Array;
  private readonly outputBias: number;

  constructor(json: SearchRankerJson) {
    this.units = json.hiddenBias.length;
    this.personalWeight = json.personalWeight;
    this.mean = Float64Array.from(json.mean);
    this.scale = Float64Array.from(json.scale);
    this.linear = Float64Array.from(json.linear);
    this.hidden = Float64Array.from(json.hidden);
    this.hiddenBias = Float64Array.from(json.hiddenBias);
    this.output = Float64Array.from(json.output);
    this.outputBias = json.outputBias;
  }

  /** Scores `rows` feature rows of `features` (row-major, SEARCH_FEATURE_COUNT per row). */
  score(features: Float32Array, rows: number): Float64Array {
    const f = SEARCH_FEATURE_COUNT;
    const z = new Float64Array(f);
    const scores = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < f; i++) z[i] = (features[r * f + i] - this.mean[i]) / this.scale[i];
      let score = this.outputBias;
      for (let i = 0; i < f; i++) score += this.linear[i] * z[i];
      for (let u = 0; u < this.units; u++) {
        let activation = this.hiddenBias[u];
        for (let i = 0; i < f; i++) activation += this.hidden[u * f + i] * z[i];
        if (activation > 0) score += this.output[u] * activation;
      }
      scores[r] = score;
    }
    return scores;
  }
}

/**
 * Checks a search ranker's JSON and returns the ranker. Throws AISLE_MODEL_LOAD_FAILED naming
 * `where` and the bad field when the file was written for other features or is damaged.
 */
export function parseSearchRanker(raw: unknown, where: string): SearchRanker {
  const fail = (problem: string): never => {
    throw new AisleError('AISLE_MODEL_LOAD_FAILED', `${where}: ${problem}; retrain it with \`aisle train --only search-ranker\`.`);
  };
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('the search ranker is not a JSON object');
  const json = raw as Record<string, unknown>;
  if (json.format !== SEARCH_RANKER_FORMAT) fail(`\`format\` is ${JSON.stringify(json.format)}, expected "${SEARCH_RANKER_FORMAT}"`);
  if (json.version !== SEARCH_RANKER_VERSION) fail(`\`version\` is ${JSON.stringify(json.version)}, this Aisle reads version ${SEARCH_RANKER_VERSION}`);
  const features = json.features;
  if (!Array.isArray(features) || features.length !== SEARCH_FEATURE_COUNT || features.some((name, i) => name !== SEARCH_FEATURES[i])) {
    fail(`\`features\` is ${JSON.stringify(features)}, expected ${JSON.stringify(SEARCH_FEATURES)}`);
  }
  const numbers = (field: string, length: number | undefined): number[] => {
    const value = json[field];
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'number' || !Number.isFinite(v))) return fail(`\`${field}\` must be an array of finite numbers`);
    if (length !== undefined && value.length !== length) fail(`\`${field}\` has ${value.length} numbers, expected ${length}`);
    return value as number[];
  };
  const f = SEARCH_FEATURE_COUNT;
  const mean = numbers('mean', f);
  const scale = numbers('scale', f);
  if (scale.some((v) => v <= 0)) fail('`scale` must be positive');
  const hiddenBias = numbers('hiddenBias', undefined);
  const units = hiddenBias.length;
  const checked: SearchRankerJson = {
    format: SEARCH_RANKER_FORMAT,
    version: SEARCH_RANKER_VERSION,
    features: [...SEARCH_FEATURES],
    mean,
    scale,
    linear: numbers('linear', f),
    hidden: numbers('hidden', units * f),
    hiddenBias,
    output: numbers('output', units),
    outputBias: typeof json.outputBias === 'number' && Number.isFinite(json.outputBias) ? json.outputBias : fail('`outputBias` must be a finite number'),
  };
  const weight = json.personalWeight;
  if (weight !== undefined) {
    if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > MAX_PERSONAL_WEIGHT) fail(`\`personalWeight\` is ${JSON.stringify(weight)}, expected a number from 0 to ${MAX_PERSONAL_WEIGHT}`);
    checked.personalWeight = weight as number;
  }
  return new SearchRanker(checked);
}
