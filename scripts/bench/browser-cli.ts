/**
 * `npm run bench:browser -- [--quick] [--json] [--models DIR] [--plots DIR] [--out FILE]`: the
 * browser half of the benchmark alone. Progress goes to stderr. stdout gets a table, or with
 * --json one JSON object of the figures. The full result with every sample goes to --out.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../../tests/browser/fixtures/sdk-environment.js';
import { figures, runBrowserBench } from './browser.js';
import { formatFigures, saveResult } from './browser-output.js';

const HELP = `Usage: npm run bench:browser -- [options]

Measures the Aisle SDK in headless Chromium (/usr/bin/chromium) against the companion on
127.0.0.1: call latency, cold start, sizes, memory, coalescing, caching and backend choice.

Options:
  --quick        fewer repeats and page loads (about a minute); says so in the output
  --json         print one JSON object of the figures on stdout instead of a table
  --models DIR   trained models directory to serve (default demo/public/models)
  --plots DIR    write the SVG plots into DIR (default docs/img for a full run, none for --quick)
  --out FILE     write the full result with every sample as JSON (default .cache/bench/browser.json)
  -h, --help     print this help
`;

/** Parsed command line of the browser benchmark. */
export interface BrowserCliOptions {
  quick: boolean;
  json: boolean;
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
  return {
    quick: values.quick,
    json: values.json,
    models: values.models === undefined ? undefined : resolve(values.models),
    plotDir: plotDir === undefined ? undefined : resolve(plotDir),
    out: resolve(values.out ?? join(REPO_ROOT, '.cache', 'bench', 'browser.json')),
  };
}

async function main(): Promise<void> {
  const options = parseBrowserCli(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const result = await runBrowserBench({ quick: options.quick, models: options.models, plotDir: options.plotDir, log });
  saveResult(options.out, { date: new Date().toISOString(), ...result });
  log(`browser: full result in ${options.out}`);
  process.stdout.write(options.json ? `${JSON.stringify(figures(result))}\n` : `${formatFigures(figures(result))}\n`);
}

await main();
