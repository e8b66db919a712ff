/**
 * `aisle report`: per-variant results of the companion's experiments. It reads
 * GET /v1/experiments/outcomes and prints, for each variant, exposures, CTR and conversion with
 * 95 % Wilson intervals, and the relative lift and two-sided two-proportion z test of each variant
 * against the first one (the control).
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { AisleError } from '../core/errors.js';
import { relativeLift, twoProportionZTest, wilsonInterval, type RateInterval } from '../core/experiment-stats.js';
import type { OutcomesResponse, VariantOutcomes } from '../server/experiments/outcomes.js';

const HELP = `Usage: aisle report --endpoint URL [options]

Prints the results of the companion's experiments: per variant, exposures, CTR (exposures with a
click) and conversion (exposures with a purchase) with 95 % Wilson intervals, and the lift and
two-proportion z test of each variant against the first variant of its experiment.

Options:
  --endpoint URL   base URL of the companion, such as http://127.0.0.1:8787 (required)
  --alpha A        significance level of the z test (default 0.05)
  --json           print the report as JSON on stdout instead of a table
  --html FILE      also write the report as an HTML page to FILE
  -h, --help       print this help
`;

/** Comparison of one rate of a variant with the control's. */
export interface Comparison {
  interval: RateInterval;
  /** Lift over the control as a fraction, or null for the control itself or a zero control rate. */
  lift: number | null;
  /** Two-sided p-value against the control, or null for the control or without variance. */
  pValue: number | null;
  z: number | null;
  significant: boolean;
}

/** One row of the report. */
export interface ReportRow {
  experiment: string;
  variant: string;
  control: boolean;
  exposures: number;
  ctr: Comparison;
  conversion: Comparison;
  addToCart: RateInterval;
}

function compare(successes: number, trials: number, control: VariantOutcomes, controlSuccesses: number, isControl: boolean, alpha: number): Comparison {
  const interval = wilsonInterval(successes, trials);
  if (isControl) return { interval, lift: null, pValue: null, z: null, significant: false };
  const test = twoProportionZTest(successes, trials, controlSuccesses, control.exposures);
  const controlRate = control.exposures === 0 ? 0 : controlSuccesses / control.exposures;
  return { interval, lift: relativeLift(interval.rate, controlRate), pValue: test?.pValue ?? null, z: test?.z ?? null, significant: test !== null && test.pValue < alpha };
}

/** Builds the report rows from the outcomes; the first variant of each experiment is the control. */
export function buildReport(outcomes: OutcomesResponse, alpha = 0.05): ReportRow[] {
  return outcomes.experiments.flatMap((experiment) => {
    const control = experiment.variants[0];
    return experiment.variants.map((variant, index) => ({
      experiment: experiment.name,
      variant: variant.name,
      control: index === 0,
      exposures: variant.exposures,
      ctr: compare(variant.click, variant.exposures, control, control.click, index === 0, alpha),
      conversion: compare(variant.purchase, variant.exposures, control, control.purchase, index === 0, alpha),
      addToCart: wilsonInterval(variant.add_to_cart, variant.exposures),
    }));
  });
}

const percent = (value: number): string => `${(100 * value).toFixed(2)}%`;

function describeComparison(comparison: Comparison): string {
  const { interval } = comparison;
  const rate = `${percent(interval.rate)} [${percent(interval.low)}, ${percent(interval.high)}]`;
  if (comparison.pValue === null) return comparison.lift === null ? rate : `${rate} lift ${percent(comparison.lift)}`;
  const lift = comparison.lift === null ? 'lift n/a' : `lift ${comparison.lift >= 0 ? '+' : ''}${percent(comparison.lift)}`;
  return `${rate} ${lift} p=${comparison.pValue.toFixed(4)}${comparison.significant ? ' *' : ''}`;
}

/** Formats the rows as a text table; `*` marks a difference significant at alpha. */
export function formatReport(rows: readonly ReportRow[], alpha: number): string {
  if (rows.length === 0) return 'The companion has no experiments. Add them to the config file of `aisle serve --config`.\n';
  const header = ['experiment', 'variant', 'exposures', 'CTR [95% CI] vs control', 'conversion [95% CI] vs control'];
  const lines = rows.map((row) => [row.experiment, `${row.variant}${row.control ? ' (control)' : ''}`, String(row.exposures), describeComparison(row.ctr), describeComparison(row.conversion)]);
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column].length)));
  const render = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd();
  return [render(header), ...lines.map(render), '', `* significant at alpha = ${alpha} (two-sided two-proportion z test against the control)`, ''].join('\n');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[char] ?? char);
}

/** Formats the rows as a standalone HTML page. */
export function formatReportHtml(rows: readonly ReportRow[], alpha: number): string {
  const cells = (row: ReportRow) => [row.experiment, `${row.variant}${row.control ? ' (control)' : ''}`, String(row.exposures), describeComparison(row.ctr), describeComparison(row.conversion)];
  const body = rows.map((row) => `<tr${row.ctr.significant || row.conversion.significant ? ' class="significant"' : ''}>${cells(row).map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Aisle experiments</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}tr.significant td{background:#ecfdf3}</style>
</head><body><h1>Aisle experiments</h1>
<table><thead><tr><th>experiment</th><th>variant</th><th>exposures</th><th>CTR [95% CI] vs control</th><th>conversion [95% CI] vs control</th></tr></thead>
<tbody>
${body}
</tbody></table>
<p>* significant at alpha = ${alpha} (two-sided two-proportion z test against the control). Intervals are 95% Wilson score intervals.</p>
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
  return (await response.json()) as OutcomesResponse;
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
