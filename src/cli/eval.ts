/**
 * `aisle eval`: re-runs the offline evaluation of a trained models directory on a dataset, with
 * the same rows and protocol as `aisle train`.
 */
import { leaveOneOut } from '../training/data/split.js';
import { formatTable, toResultsJson } from '../training/evaluate.js';
import { evaluateModels } from '../training/pipeline/evaluate-models.js';
import { checkSameCatalog, loadModels } from '../training/pipeline/load-models.js';
import { loadTrainingData, PROTOCOL } from '../training/train.js';
import { isUsageError, parseCommandLine, parseIntegerOption, usageError, type CommandOptions } from './args.js';

const HELP = `Usage: aisle eval --models DIR --data PATH|demo [options]

Evaluates a models directory written by \`aisle train\` on the test targets of a dataset
(leave-one-out, full ranking): popularity, item-knn, user-tower, teacher, student and
student-int8, the last one being the pipeline as served.

Options:
  --models DIR       models directory written by \`aisle train\` (required)
  --data PATH|demo   dataset directory, or 'demo' (required; the one the models were trained on)
  --max-users N      the --max-users value used for training, if any
  --seed N           the --seed value used for training (default 42)
  --json             print the evaluation as one JSON object on stdout
  -h, --help         print this help
`;

const OPTIONS = {
  models: { type: 'string', allowed: 'a models directory' },
  data: { type: 'string', allowed: "a dataset directory or 'demo'" },
  'max-users': { type: 'string', allowed: 'an integer in [1, 100000000]' },
  seed: { type: 'string', allowed: 'an integer in [0, 2147483647]' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies CommandOptions;

/** Options of `aisle eval` after parsing. */
export interface EvalArgs {
  models: string;
  data: string;
  maxUsers?: number;
  seed: number;
  json: boolean;
}

/** Parses the command line of `aisle eval`; returns 'help' for --help. Throws AISLE_INVALID_ARGUMENT. */
export function parseEvalArgs(argv: readonly string[]): EvalArgs | 'help' {
  const values = parseCommandLine('eval', argv, OPTIONS);
  if (values.help) return 'help';
  if (!values.models || !values.data) throw usageError('eval', '--models and --data are required.');
  return {
    models: values.models,
    data: values.data,
    maxUsers: parseIntegerOption('eval', 'max-users', values['max-users'], 1, 100_000_000),
    seed: parseIntegerOption('eval', 'seed', values.seed, 0, 2 ** 31 - 1) ?? 42,
    json: values.json ?? false,
  };
}

/** Runs `aisle eval` with the arguments after the command name; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parseEvalArgs>;
  try {
    values = parseEvalArgs(argv);
  } catch (error) {
    if (!isUsageError(error)) throw error;
    process.stderr.write(`aisle eval: ${error.message}\n\n${HELP}`);
    return 2;
  }
  if (values === 'help') {
    process.stdout.write(HELP);
    return 0;
  }

  const log = (line: string) => process.stderr.write(`${line}\n`);
  const dataset = await loadTrainingData(values.data, values.maxUsers, values.seed);
  const models = await loadModels(values.models);
  try {
    checkSameCatalog(dataset, models.catalog);
    const users = leaveOneOut(dataset);
    const rows = await evaluateModels(users, { ...models, usesAges: models.manifest.usesAges }, log);
    const results = toResultsJson(dataset.name, PROTOCOL, rows);
    process.stderr.write(`\n${formatTable(rows)}\n`);
    if (values.json) process.stdout.write(`${JSON.stringify(results)}\n`);
    return 0;
  } finally {
    await models.dispose();
  }
}
