import { afterEach, describe, expect, it, vi } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findDatasets } from '../../src/training/eval-run.js';
import { parseEvalArgs, run as runEval } from '../../src/cli/eval.js';
import { main } from '../../src/cli/main.js';
import { parseTrainArgs, run as runTrain } from '../../src/cli/train.js';

/** Runs `command` and returns its exit code with everything it wrote to stdout and stderr. */
async function capture(command: () => Promise<number>): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  const code = await command();
  vi.restoreAllMocks();
  return { code, stdout, stderr };
}

afterEach(() => {
  vi.restoreAllMocks();
});

const REQUIRED = ['--data', 'demo', '--out', '/tmp/aisle-unused'];

describe('aisle train options', () => {
  it('rejects a negative --dim naming the range', () => {
    expect(() => parseTrainArgs([...REQUIRED, '--dim', '-5'])).toThrow('--dim must be an integer in [4, 1024], got "-5".');
  });

  it('rejects a negative --tower-minutes naming the range', () => {
    expect(() => parseTrainArgs([...REQUIRED, '--tower-minutes', '-1'])).toThrow('--tower-minutes must be an integer in [1, 100000], got "-1".');
  });

  it('accepts --only with the two parts', () => {
    expect(parseTrainArgs([...REQUIRED, '--only', 'search-ranker'])).toMatchObject({ only: 'search-ranker' });
    expect(parseTrainArgs([...REQUIRED, '--only', 'query-encoder'])).toMatchObject({ only: 'query-encoder' });
    expect(() => parseTrainArgs([...REQUIRED, '--only', 'towers'])).toThrow(`--only must be 'query-encoder' or 'search-ranker', got "towers".`);
  });

  it('rejects an unknown option listing the options', () => {
    expect(() => parseTrainArgs([...REQUIRED, '--bogus'])).toThrow(/^Unknown option --bogus; the options are --data, --out, --dim,/);
  });

  it('rejects a missing value naming the allowed values', () => {
    expect(() => parseTrainArgs([...REQUIRED, '--dim'])).toThrow('--dim needs a value: an integer in [4, 1024].');
  });

  it('parses every option', () => {
    const args = [...REQUIRED, '--dim', '16', '--seq-len', '8', '--epochs', '0', '--max-users', '5', '--tower-minutes', '2', '--index', 'Flat', '--seed', '3', '--json'];
    expect(parseTrainArgs(args)).toEqual({
      data: 'demo', out: '/tmp/aisle-unused', dim: 16, seqLen: 8, epochs: 0, maxUsers: 5, towerMinutes: 2, index: 'Flat', seed: 3, json: true,
    });
  });

  it('exits 2 with one line and the usage', async () => {
    for (const bad of [['--dim', '-5'], ['--tower-minutes', '-1'], ['--bogus']]) {
      const { code, stderr } = await capture(() => runTrain([...REQUIRED, ...bad]));
      expect(code, bad.join(' ')).toBe(2);
      expect(stderr.split('\n')[0], bad.join(' ')).toContain(bad[0]);
      expect(stderr.split('\n')[1], bad.join(' ')).toBe('');
      expect(stderr, bad.join(' ')).toContain('Usage: aisle train');
      expect(stderr, bad.join(' ')).not.toMatch(/\n\s+at /);
    }
  });

  it('documents the minimum dataset size in --help', async () => {
    const { code, stdout } = await capture(() => runTrain(['--help']));
    expect(code).toBe(0);
    expect(stdout).toContain('at least 10 usable users, users with 3 or more events');
    expect(stdout).toContain('at least 2 items');
  });
});

describe('aisle eval options', () => {
  it('rejects a negative --seed naming the range', () => {
    expect(() => parseEvalArgs(['--models', 'm', '--data', 'demo', '--seed', '-3'])).toThrow('--seed must be an integer in [0, 2147483647], got "-3".');
  });

  it('needs --data or --all', () => {
    expect(() => parseEvalArgs([])).toThrow('--data (one dataset) or --all (every dataset under --data-root) is required.');
    expect(() => parseEvalArgs(['--all', '--data', 'demo'])).toThrow('give either --data or --all, not both.');
    expect(() => parseEvalArgs(['--all', '--models', 'm'])).toThrow('--models names one models directory and cannot be used with --all; use --models-root.');
    expect(() => parseEvalArgs(['--data', 'demo', '--data-root', 'x'])).toThrow('--data-root is only read with --all.');
  });

  it('parses --task search', () => {
    expect(parseEvalArgs(['--task', 'search', '--data', 'x'])).toMatchObject({ task: 'search', queries: 1000 });
    expect(parseEvalArgs(['--task', 'search', '--data', 'x', '--queries', '50'])).toMatchObject({ queries: 50 });
    expect(() => parseEvalArgs(['--task', 'rank', '--data', 'x'])).toThrow(`--task must be 'recommend', 'search' or 'tags', got "rank".`);
    expect(() => parseEvalArgs(['--task', 'search', '--all'])).toThrow('--task search runs on one dataset with item text; give --data instead of --all.');
  });

  it('reads the data root', () => {
    expect(parseEvalArgs(['--all'], { AISLE_DATA_DIR: '/data' })).toMatchObject({ target: { dataRoot: '/data' }, modelsRoot: '.cache/models', retrain: false });
    expect(parseEvalArgs(['--all', '--data-root', '/other'], { AISLE_DATA_DIR: '/data' })).toMatchObject({ target: { dataRoot: '/other' } });
    expect(parseEvalArgs(['--data', 'demo', '--tower-minutes', '15'])).toMatchObject({ target: { data: 'demo' }, towerMinutes: 15 });
  });

  it('lists known dataset directories', async () => {
    const root = await mkdtemp(join(tmpdir(), 'aisle-eval-root-'));
    try {
      await mkdir(join(root, 'b-movies'));
      await writeFile(join(root, 'b-movies', 'u.data'), '');
      await writeFile(join(root, 'b-movies', 'u.item'), '');
      await mkdir(join(root, 'a-notes'));
      await writeFile(join(root, 'a-notes', 'README.md'), '');
      await writeFile(join(root, 'loose-file.txt'), '');
      expect(await findDatasets(root)).toEqual([join(root, 'b-movies')]);
      await rm(join(root, 'b-movies'), { recursive: true });
      await expect(findDatasets(root)).rejects.toMatchObject({ code: 'AISLE_NOT_FOUND' });
      await expect(findDatasets(join(root, 'missing'))).rejects.toMatchObject({ code: 'AISLE_NOT_FOUND' });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('exits 2 on an unknown option', async () => {
    const { code, stderr } = await capture(() => runEval(['--models', 'm', '--data', 'demo', '--bogus']));
    expect(code).toBe(2);
    expect(stderr).toMatch(/^aisle eval: Unknown option --bogus; the options are --data, --task, --queries, --all,/);
    expect(stderr).toContain('Usage: aisle eval');
  });
});

describe('aisle main', () => {
  it('prints usage to stderr without a command', async () => {
    const { code, stdout, stderr } = await capture(() => main([]));
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('Usage: aisle <command>');
  });

  it('prints the package version', async () => {
    const { code, stdout } = await capture(() => main(['--version']));
    expect(code).toBe(0);
    expect(stdout).toBe('0.1.0\n');
  });
});
