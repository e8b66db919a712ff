/**
 * `npm run bench:browser -- [--quick] [--json] [--repeat N] [--models DIR] [--plots DIR] [--out FILE]`:
 * the browser half of the benchmark alone. Progress goes to stderr. stdout gets a table, or with
 * --json one JSON object of the figures. The full result with every sample goes to --out.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../../tests/browser/fixtures/sdk-environment.js';
import { BROWSER_TARGETS, figures, runBrowserBench, targetsMet, type BrowserBenchResult } from './browser.js';
import { median } from './browser-stats.js';
import { formatFigures, saveResult } from './browser-output.js';

const HELP = `Usage: npm run bench:browser -- [options]

Measures the Aisle SDK in headless Chromium (/usr/bin/chromium) against the companion on
127.0.0.1: call latency, cold start, sizes, memory, coalescing, caching and backend choice.

Options:
  --quick        fewer repeats and page loads (about a minute); says so in the output
  --json         print one JSON object of the figures on stdout instead of a table
  --repeat N     run the whole benchmark N times and print the median of each figure (the
                 plots show the last run; --out keeps every run and each figure's range)
  --models DIR   trained models directory to serve (default demo/public/models)
  --plots DIR    write the SVG plots into DIR (default docs/img for a full run, none for --quick)
  --out FILE     write the full result with every sample as JSON (default .cache/bench/browser.json)
  -h, --help     print this help
`;

/** Parsed command line of the browser benchmark. */
export interface BrowserCliOptions {
  quick: boolean;
  json: boolean;
  repeat: number;
  models?: string;
  plotDir?: string;
  out: string;
}

/** Parses argv; prints help and exits for -h. */
export function parseBrowserCli(argv: string[]): BrowserCliOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      repeat: { type: 'string', default: '1' },
      models: { type: 'string' },
      plots: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    process.exit(0);
  }
  const plotDir = values.plots ?? (values.quick ? undefined : join(REPO_ROOT, 'docs', 'img'));
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1 || repeat > 20) throw new Error(`--repeat must be an integer from 1 to 20, got ${JSON.stringify(values.repeat)}.`);
  return {
    quick: values.quick,
    json: values.json,
    repeat,
    models: values.models === undefined ? undefined : resolve(values.models),
    plotDir: plotDir === undefined ? undefined : resolve(plotDir),
    out: resolve(values.out ?? join(REPO_ROOT, '.cache', 'bench', 'browser.json')),
  };
}

/**
 * Returns one set of figures from several runs: the median of each numeric figure, the last
 * run's value for the others, and the [min, max] range of each numeric figure. The targets are
 * checked again on the medians.
 */
export function combineRuns(runs: ReadonlyArray<Record<string, unknown>>): { figures: Record<string, unknown>; ranges: Record<string, [number, number]> } {
  const combined: Record<string, unknown> = { ...runs[runs.length - 1] };
  const ranges: Record<string, [number, number]> = {};
  for (const [key, value] of Object.entries(combined)) {
    if (typeof value !== 'number') continue;
    const values = runs.map((run) => run[key] as number);
    combined[key] = median(values);
    ranges[key] = [Math.min(...values), Math.max(...values)];
  }
  combined.browser_targets_met = targetsMet(combined as Record<keyof typeof BROWSER_TARGETS, number>);
  return { figures: { ...combined, runs: runs.length }, ranges };
}

async function main(): Promise<void> {
  const options = parseBrowserCli(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const results: BrowserBenchResult[] = [];
  for (let run = 1; run <= options.repeat; run++) {
    if (options.repeat > 1) log(`browser: run ${run} of ${options.repeat}`);
    // Only the last run writes the plots.
    results.push(await runBrowserBench({ quick: options.quick, models: options.models, plotDir: run === options.repeat ? options.plotDir : undefined, log }));
  }
  const { figures: combined, ranges } = combineRuns(results.map((result) => figures(result)));
  saveResult(options.out, { date: new Date().toISOString(), ...combined, ranges, allRuns: results });
  log(`browser: full result in ${options.out}`);
  process.stdout.write(options.json ? `${JSON.stringify(combined)}\n` : `${formatFigures(combined)}\n`);
}

await main();
