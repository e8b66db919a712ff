/**
 * The steps of `aisle eval` for one dataset: evaluate a trained models directory, or train one
 * first when none is given, and return the results with the command that produced them.
 * `findDatasets` lists the dataset directories under a root for `aisle eval --all`.
 */
import { access, readdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { AisleError } from '../core/errors.js';
import { MODEL_FILES } from '../core/model-dir.js';
import { detectFormat } from './data/index.js';
import { listDirectory } from './data/files.js';
import { leaveOneOut } from './data/split.js';
import { formatTable, toResultsJson } from './evaluate.js';
import { evaluateModels } from './pipeline/evaluate-models.js';
import { checkSameCatalog, loadModels } from './pipeline/load-models.js';
import type { DatasetReport } from './report/report.js';
import { loadTrainingData, PROTOCOL, train } from './train.js';

/** Options of `evaluateDataset`. */
export interface EvalRunOptions {
  /** Dataset directory, or 'demo'. */
  data: string;
  /** A trained models directory; when absent, `<modelsRoot>/<dataset>` is used or trained. */
  models?: string;
  /** Parent folder of the models directories used when `models` is absent. */
  modelsRoot: string;
  /** Train again even when `<modelsRoot>/<dataset>` contains models. */
  retrain: boolean;
  maxUsers?: number;
  seed: number;
  /** Tower training budget in minutes, passed to `train`. */
  towerMinutes?: number;
  /** The command line shown in the report. */
  command: string;
  log: (line: string) => void;
}

/** Evaluates (training first when needed) one dataset and returns its report entry. */
export async function evaluateDataset(options: EvalRunOptions): Promise<DatasetReport> {
  const date = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const { dir, reuse } = await modelsPlan(options);
  if (!reuse) {
    const trained = await train({ data: options.data, out: dir, maxUsers: options.maxUsers, seed: options.seed, towerMinutes: options.towerMinutes, log: options.log });
    options.log(`\n${formatTable(trained.results.rows)}\n`);
    return { results: trained.results, command: options.command, trainSeconds: trained.seconds.total, date };
  }

  options.log(`eval: evaluating the models in ${dir}`);
  const dataset = await loadTrainingData(options.data, options.maxUsers, options.seed);
  const models = await loadModels(dir);
  try {
    checkSameCatalog(dataset, models.catalog);
    const evaluation = await evaluateModels(leaveOneOut(dataset), { ...models, usesAges: models.manifest.usesAges }, options.log);
    options.log(`\n${formatTable(evaluation.rows)}\n`);
    return { results: toResultsJson(dataset.name, PROTOCOL, evaluation), command: options.command, trainSeconds: await trainingSeconds(dir), date };
  } finally {
    await models.dispose();
  }
}

/** Returns the models directory for `options`, training it first unless it already contains models and --retrain is off. */
export async function ensureModels(options: EvalRunOptions): Promise<string> {
  const { dir, reuse } = await modelsPlan(options);
  if (reuse) return dir;
  await train({ data: options.data, out: dir, maxUsers: options.maxUsers, seed: options.seed, towerMinutes: options.towerMinutes, log: options.log });
  return dir;
}

/** Decides the models directory of a run and whether to reuse it, and logs why it is trained otherwise. */
async function modelsPlan(options: EvalRunOptions): Promise<{ dir: string; reuse: boolean }> {
  const dir = options.models ?? join(options.modelsRoot, datasetDirName(options.data));
  const reuse = options.models !== undefined || (!options.retrain && (await exists(join(dir, MODEL_FILES.manifest))));
  if (!reuse) options.log(options.retrain ? `eval: --retrain given; training into ${dir}` : `eval: no models in ${dir}; training them first`);
  return { dir, reuse };
}

/** Dataset directories directly under `root` whose files `loadDataset` recognizes, sorted by name. */
export async function findDatasets(root: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(resolve(root), { withFileTypes: true });
  } catch (error) {
    throw new AisleError('AISLE_NOT_FOUND', `aisle eval --all: reading the data root ${resolve(root)} failed (${(error as Error).message}); pass --data-root with the folder that contains the datasets.`, { cause: error });
  }
  const found: string[] = [];
  for (const entry of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const dir = join(resolve(root), entry.name);
    if (detectFormat(await listDirectory(dir)) !== undefined) found.push(dir);
  }
  if (found.length === 0) {
    throw new AisleError('AISLE_NOT_FOUND', `aisle eval --all: no dataset directory of a known format found under ${resolve(root)}; pass --data-root with the folder that contains the datasets.`);
  }
  return found;
}

/** Returns the models directory name for a dataset: its directory's base name, or 'demo'. */
function datasetDirName(data: string): string {
  return data === 'demo' ? 'demo' : basename(resolve(data));
}

/** Training time recorded in the eval.json that `aisle train` wrote, if any. */
async function trainingSeconds(dir: string): Promise<number | undefined> {
  try {
    const written = JSON.parse(await readFile(join(dir, MODEL_FILES.eval), 'utf8')) as { training?: { seconds?: { total?: unknown } } };
    const total = written.training?.seconds?.total;
    return typeof total === 'number' ? total : undefined;
  } catch {
    return undefined;
  }
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}
