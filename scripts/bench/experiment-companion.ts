/**
 * The parts of the simulated-shopper experiment benches that do not depend on where the SDK runs.
 * They are the two experiments, a companion on 127.0.0.1 with one of them in its config, the exact
 * check of the companion's outcome counts against what the shoppers did, and the report of
 * `aisle report` with the per-shopper test. scripts/bench/experiment.ts runs the worker's Engine in Node, and
 * scripts/bench/experiment-browser.ts drives the demo store in headless Chromium.
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildReport, formatReport, type ReportRow } from '../../src/cli/report.js';
import { createServer } from '../../src/server/app.js';
import { parseConfig } from '../../src/server/config.js';
import type { OutcomesResponse } from '../../src/server/experiments/outcomes.js';
import { describeVerdict, shopperLevelTest, type ShopperLevelTest } from './experiment-summary.js';

/** One experiment of the benches: its config entry and what each variant shows. */
export interface BenchExperiment {
  key: string;
  name: string;
  /** Variants in config order; the first one is the report's control. */
  variants: Array<{ name: string; shows: 'recommend' | 'trending' }>;
}

/**
 * `aa`: variants A and B both show recommend() results, so no difference is expected.
 * `popular`: variant `popular` (the control) shows GET /v1/trending, the list a store shows
 * without Aisle, and variant `personalized` shows recommend() results.
 */
export const EXPERIMENTS: BenchExperiment[] = [
  { key: 'aa', name: 'aa-personalized', variants: [{ name: 'A', shows: 'recommend' }, { name: 'B', shows: 'recommend' }] },
  { key: 'popular', name: 'personalized-vs-popular', variants: [{ name: 'popular', shows: 'trending' }, { name: 'personalized', shows: 'recommend' }] },
];

/** Returns the experiments named by `keys` (all of them when undefined); throws on an unknown key. */
export function selectExperiments(keys: readonly string[] | undefined): BenchExperiment[] {
  return (keys ?? EXPERIMENTS.map((experiment) => experiment.key)).map((key) => {
    const experiment = EXPERIMENTS.find((entry) => entry.key === key);
    if (experiment === undefined) throw new Error(`Invalid --experiment ${JSON.stringify(key)}: use ${EXPERIMENTS.map((entry) => entry.key).join(' or ')}.`);
    return experiment;
  });
}

/** A companion serving `modelsDir` with one experiment in its config. */
export interface ExperimentCompanion {
  app: FastifyInstance;
  endpoint: string;
}

/**
 * Starts the companion on 127.0.0.1 at a free port with `experiment` in its config: weight 1 per
 * variant and salt `salt`, parsed by the same parseConfig as `aisle serve --config`.
 */
export async function startExperimentCompanion(experiment: BenchExperiment, salt: string, modelsDir: string, options: { adminToken?: string } = {}): Promise<ExperimentCompanion> {
  const config = parseConfig({ experiments: [{ name: experiment.name, salt, variants: experiment.variants.map((variant) => ({ name: variant.name, weight: 1 })) }] }, 'experiment bench');
  const app = await createServer({ modelsDir, live: config.live, ...options });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { app, endpoint: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}` };
}

/** Exposures and clicks the shoppers made per variant, and the CTR of each shopper. */
export type SentCounts = Map<string, { exposures: number; clicks: number; shopperCtr: number[] }>;

/** Returns zero counts for every variant of `experiment`. */
export function emptyCounts(experiment: BenchExperiment): SentCounts {
  return new Map(experiment.variants.map((variant) => [variant.name, { exposures: 0, clicks: 0, shopperCtr: [] as number[] }]));
}

/** Adds one shopper's session to the counts of its variant. */
export function addSession(sent: SentCounts, session: { variant: string; exposures: number; clicks: number }): void {
  const counts = sent.get(session.variant);
  if (counts === undefined) throw new Error(`Variant ${session.variant} is not one of ${[...sent.keys()].join(', ')}.`);
  counts.exposures += session.exposures;
  counts.clicks += session.clicks;
  if (session.exposures > 0) counts.shopperCtr.push(session.clicks / session.exposures);
}

/** Returns the CTR of each variant so far, as in "A 0.2710, B -" for a progress line. */
export function describeCounts(sent: SentCounts): string {
  return [...sent].map(([name, counts]) => `${name} ${counts.exposures === 0 ? '-' : (counts.clicks / counts.exposures).toFixed(4)}`).join(', ');
}

/** Result of one experiment: the companion's outcomes, the report rows and the verdict. */
export interface ExperimentResult {
  experiment: string;
  outcomes: OutcomesResponse;
  rows: ReportRow[];
  verdict: string;
  /** Second variant against the first, with the shopper as the unit. */
  shopperLevel: (ShopperLevelTest & { shoppers: [number, number] }) | null;
  /** Variants whose counts differ from what the shoppers did, one sentence each; empty when all match. */
  mismatches: string[];
}

/**
 * Reads GET /v1/experiments/outcomes, compares the companion's exposures and clicks with `sent`,
 * and returns the report of `aisle report` with the verdict and the per-shopper test. With
 * `strict`, a difference throws. Otherwise it is listed in `mismatches`.
 */
export async function summarizeExperiment(endpoint: string, experiment: BenchExperiment, sent: SentCounts, alpha: number, strict = true): Promise<ExperimentResult> {
  const response = await fetch(`${endpoint}/v1/experiments/outcomes`);
  if (!response.ok) throw new Error(`GET /v1/experiments/outcomes returned HTTP ${response.status}`);
  const outcomes = (await response.json()) as OutcomesResponse;
  const counted = outcomes.experiments[0].variants;
  const mismatches: string[] = [];
  for (const variant of counted) {
    const mine = sent.get(variant.name)!;
    if (variant.exposures !== mine.exposures || variant.click !== mine.clicks) {
      mismatches.push(`The companion counted ${variant.exposures} exposures and ${variant.click} clicks for ${variant.name}, but the shoppers made ${mine.exposures} and ${mine.clicks}.`);
    }
  }
  if (strict && mismatches.length > 0) throw new Error(mismatches.join(' '));

  const rows = buildReport(outcomes, alpha);
  const verdict = describeVerdict(rows[0], counted[0].click, rows[1], counted[1].click, alpha);
  const [control, treatment] = experiment.variants.map((variant) => sent.get(variant.name)!.shopperCtr);
  const test = shopperLevelTest(treatment, control);
  return { experiment: experiment.name, outcomes, rows, verdict, shopperLevel: test === null ? null : { ...test, shoppers: [control.length, treatment.length] }, mismatches };
}

/** Writes the report table, the verdict and the per-shopper test of `result` with `log`. */
export function logResult(result: ExperimentResult, alpha: number, log: (line: string) => void): void {
  log(`\n${formatReport(result.rows, alpha)}${result.verdict}`);
  const test = result.shopperLevel;
  if (test !== null) log(`Per-shopper CTR (${test.shoppers[0]} vs ${test.shoppers[1]} shoppers): difference ${test.difference.toFixed(4)} ± ${test.halfWidth.toFixed(4)}, p = ${test.pValue.toFixed(4)}.`);
}
