/**
 * Node-side preparation shared by `npm start` and the demo's browser tests: the FAISS addon and a
 * trained models directory. Each step prints what it runs, because training can take minutes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Root of the repository (the folder with package.json). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Models directory of the built-in demo catalog; the page's public folder, so a static host can serve it too. */
export const DEMO_MODELS_DIR = join(REPO_ROOT, 'demo', 'public', 'models');

/** Runs a command in the repository root with inherited output; throws when it fails. */
function run(command: string, args: string[], log: (line: string) => void): void {
  log(`$ ${command} ${args.join(' ')}`);
  const result = spawnSync(command, args, { cwd: REPO_ROOT, stdio: 'inherit', env: { ONNXRUNTIME_NODE_INSTALL: 'skip', ...process.env } });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`\`${command} ${args.join(' ')}\` failed with exit code ${result.status}; see its output above.`);
}

/** Builds the FAISS addon; `npm run build:native` does nothing when the addon is newer than its sources. */
export function ensureNativeAddon(log: (line: string) => void): void {
  run('npm', ['run', '--silent', 'build:native'], log);
}

/**
 * Returns the models directory for a dataset: demo/public/models for the built-in demo catalog,
 * else .cache/models/<folder name of the dataset>.
 */
export function modelsDirFor(data: string): string {
  if (data === 'demo') return DEMO_MODELS_DIR;
  return join(REPO_ROOT, '.cache', 'models', basename(resolve(data)));
}

/**
 * Trains the models for `data` into `modelsDir` unless a manifest is already there.
 * `trainOptions` are extra `aisle train` options, such as ['--epochs', '2'].
 */
export function ensureModels(data: string, modelsDir: string, log: (line: string) => void, trainOptions: string[] = []): void {
  if (existsSync(join(modelsDir, 'manifest.json'))) {
    log(`Using the trained models in ${modelsDir} (delete that folder to retrain).`);
    return;
  }
  log(`No trained models in ${modelsDir}: training on ${data === 'demo' ? 'the demo catalog' : data}.`);
  run(process.execPath, [join(REPO_ROOT, 'bin', 'aisle.mjs'), 'train', '--data', data, '--out', modelsDir, ...trainOptions], log);
}
