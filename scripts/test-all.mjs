#!/usr/bin/env node
// Runs the whole test suite: builds what the tests need (the FAISS addon, the SDK, the demo),
// then the Vitest unit tests and the Playwright browser tests, and prints one closing line
// `N passed, N failed, N skipped` that CI reads. Each runner writes a JSON report that is
// counted here, so the line covers both suites.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const reportDir = join(process.cwd(), 'test-results');
mkdirSync(reportDir, { recursive: true });
const only = process.argv[2]; // 'unit' or 'browser' to run one suite

function step(title, command, args, env = {}) {
  process.stderr.write(`\n=== ${title}: ${command} ${args.join(' ')}\n`);
  const result = spawnSync(command, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  return result.status ?? 1;
}

function countVitest(file) {
  if (!existsSync(file)) return null;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  return { passed: report.numPassedTests, failed: report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0), skipped: report.numPendingTests + report.numTodoTests };
}

function countPlaywright(file) {
  if (!existsSync(file)) return null;
  const stats = JSON.parse(readFileSync(file, 'utf8')).stats;
  return { passed: stats.expected + stats.flaky, failed: stats.unexpected, skipped: stats.skipped };
}

const totals = { passed: 0, failed: 0, skipped: 0 };
let exitCode = 0;

if (step('build FAISS addon', 'npm', ['run', 'build:native']) !== 0) exitCode = 1;

if (only !== 'browser') {
  const file = join(reportDir, 'vitest.json');
  const status = step('unit tests', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${file}`]);
  const counts = countVitest(file);
  if (counts) for (const key of Object.keys(totals)) totals[key] += counts[key];
  if (status !== 0) exitCode = 1;
  if (status !== 0 && (!counts || counts.failed === 0)) totals.failed += 1; // the runner itself failed
}

if (only !== 'unit') {
  let built = step('build SDK', 'npm', ['run', 'build:sdk']) === 0;
  built = built && step('build demo', 'npm', ['run', 'build:demo']) === 0;
  if (!built) {
    exitCode = 1;
    totals.failed += 1;
  } else {
    const file = join(reportDir, 'playwright.json');
    const status = step('browser tests', 'npx', ['playwright', 'test', '--reporter=list,json'], { PLAYWRIGHT_JSON_OUTPUT_NAME: file });
    const counts = countPlaywright(file);
    if (counts) for (const key of Object.keys(totals)) totals[key] += counts[key];
    if (status !== 0) exitCode = 1;
    if (status !== 0 && (!counts || counts.failed === 0)) totals.failed += 1;
  }
}

process.stdout.write(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`);
process.exit(exitCode);
