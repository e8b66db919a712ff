/**
 * Dispatches `aisle <command>`. Each command lives in its own module and is loaded only when
 * called, so `aisle serve` does not pay for TensorFlow.js and `aisle train` does not need FAISS
 * until it builds the index.
 */
import { readFile } from 'node:fs/promises';
import { isAisleError } from '../core/errors.js';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  train: { summary: 'train the models on a dataset and write a models directory', load: () => import('./train.js') },
  eval: { summary: 'evaluate trained models on a dataset (leave-one-out, full ranking)', load: () => import('./eval.js') },
  serve: { summary: 'start the companion service over a models directory', load: () => import('./serve.js') },
  report: { summary: 'print per-variant experiment results of a running companion', load: () => import('./report.js') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(8)} ${command.summary}`);
  return ['Usage: aisle <command> [options]', '', 'Commands:', ...lines, '', 'Run `aisle <command> --help` for the options of a command, `aisle --version` for the version.'].join('\n');
}

/** Reads the version field of the package's package.json. */
async function packageVersion(): Promise<string> {
  const text = await readFile(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

/** Runs `aisle` with the arguments after the program name; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    process.stderr.write(`aisle: no command given.\n\n${usage()}\n`);
    return 2;
  }
  if (name === '--help' || name === '-h') {
    process.stdout.write(`${usage()}\n`);
    return 0;
  }
  if (name === '--version' || name === '-v') {
    process.stdout.write(`${await packageVersion()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`aisle: unknown command ${JSON.stringify(name)}.\n\n${usage()}\n`);
    return 2;
  }
  try {
    const module = await command.load();
    return await module.run(rest);
  } catch (error) {
    if (isAisleError(error)) {
      process.stderr.write(`aisle ${name}: ${error.code}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
