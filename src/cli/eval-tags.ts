/**
 * `aisle eval --task tags`: hides the attributes of one item in five, predicts them with every
 * tag method and prints P@3 and R@3 (stderr table, optional JSON on stdout and report files).
 */
import { basename, join, resolve } from 'node:path';
import { writeTagsReport } from '../training/report/tags-report.js';
import type { TagRow } from '../training/tags/evaluate-tags.js';
import { evaluateTagsTask } from '../training/tags/run.js';
import type { EvalArgs } from './eval.js';

/** Tower training budget of the tags evaluation when --tower-minutes is not given. */
export const DEFAULT_TAGS_TOWER_MINUTES = 5;

/** Runs `aisle eval --task tags`; `options` are the command's options that reproduce the run. */
export async function runTags(args: EvalArgs, options: readonly string[], log: (line: string) => void): Promise<number> {
  const data = (args.target as { data: string }).data;
  const command = ['aisle eval --task tags', ...options].join(' ');
  const cacheDir = join(args.modelsRoot, `${data === 'demo' ? 'demo' : basename(resolve(data))}-tags-holdout`);
  const report = await evaluateTagsTask({
    data, cacheDir, retrain: args.retrain, towerMinutes: args.towerMinutes ?? DEFAULT_TAGS_TOWER_MINUTES, maxUsers: args.maxUsers, seed: args.seed, command, log,
  });
  log(`\n${formatTagsTable(report.rows)}\n`);
  if (args.report) {
    const files = await writeTagsReport(args.report, report);
    log(`eval: tags report written to ${files.markdown} and ${files.chart}`);
  }
  if (args.json) {
    const rows = report.rows.map((row) => ({ method: row.method, items: row.items, 'P@3': row['P@3'], 'R@3': row['R@3'] }));
    process.stdout.write(`${JSON.stringify({ dataset: report.dataset, rows })}\n`);
  }
  return 0;
}

/** Formats the tags rows as an aligned text table. */
export function formatTagsTable(rows: readonly TagRow[]): string {
  const lines = rows.map((row) => `${row.method.padEnd(14)} ${String(row.items).padStart(6)} ${row['P@3'].toFixed(4).padStart(7)} ${row['R@3'].toFixed(4).padStart(7)}`);
  return [`${'method'.padEnd(14)} ${'items'.padStart(6)} ${'P@3'.padStart(7)} ${'R@3'.padStart(7)}`, ...lines].join('\n');
}
