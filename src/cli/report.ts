/**
 * `aisle report`: per-variant results of the companion's experiments. It reads
 * GET /v1/experiments/outcomes and prints, for each variant, exposures, CTR and conversion with
 * 95 % Wilson intervals, and the relative lift and two-sided test of each variant against the
 * first one (the control). The test takes the device bucket as the unit when the exposures carry
 * buckets, else it is the per-exposure two-proportion z test.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { AisleError } from '../core/errors.js';
import { bucketRate, bucketTest, bucketWilsonInterval, relativeLift, twoProportionZTest, wilsonInterval, type BucketRate, type RateInterval } from '../core/experiment-stats.js';
import type { OutcomesResponse, VariantReport } from '../server/experiments/outcomes.js';

const HELP = `Usage: aisle report --endpoint URL [options]

Prints the results of the companion's experiments: per variant, exposures, CTR (exposures with a
click) and conversion (exposures with a purchase) with 95 % Wilson intervals, and the lift and
two-sided test of each variant against the first variant of its experiment. Exposures carry the
bucket of their device (1 of 32), and the test takes the bucket as the unit (Welch t test, with
intervals widened by the design effect), because one shopper's exposures are not independent.
Counts without buckets, from older SDKs, get the per-exposure two-proportion z test.

Options:
  --endpoint URL   base URL of the companion, such as http://127.0.0.1:8787 (required)
  --alpha A        significance level of the test (default 0.05)
  --json           print the report as JSON on stdout instead of a table
  --html FILE      also write the report as an HTML page to FILE
  -h, --help       print this help
`;

/** Comparison of one rate of a variant with the control's. */
export interface Comparison {
  /**
   * The rate with its 95 % Wilson interval, widened by the design effect when the test takes
   * device buckets as the unit.
   */
  interval: RateInterval;
  /** Lift over the control as a fraction, or null for the control itself or a zero control rate. */
  lift: number | null;
  /** Two-sided p-value against the control, or null for the control or without variance. */
  pValue: number | null;
  /** Test statistic: Welch's t with device buckets as the unit, else the two-proportion z. */
  z: number | null;
  significant: boolean;
  /**
   * Variance between device buckets of the rate over that of independent exposures (at least 1),
   * or null without buckets. Above 1, one device's exposures are alike.
   */
  designEffect: number | null;
}

/**
 * Unit of a variant's test. 'device-bucket': exposures carry the device bucket, so the report
 * takes the bucket as the unit (bucketRate). 'exposure': the two-proportion z test, which treats
 * every exposure as independent, for counts from SDKs or companions before buckets.
 */
export type TestUnit = 'device-bucket' | 'exposure';

/** One row of the report. */
export interface ReportRow {
  experiment: string;
  variant: string;
  control: boolean;
  exposures: number;
  /** Unit of this row's intervals and of its test against the control. */
  unit: TestUnit;
  /** Device buckets with an exposure of this variant, or 0 without buckets. */
  buckets: number;
  /** Exposures with a click, with an add_to_cart and with a purchase. */
  counts: { click: number; add_to_cart: number; purchase: number };
  ctr: Comparison;
  conversion: Comparison;
  addToCart: RateInterval;
}

type Rate = 'click' | 'purchase';

// The bucket rate of `rate` of a variant, or null without buckets or with fewer than 2 of them.
function rateOf(variant: VariantReport, rate: Rate | 'add_to_cart'): BucketRate | null {
  if (!variant.buckets) return null;
  return bucketRate(variant[rate], variant.exposures, variant.buckets[rate], variant.buckets.exposures);
}

function compare(variant: VariantReport, control: VariantReport, rate: Rate, unit: TestUnit, isControl: boolean, alpha: number): Comparison {
  const own = unit === 'device-bucket' ? rateOf(variant, rate) : null;
  const interval = own ? bucketWilsonInterval(own) : wilsonInterval(variant[rate], variant.exposures);
  const designEffect = own?.designEffect ?? null;
  if (isControl) return { interval, lift: null, pValue: null, z: null, significant: false, designEffect };

  const controlRate = control.exposures === 0 ? 0 : control[rate] / control.exposures;
  const lift = relativeLift(interval.rate, controlRate);
  const theirs = unit === 'device-bucket' ? rateOf(control, rate) : null;
  if (own && theirs) {
    const test = bucketTest(own, theirs);
    return { interval, lift, pValue: test?.pValue ?? null, z: test?.t ?? null, significant: test !== null && test.pValue < alpha, designEffect };
  }
  const test = twoProportionZTest(variant[rate], variant.exposures, control[rate], control.exposures);
  return { interval, lift, pValue: test?.pValue ?? null, z: test?.z ?? null, significant: test !== null && test.pValue < alpha, designEffect };
}

// Device buckets with an exposure.
const bucketCount = (variant: VariantReport): number => variant.buckets?.exposures.filter((n) => n > 0).length ?? 0;

/**
 * Builds the report rows from the outcomes; the first variant of each experiment is the control.
 * An experiment whose variants all have at least 2 device buckets is tested with the bucket as
 * the unit, any other with the per-exposure z test.
 */
export function buildReport(outcomes: OutcomesResponse, alpha = 0.05): ReportRow[] {
  return outcomes.experiments.flatMap((experiment) => {
    const control = experiment.variants[0];
    const unit: TestUnit = experiment.variants.every((variant) => bucketCount(variant) >= 2) ? 'device-bucket' : 'exposure';
    return experiment.variants.map((variant, index) => {
      const addToCart = unit === 'device-bucket' ? rateOf(variant, 'add_to_cart') : null;
      return {
        experiment: experiment.name,
        variant: variant.name,
        control: index === 0,
        exposures: variant.exposures,
        unit,
        buckets: bucketCount(variant),
        counts: { click: variant.click, add_to_cart: variant.add_to_cart, purchase: variant.purchase },
        ctr: compare(variant, control, 'click', unit, index === 0, alpha),
        conversion: compare(variant, control, 'purchase', unit, index === 0, alpha),
        addToCart: addToCart ? bucketWilsonInterval(addToCart) : wilsonInterval(variant.add_to_cart, variant.exposures),
      };
    });
  });
}

const percent = (value: number): string => `${(100 * value).toFixed(2)}%`;

function describeComparison(comparison: Comparison): string {
  const { interval } = comparison;
  const rate = `${percent(interval.rate)} [${percent(interval.low)}, ${percent(interval.high)}]`;
  if (comparison.pValue === null) return comparison.lift === null ? rate : `${rate} lift ${percent(comparison.lift)}`;
  const lift = comparison.lift === null ? 'lift n/a' : `lift ${comparison.lift >= 0 ? '+' : ''}${percent(comparison.lift)}`;
  const pValue = comparison.pValue < 0.0001 ? 'p<0.0001' : `p=${comparison.pValue.toFixed(4)}`;
  return `${rate} ${lift} ${pValue}${comparison.significant ? ' *' : ''}`;
}

const NO_EXPERIMENTS = 'The companion has no experiments. Add them to the config file of `aisle serve --config`.';

const HEADER = ['experiment', 'variant', 'exposures', 'devices', 'CTR [95% CI] vs control', 'conversion [95% CI] vs control'];

// Returns the devices cell. Under the z test a variant's buckets are marked as not used, because
// another variant of its experiment has fewer than 2 buckets.
function devicesOf(row: ReportRow): string {
  if (row.unit === 'device-bucket') return `${row.buckets} buckets, CTR DE ${row.ctr.designEffect?.toFixed(2) ?? 'n/a'}`;
  if (row.exposures === 0) return 'no exposures';
  if (row.buckets === 0) return 'no buckets';
  return `${row.buckets} ${row.buckets === 1 ? 'bucket' : 'buckets'}, not used`;
}

function cellsOf(row: ReportRow): string[] {
  const devices = devicesOf(row);
  return [row.experiment, `${row.variant}${row.control ? ' (control)' : ''}`, String(row.exposures), devices, describeComparison(row.ctr), describeComparison(row.conversion)];
}

/** Returns the lines that explain the tests of `rows`, one per test unit they use. */
export function describeTests(rows: readonly ReportRow[], alpha: number): string[] {
  const lines = [`* significant at alpha = ${alpha}, two-sided, against the control.`];
  if (rows.some((row) => row.unit === 'device-bucket')) {
    lines.push('Device buckets: Welch t test with the bucket of devices as the unit. Intervals are 95% Wilson intervals widened by the design effect (DE), the variance between buckets over that of independent exposures.');
  }
  if (rows.some((row) => row.unit === 'exposure')) {
    lines.push('No buckets: two-proportion z test and 95% Wilson intervals that treat every exposure as independent, so with many exposures per device the p-values are too small. An experiment is tested this way when one of its variants has exposures from fewer than 2 device buckets: counts from SDKs and companions before device buckets, or a variant with no or too few exposures yet.');
  }
  return lines;
}

/** Formats the rows as a text table; `*` marks a difference significant at alpha. */
export function formatReport(rows: readonly ReportRow[], alpha: number): string {
  if (rows.length === 0) return `${NO_EXPERIMENTS}\n`;
  const lines = rows.map(cellsOf);
  const widths = HEADER.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column].length)));
  const render = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd();
  return [render(HEADER), ...lines.map(render), '', ...describeTests(rows, alpha), ''].join('\n');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[char] ?? char);
}

/** Formats the rows as a standalone HTML page. */
export function formatReportHtml(rows: readonly ReportRow[], alpha: number): string {
  const body = rows.map((row) => `<tr${row.ctr.significant || row.conversion.significant ? ' class="significant"' : ''}>${cellsOf(row).map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('\n');
  const notes = (rows.length === 0 ? [NO_EXPERIMENTS] : describeTests(rows, alpha)).map((line) => `<p>${escapeHtml(line)}</p>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Aisle experiments</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}tr.significant td{background:#ecfdf3}</style>
</head><body><h1>Aisle experiments</h1>
<table><thead><tr>${HEADER.map((title) => `<th>${escapeHtml(title)}</th>`).join('')}</tr></thead>
<tbody>
${body}
</tbody></table>
${notes}
</body></html>
`;
}

async function fetchOutcomes(endpoint: string): Promise<OutcomesResponse> {
  const url = `${endpoint.replace(/\/+$/, '')}/v1/experiments/outcomes`;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new AisleError('AISLE_COMPANION_UNREACHABLE', `GET ${url} failed: ${(error as Error).message}. Check --endpoint and that \`aisle serve\` runs.`, { cause: error });
  }
  if (!response.ok) throw new AisleError('AISLE_COMPANION_ERROR', `GET ${url} returned HTTP ${response.status}. Check that --endpoint points at an Aisle companion with experiments.`);

  // Another server at --endpoint also returns 200 (a store front end returns its page for every
  // path), so the body is checked before the report reads it.
  const notOutcomes = (problem: string) => new AisleError('AISLE_COMPANION_ERROR', `GET ${url} returned no experiment outcomes: ${problem}. Check that --endpoint is the base URL of \`aisle serve\`.`);
  let body: unknown;
  try {
    body = JSON.parse(await response.text());
  } catch {
    throw notOutcomes(`the body is ${response.headers.get('content-type')?.split(';')[0] ?? 'of no content type'}, not JSON`);
  }
  if (!isOutcomes(body)) throw notOutcomes('`experiments` is missing or not a list of experiments with variants and counts');
  return body;
}

const isCount = (value: unknown): boolean => typeof value === 'number' && Number.isFinite(value) && value >= 0;

function isVariant(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const variant = value as Record<string, unknown>;
  if (typeof variant.name !== 'string' || !isCount(variant.exposures) || !isCount(variant.click) || !isCount(variant.add_to_cart) || !isCount(variant.purchase)) return false;
  if (variant.buckets === undefined) return true;
  const buckets = variant.buckets as Record<string, unknown> | null;
  if (typeof buckets !== 'object' || buckets === null || !Array.isArray(buckets.exposures)) return false;
  const length = buckets.exposures.length;
  return ['exposures', 'click', 'add_to_cart', 'purchase'].every((key) => Array.isArray(buckets[key]) && (buckets[key] as unknown[]).length === length && (buckets[key] as unknown[]).every(isCount));
}

function isOutcomes(value: unknown): value is OutcomesResponse {
  if (typeof value !== 'object' || value === null) return false;
  const { experiments } = value as { experiments?: unknown };
  return Array.isArray(experiments) && experiments.every((experiment: unknown) => {
    if (typeof experiment !== 'object' || experiment === null) return false;
    const { name, variants } = experiment as { name?: unknown; variants?: unknown };
    return typeof name === 'string' && Array.isArray(variants) && variants.length > 0 && variants.every(isVariant);
  });
}

/** Runs `aisle report` with the arguments after the command name; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    values = parseArgs({ args: argv, options: { endpoint: { type: 'string' }, alpha: { type: 'string' }, json: { type: 'boolean' }, html: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, strict: true }).values;
  } catch (error) {
    process.stderr.write(`aisle report: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (values.endpoint === undefined) {
    process.stderr.write(`aisle report: --endpoint URL is required.\n\n${HELP}`);
    return 2;
  }
  const alpha = values.alpha === undefined ? 0.05 : Number(values.alpha);
  if (!(alpha > 0 && alpha < 1)) throw new AisleError('AISLE_INVALID_ARGUMENT', `--alpha must be a number between 0 and 1, got ${JSON.stringify(values.alpha)}.`);

  const rows = buildReport(await fetchOutcomes(values.endpoint), alpha);
  if (values.html !== undefined) await writeFile(values.html, formatReportHtml(rows, alpha));
  process.stdout.write(values.json ? `${JSON.stringify({ alpha, rows }, null, 2)}\n` : formatReport(rows, alpha));
  return 0;
}
