/**
 * `npm run bench -- [--json] [--quick] [--skip-companion] [--models DIR]`: the whole performance
 * benchmark. It runs the browser half (browser.ts) and then the companion half (companion.ts),
 * one after the other so they do not share the CPU. Progress goes to stderr. stdout gets one
 * JSON object with --json, otherwise a table of the figures. The full results with every sample
 * go to .cache/bench/bench.json.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../../tests/browser/fixtures/sdk-environment.js';
import { figures, runBrowserBench } from './browser.js';
import { formatFigures, saveResult } from './browser-output.js';
import { runCompanionBench, type CompanionBenchResult } from './companion.js';

const HELP = `Usage: npm run bench -- [options]

Runs the browser benchmark (the SDK in headless Chromium) and the companion benchmark (FAISS and
HTTP load on 127.0.0.1), and prints one result object.

Options:
  --json             print one JSON object on stdout instead of a table
  --quick            fewer repeats, 100k instead of 1M vectors, short load runs; says so in the output
  --skip-companion   run only the browser half; the companion figures are null
  --models DIR       trained models directory: served to the browser half (default
                     demo/public/models) and swept by the companion half as real item vectors
  --plots DIR        folder of the SVG plots (default docs/img for a full run, none for --quick)
  -h, --help         print this help
`;

/** Figures of the companion half that the combined result always carries. */
const COMPANION_KEYS = ['ann_1m_recall100', 'ann_1m_speedup_vs_flat', 'http_vs_raw_faiss_ratio', 'http_p99_ms', 'http_p50_ms', 'http_max_rps', 'ann_items', 'ann_setting'] as const;

/** Returns the companion figures of the combined result, or nulls when the half was skipped. */
function companionFigures(result: CompanionBenchResult | undefined): Record<(typeof COMPANION_KEYS)[number], number | string | null> {
  return Object.fromEntries(COMPANION_KEYS.map((key) => [key, result ? result[key] : null])) as Record<(typeof COMPANION_KEYS)[number], number | string | null>;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      json: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      'skip-companion': { type: 'boolean', default: false },
      models: { type: 'string' },
      plots: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const quick = values.quick;
  const models = values.models === undefined ? undefined : resolve(values.models);
  // Plots go to docs/img only for a full run, unless --plots names a folder.
  let plotDir = quick ? undefined : join(REPO_ROOT, 'docs', 'img');
  if (values.plots !== undefined) plotDir = resolve(values.plots);
  const started = new Date();

  const browser = await runBrowserBench({ quick, models, plotDir, log });
  let companion: CompanionBenchResult | undefined;
  if (values['skip-companion']) log('bench: --skip-companion: the companion figures are null');
  else companion = await runCompanionBench({ quick, models, log, plotDir: plotDir ?? null });

  const combined = {
    ...figures(browser),
    ...companionFigures(companion),
    companion_targets_met: companion?.targets ?? null,
    companion_skipped: companion === undefined,
    quick,
    date: started.toISOString(),
  };
  const out = join(REPO_ROOT, '.cache', 'bench', 'bench.json');
  saveResult(out, { ...combined, browser: browser.details, companion: companion ?? null });
  log(`bench: full results in ${out}`);
  process.stdout.write(values.json ? `${JSON.stringify(combined)}\n` : `${formatFigures(combined)}\n`);
}

await main();
