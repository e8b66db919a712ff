/**
 * A/B experiments of the demo store in headless Chromium, driven by the simulated shoppers
 * (scripts/bench/experiment-browser-run.ts). It runs the A/A experiment and personalized against
 * popularity, one after the other, each on its own companion. For each it prints the report of
 * `aisle report` (exposures, CTR with Wilson intervals, lift with its interval, the test) and
 * the test with the shopper as the unit.
 *
 *   npm run bench:experiment:browser -- --shoppers 200 --concurrency 3 --json
 *
 * Progress and the report go to stderr; with --json one JSON object goes to stdout.
 */
import { parseArgs } from 'node:util';
import { demoCatalog } from './adaptation-shoppers.js';
import { runBrowserExperiment, type BrowserExperimentResult } from './experiment-browser-run.js';
import { describeRows } from './experiment-browser-rows.js';
import { logResult, selectExperiments } from './experiment-companion.js';

const HELP = `Usage: npm run bench:experiment:browser -- [options]

Drives the demo store in headless Chromium (/usr/bin/chromium) with simulated shoppers and reports
each experiment as \`aisle report\` does. Needs the demo models in demo/public/models.

Options:
  --shoppers N      shoppers per experiment, each a new browser context (default 200)
  --views N         rows each shopper sees after its past history (default 20)
  --past N          past events per shopper, each opened as a product page (default 5)
  --seed N          seed of the first shopper; shopper s has seed + s (default 5000)
  --gamma G         scale of the click probability (default 0.03)
  --fatigue F       factor of the click probability per earlier skip of an item (default 0.5)
  --revisit R       factor of the click probability of an item the shopper already opened in the
                    session, a past product or a click (default 0: it does not click it again)
  --alpha A         significance level of the tests (default 0.05)
  --concurrency C   browser contexts at the same time (default 3)
  --experiment KEY  aa or popular; repeat for both (default both)
  --json            print one JSON object with the results on stdout
  -h, --help        print this help
`;

const { values } = parseArgs({
  options: {
    shoppers: { type: 'string', default: '200' },
    views: { type: 'string', default: '20' },
    past: { type: 'string', default: '5' },
    seed: { type: 'string', default: '5000' },
    gamma: { type: 'string', default: '0.03' },
    fatigue: { type: 'string', default: '0.5' },
    revisit: { type: 'string', default: '0' },
    alpha: { type: 'string', default: '0.05' },
    concurrency: { type: 'string', default: '3' },
    experiment: { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

const log = (line: string) => process.stderr.write(`${line}\n`);

/** Parses a whole-number option in [min, max]; throws with the option, the value and the range. */
function integerOption(name: string, value: string, min: number, max: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new Error(`Invalid --${name} ${JSON.stringify(value)}: use an integer from ${min} to ${max}.`);
  return parsed;
}

/** Parses a number option in [min, max]; throws with the option, the value and the range. */
function numberOption(name: string, value: string, min: number, max: number): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) throw new Error(`Invalid --${name} ${JSON.stringify(value)}: use a number from ${min} to ${max}.`);
  return parsed;
}

async function main(): Promise<void> {
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const options = {
    shoppers: integerOption('shoppers', values.shoppers, 1, 100_000),
    views: integerOption('views', values.views, 1, 1000),
    past: integerOption('past', values.past, 0, 50),
    seed: integerOption('seed', values.seed, 0, 2 ** 31 - 1),
    model: { gamma: numberOption('gamma', values.gamma, 0, 10), fatigue: numberOption('fatigue', values.fatigue, 0, 1), revisit: numberOption('revisit', values.revisit, 0, 1) },
    alpha: numberOption('alpha', values.alpha, 0, 1),
    concurrency: integerOption('concurrency', values.concurrency, 1, 64),
  };
  const experiments = selectExperiments(values.experiment);
  const catalog = demoCatalog();
  const results: BrowserExperimentResult[] = [];
  for (const experiment of experiments) {
    const result = await runBrowserExperiment(experiment, catalog, { ...options, log });
    results.push(result);
    const check = result.mismatches.length === 0 ? "the companion counted exactly the shoppers' exposures and clicks" : `COUNTS DIFFER: ${result.mismatches.join(' ')} ${result.companionMetrics.join('; ')}`;
    log(`${experiment.name}: done in ${result.seconds.toFixed(0)} s; ${check}.`);
    for (const line of describeRows(result.sessions)) log(`${experiment.name} rows of ${line}.`);
  }
  for (const result of results) logResult(result, options.alpha, log);
  if (values.json) process.stdout.write(`${JSON.stringify({ ...options, results })}\n`);
  // The report is out, but a run whose counts differ failed its check.
  if (results.some((result) => result.mismatches.length > 0)) process.exitCode = 1;
}

main().catch((error: unknown) => {
  log(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
