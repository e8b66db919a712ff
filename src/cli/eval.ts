/**
 * `aisle eval`: re-runs the offline evaluation of a trained models directory on a dataset, with
 * the same rows and protocol as `aisle train`.
 */
import { parseArgs } from 'node:util';
import { AisleError } from '../core/errors.js';
import { leaveOneOut } from '../training/data/split.js';
import { formatTable, toResultsJson } from '../training/evaluate.js';
import { evaluateModels } from '../training/pipeline/evaluate-models.js';
import { checkSameCatalog, loadModels } from '../training/pipeline/load-models.js';
import { loadTrainingData, PROTOCOL } from '../training/train.js';

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

function parseInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new AisleError('AISLE_INVALID_ARGUMENT', `--${name} must be a non-negative integer, got ${JSON.stringify(value)}. Run \`aisle eval --help\`.`);
  return Number(value);
}

/** Runs `aisle eval` with the arguments after the command name; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      models: { type: 'string' },
      data: { type: 'string' },
      'max-users': { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.models || !values.data) {
    process.stderr.write(`aisle eval: --models and --data are required.\n\n${HELP}`);
    return 2;
  }

  const log = (line: string) => process.stderr.write(`${line}\n`);
  const dataset = await loadTrainingData(values.data, parseInteger('max-users', values['max-users']), parseInteger('seed', values.seed) ?? 42);
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
