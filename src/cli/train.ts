/**
 * `aisle train`: trains the models on a dataset, writes a models directory and prints the
 * evaluation table (stderr) and, with --json, one JSON object on stdout.
 */
import { parseArgs } from 'node:util';
import { AisleError } from '../core/errors.js';
import { formatTable } from '../training/evaluate.js';
import { train } from '../training/train.js';

const HELP = `Usage: aisle train --data PATH|demo --out DIR [options]

Trains the user tower, the item vectors and the ranker (teacher and distilled int8 student),
writes the models directory (manifest.json, ONNX files, items.json, item_vectors.f32,
items.faiss, eval.json) and evaluates the served pipeline on the test targets (leave-one-out,
full ranking). Progress goes to stderr.

Options:
  --data PATH|demo   dataset directory, or 'demo' for the generated demo store (required)
  --out DIR          models directory to write (required)
  --dim N            item and user vector dim (default 64; 32 for fewer than 2000 users)
  --seq-len N        events the user tower reads (default 50; 20 for fewer than 2000 users)
  --epochs N         maximum tower epochs; early stopping may end sooner (default 20)
  --max-users N      train and evaluate on a seeded random subset of N users
  --tower-minutes N  stop tower training before an epoch that would end after N minutes
  --index DESC       FAISS index_factory description (default 'HNSW32,Flat')
  --seed N           seed of weights, batches and subsets (default 42)
  --json             print the evaluation as one JSON object on stdout
  -h, --help         print this help
`;

function parseInteger(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) {
    throw new AisleError('AISLE_INVALID_ARGUMENT', `--${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}. Run \`aisle train --help\`.`);
  }
  return number;
}

/** Runs `aisle train` with the arguments after the command name; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      data: { type: 'string' },
      out: { type: 'string' },
      dim: { type: 'string' },
      'seq-len': { type: 'string' },
      epochs: { type: 'string' },
      'max-users': { type: 'string' },
      'tower-minutes': { type: 'string' },
      index: { type: 'string' },
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
  if (!values.data || !values.out) {
    process.stderr.write(`aisle train: --data and --out are required.\n\n${HELP}`);
    return 2;
  }

  const result = await train({
    data: values.data,
    out: values.out,
    dim: parseInteger('dim', values.dim, 4, 1024),
    seqLen: parseInteger('seq-len', values['seq-len'], 1, 1000),
    epochs: parseInteger('epochs', values.epochs, 0, 10_000),
    maxUsers: parseInteger('max-users', values['max-users'], 1, 100_000_000),
    towerMinutes: parseInteger('tower-minutes', values['tower-minutes'], 1, 100_000),
    index: values.index,
    seed: parseInteger('seed', values.seed, 0, 2 ** 31 - 1),
    log: (line) => process.stderr.write(`${line}\n`),
  });

  process.stderr.write(`\n${formatTable(result.results.rows)}\n\n`);
  process.stderr.write(`models written to ${values.out} (version ${result.manifest.version}) in ${result.seconds.total.toFixed(1)} s\n`);
  if (values.json) process.stdout.write(`${JSON.stringify(result.results)}\n`);
  return 0;
}
