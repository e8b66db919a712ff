/**
 * `aisle train`: trains the models on a dataset, writes a models directory and prints the
 * evaluation table (stderr) and, with --json, one JSON object on stdout.
 */
import { MIN_SEQUENCE_LENGTH } from '../training/data/split.js';
import { formatTable } from '../training/evaluate.js';
import { addQueryEncoder, MIN_ITEMS, MIN_USABLE_USERS, QUERY_ENCODER_STEPS, train, type TrainOptions } from '../training/train.js';
import { isUsageError, parseCommandLine, parseIntegerOption, usageError, type CommandOptions } from './args.js';

const HELP = `Usage: aisle train --data PATH|demo --out DIR [options]

Trains the user tower, the item vectors and the ranker (teacher and distilled int8 student),
writes the models directory (manifest.json, ONNX files, items.json, item_vectors.f32,
items.faiss, eval.json) and evaluates the served pipeline on the test targets (leave-one-out,
full ranking). When items have tags, each item in items.json also gets predictedTags: up to 5
[tag, confidence] pairs voted by the 10 most similar items. Progress goes to stderr.

The dataset needs at least ${MIN_USABLE_USERS} usable users, users with ${MIN_SEQUENCE_LENGTH} or more events (leave-one-out
takes the last two as validation and test targets), and at least ${MIN_ITEMS} items. With
--max-users, the subset must meet this minimum.

Options:
  --data PATH|demo   dataset directory, or 'demo' for the generated demo store (required)
  --out DIR          models directory to write (required)
  --dim N            item and user vector dim (default 64; 32 for fewer than 2000 users)
  --seq-len N        events the user tower reads (default 50; 20 for fewer than 2000 users)
  --epochs N         maximum tower epochs; early stopping may end sooner (default 20)
  --max-users N      train and evaluate on a seeded random subset of N users
  --tower-minutes N  stop tower training before an epoch that would end after N minutes
  --index DESC       FAISS index_factory description (default 'HNSW32,Flat')
  --query-steps N    training steps of the query encoder for semantic search (default ${QUERY_ENCODER_STEPS}; 0 for none)
  --only query-encoder
                     add a query encoder and a search ranker to the models directory --out,
                     trained on the same --data, without training anything else (for models
                     from older versions)
  --only search-ranker
                     add only the search ranker (the 'learned' search fusion), on the query
                     encoder the models directory --out already has
  --seed N           seed of weights, batches and subsets (default 42)
  --json             print the evaluation as one JSON object on stdout
  -h, --help         print this help
`;

const OPTIONS = {
  data: { type: 'string', allowed: "a dataset directory or 'demo'" },
  out: { type: 'string', allowed: 'a directory path' },
  dim: { type: 'string', allowed: 'an integer in [4, 1024]' },
  'seq-len': { type: 'string', allowed: 'an integer in [1, 1000]' },
  epochs: { type: 'string', allowed: 'an integer in [0, 10000]' },
  'max-users': { type: 'string', allowed: 'an integer in [1, 100000000]' },
  'tower-minutes': { type: 'string', allowed: 'an integer in [1, 100000]' },
  index: { type: 'string', allowed: "a FAISS index_factory description such as 'HNSW32,Flat'" },
  'query-steps': { type: 'string', allowed: 'an integer in [0, 1000000]' },
  only: { type: 'string', allowed: "'query-encoder' or 'search-ranker'" },
  seed: { type: 'string', allowed: 'an integer in [0, 2147483647]' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies CommandOptions;

/** Parses the command line into train options; returns 'help' for --help. Throws AISLE_INVALID_ARGUMENT. */
export function parseTrainArgs(argv: readonly string[]): (TrainOptions & { json: boolean; only?: 'query-encoder' | 'search-ranker' }) | 'help' {
  const values = parseCommandLine('train', argv, OPTIONS);
  if (values.help) return 'help';

  const integer = (name: string, value: string | undefined, min: number, max: number) => parseIntegerOption('train', name, value, min, max);
  const numbers = {
    dim: integer('dim', values.dim, 4, 1024),
    seqLen: integer('seq-len', values['seq-len'], 1, 1000),
    epochs: integer('epochs', values.epochs, 0, 10_000),
    maxUsers: integer('max-users', values['max-users'], 1, 100_000_000),
    towerMinutes: integer('tower-minutes', values['tower-minutes'], 1, 100_000),
    seed: integer('seed', values.seed, 0, 2 ** 31 - 1),
    queryEncoderSteps: integer('query-steps', values['query-steps'], 0, 1_000_000),
  };
  if (!values.data || !values.out) throw usageError('train', '--data and --out are required.');
  const only = values.only;
  if (only !== undefined && only !== 'query-encoder' && only !== 'search-ranker') throw usageError('train', `--only must be 'query-encoder' or 'search-ranker', got ${JSON.stringify(only)}.`);
  return { data: values.data, out: values.out, index: values.index, json: values.json ?? false, ...(only ? { only } : {}), ...numbers };
}

/** Runs `aisle train` with the arguments after the command name; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  let options: ReturnType<typeof parseTrainArgs>;
  try {
    options = parseTrainArgs(argv);
  } catch (error) {
    if (!isUsageError(error)) throw error;
    process.stderr.write(`aisle train: ${error.message}\n\n${HELP}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(HELP);
    return 0;
  }

  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (options.only) {
    const manifest = await addQueryEncoder({ only: options.only, data: options.data, out: options.out, maxUsers: options.maxUsers, queryEncoderSteps: options.queryEncoderSteps, seed: options.seed, log });
    if (options.json) process.stdout.write(`${JSON.stringify({ version: manifest.version, queryEncoder: manifest.models.queryEncoder, searchRanker: manifest.models.searchRanker })}\n`);
    return 0;
  }
  const result = await train({ ...options, log });

  process.stderr.write(`\n${formatTable(result.results.rows)}\n\n`);
  process.stderr.write(`models written to ${options.out} (version ${result.manifest.version}) in ${result.seconds.total.toFixed(1)} s\n`);
  if (options.json) process.stdout.write(`${JSON.stringify(result.results)}\n`);
  return 0;
}
