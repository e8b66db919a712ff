/**
 * `aisle eval`: evaluates trained models on a dataset (leave-one-out, full ranking), training them
 * first when no models directory is given, and optionally writes the report (Markdown, HTML and
 * NDCG@k charts). `--all` does this for every dataset under a data root.
 */
import { resolve } from 'node:path';
import { SAMPLED_NEGATIVES } from '../training/evaluate.js';
import { PROTOCOL } from '../training/train.js';
import { ensureModels, evaluateDataset, findDatasets } from '../training/eval-run.js';
import { writeSearchReport } from '../training/report/search-report.js';
import type { SearchRow } from '../training/search/evaluate-search.js';
import { evaluateSearchTask } from '../training/search/run.js';
import { runTags } from './eval-tags.js';
import { writeReport, type DatasetReport } from '../training/report/report.js';
import { isUsageError, parseCommandLine, parseIntegerOption, usageError, type CommandOptions } from './args.js';

/** Folder of the datasets when neither --data-root nor AISLE_DATA_DIR is given. */
const DEFAULT_DATA_ROOT = '../shared/data';
/** Parent folder of the models that `aisle eval` trains. */
const DEFAULT_MODELS_ROOT = '.cache/models';
/** Queries per query set of `--task search` when --queries is not given. */
const DEFAULT_SEARCH_QUERIES = 1000;

const HELP = `Usage: aisle eval --data PATH|demo [options]
       aisle eval --all [--data-root DIR] [options]
       aisle eval --task search --data PATH [options]
       aisle eval --task tags --data PATH [options]

Evaluates the served pipeline and the baselines on the test targets of a dataset (leave-one-out:
the last item of each user is the test target; full ranking over all items, history excluded):
popularity, item-knn, user-tower, teacher, student and student-int8, the last one being the
pipeline as served. Also reports HR@10 / NDCG@10 against ${SAMPLED_NEGATIVES} sampled negatives as a secondary
figure and NDCG@k for k = 1…50. Without --models, the models are trained first (or reused from
an earlier run) in ${DEFAULT_MODELS_ROOT}/<dataset>. Progress goes to stderr.

With --task search, evaluates search instead: queries built from the text of items the query
encoder never trained on (clean, with one typo, and with a word replaced by a close term), each
asking for one item, answered by bm25, vector, rrf, weighted and rrf+personal (Recall@10, NDCG@10).

With --task tags, evaluates tag prediction instead: the attributes (tags, category, brand) of one
item in five are hidden, the towers are trained without them (--tower-minutes, default 5; the
vectors are kept under --models-root and reused), and most-frequent, knn-vector, knn-title and
tag-model predict the hidden tags from each item's title and item vector (P@3, R@3).

Options:
  --data PATH|demo     dataset directory, or 'demo'
  --task NAME          'recommend' (default), 'search' or 'tags'
  --queries N          queries per query set for --task search (default ${DEFAULT_SEARCH_QUERIES})
  --all                every dataset directory of a known format under --data-root
  --data-root DIR      folder of the datasets for --all (default $AISLE_DATA_DIR or ${DEFAULT_DATA_ROOT})
  --models DIR         evaluate this models directory written by \`aisle train\` (not with --all)
  --models-root DIR    where models are trained or reused without --models (default ${DEFAULT_MODELS_ROOT})
  --retrain            train again even when the models directory exists
  --tower-minutes N    tower training budget in minutes when training (amazon-beauty needs 15 to stay under 30 min)
  --max-users N        the --max-users value used for training, if any
  --seed N             the --seed value used for training (default 42)
  --report DIR         write report.md, report.html and ndcg-at-k-<dataset>.svg into DIR
  --json               print the results as one JSON object on stdout
  -h, --help           print this help
`;

const OPTIONS = {
  data: { type: 'string', allowed: "a dataset directory or 'demo'" },
  task: { type: 'string', allowed: "'recommend', 'search' or 'tags'" },
  queries: { type: 'string', allowed: 'an integer in [1, 100000]' },
  all: { type: 'boolean' },
  'data-root': { type: 'string', allowed: 'a directory path' },
  models: { type: 'string', allowed: 'a models directory' },
  'models-root': { type: 'string', allowed: 'a directory path' },
  retrain: { type: 'boolean' },
  'tower-minutes': { type: 'string', allowed: 'an integer in [1, 100000]' },
  'max-users': { type: 'string', allowed: 'an integer in [1, 100000000]' },
  seed: { type: 'string', allowed: 'an integer in [0, 2147483647]' },
  report: { type: 'string', allowed: 'a directory path' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies CommandOptions;

/** Options of `aisle eval` after parsing. */
export interface EvalArgs {
  task: 'recommend' | 'search' | 'tags';
  queries: number;
  /** Datasets to evaluate: one path, or the root to search with --all. */
  target: { data: string } | { dataRoot: string };
  models?: string;
  modelsRoot: string;
  retrain: boolean;
  towerMinutes?: number;
  maxUsers?: number;
  seed: number;
  report?: string;
  json: boolean;
}

/** Parses the command line of `aisle eval`; returns 'help' for --help. Throws AISLE_INVALID_ARGUMENT. */
export function parseEvalArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): EvalArgs | 'help' {
  const values = parseCommandLine('eval', argv, OPTIONS);
  if (values.help) return 'help';
  if (values.all && values.data) throw usageError('eval', 'give either --data or --all, not both.');
  if (!values.all && !values.data) throw usageError('eval', '--data (one dataset) or --all (every dataset under --data-root) is required.');
  if (values.all && values.models) throw usageError('eval', '--models names one models directory and cannot be used with --all; use --models-root.');
  if (!values.all && values['data-root']) throw usageError('eval', '--data-root is only read with --all.');
  if (values.models && values.retrain) throw usageError('eval', '--retrain trains into --models-root and cannot be used with --models.');
  const task = values.task ?? 'recommend';
  if (task !== 'recommend' && task !== 'search' && task !== 'tags') throw usageError('eval', `--task must be 'recommend', 'search' or 'tags', got ${JSON.stringify(task)}.`);
  if (task === 'search' && values.all) throw usageError('eval', '--task search runs on one dataset with item text; give --data instead of --all.');
  if (task === 'tags' && values.all) throw usageError('eval', '--task tags runs on one dataset with tags; give --data instead of --all.');
  if (task === 'tags' && values.models) throw usageError('eval', '--task tags trains its own towers without the hidden attributes and reads no --models; use --models-root.');
  return {
    task,
    queries: parseIntegerOption('eval', 'queries', values.queries, 1, 100_000) ?? DEFAULT_SEARCH_QUERIES,
    target: values.all ? { dataRoot: values['data-root'] ?? env.AISLE_DATA_DIR ?? DEFAULT_DATA_ROOT } : { data: values.data as string },
    models: values.models,
    modelsRoot: values['models-root'] ?? DEFAULT_MODELS_ROOT,
    retrain: values.retrain ?? false,
    towerMinutes: parseIntegerOption('eval', 'tower-minutes', values['tower-minutes'], 1, 100_000),
    maxUsers: parseIntegerOption('eval', 'max-users', values['max-users'], 1, 100_000_000),
    seed: parseIntegerOption('eval', 'seed', values.seed, 0, 2 ** 31 - 1) ?? 42,
    report: values.report,
    json: values.json ?? false,
  };
}

/** Runs `aisle eval` with the arguments after the command name; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parseEvalArgs>;
  try {
    args = parseEvalArgs(argv);
  } catch (error) {
    if (!isUsageError(error)) throw error;
    process.stderr.write(`aisle eval: ${error.message}\n\n${HELP}`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(HELP);
    return 0;
  }

  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (args.task === 'search') return runSearch(args, log);
  if (args.task === 'tags') return runTags(args, commandFor(args, (args.target as { data: string }).data), log);
  const paths = 'data' in args.target ? [args.target.data] : await findDatasets(args.target.dataRoot);
  if ('dataRoot' in args.target) log(`eval: ${paths.length} datasets under ${resolve(args.target.dataRoot)}: ${paths.join(', ')}`);
  const reports: DatasetReport[] = [];
  for (const data of paths) {
    const command = ['aisle eval', ...commandFor(args, data)].join(' ');
    reports.push(await evaluateDataset({ ...args, data, command, log }));
  }

  if (args.report) {
    const files = await writeReport(args.report, reports);
    log(`eval: report written to ${files.markdown}, ${files.html} and ${files.charts.length} charts`);
  }
  if (args.json) {
    const output = reports.length === 1 && 'data' in args.target ? reports[0].results : { protocol: PROTOCOL, datasets: reports.map((report) => report.results) };
    process.stdout.write(`${JSON.stringify(output)}\n`);
  }
  return 0;
}

/** Runs `aisle eval --task search`, training the models first when needed. */
async function runSearch(args: EvalArgs, log: (line: string) => void): Promise<number> {
  const data = (args.target as { data: string }).data;
  const command = ['aisle eval --task search', ...commandFor(args, data), ...(args.queries === DEFAULT_SEARCH_QUERIES ? [] : ['--queries', String(args.queries)])].join(' ');
  const models = args.models ?? (await ensureModels({ ...args, data, command, log }));
  const report = await evaluateSearchTask({ data, models, maxUsers: args.maxUsers, seed: args.seed, queries: args.queries, command, log });
  log(`\n${formatSearchTable(report.rows)}\n`);
  if (args.report) {
    const files = await writeSearchReport(args.report, report);
    log(`eval: search report written to ${files.markdown} and ${files.chart}`);
  }
  if (args.json) {
    const rows = report.rows.map((row) => ({ method: row.method, queries: row.queries, 'Recall@10': row['Recall@10'], 'NDCG@10': row['NDCG@10'], count: row.count, msPerQuery: row.msPerQuery }));
    process.stdout.write(`${JSON.stringify({ dataset: report.dataset, rows, weights: report.weights })}\n`);
  }
  return 0;
}

/** Formats the search rows as an aligned text table. */
function formatSearchTable(rows: readonly SearchRow[]): string {
  const lines = rows.map((row) => `${row.queries.padEnd(6)} ${row.method.padEnd(18)} ${row['Recall@10'].toFixed(4).padStart(9)} ${row['NDCG@10'].toFixed(4).padStart(8)} ${row.msPerQuery.toFixed(2).padStart(8)}`);
  return [`${'set'.padEnd(6)} ${'method'.padEnd(18)} Recall@10  NDCG@10 ms/query`, ...lines].join('\n');
}

/** Returns the options that reproduce one dataset's rows, for the report. */
export function commandFor(args: EvalArgs, data: string): string[] {
  const parts = ['--data', data];
  if (args.models) parts.push('--models', args.models);
  if (args.towerMinutes !== undefined) parts.push('--tower-minutes', String(args.towerMinutes));
  if (args.maxUsers !== undefined) parts.push('--max-users', String(args.maxUsers));
  if (args.seed !== 42) parts.push('--seed', String(args.seed));
  return parts;
}
