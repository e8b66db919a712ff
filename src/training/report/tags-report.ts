/**
 * The tags report of `aisle eval --task tags --report DIR`: tags-<dataset>.md with the table and
 * what the methods saw, and tags-<dataset>.svg with P@3 and R@3 per method.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TagsReport } from '../tags/run.js';
import { renderBarChart } from './bar-chart.js';

/** Writes tags-<dataset>.md and tags-<dataset>.svg into `dir`; returns their paths. */
export async function writeTagsReport(dir: string, report: TagsReport): Promise<{ markdown: string; chart: string }> {
  await mkdir(dir, { recursive: true });
  const name = `tags-${report.dataset.replace(/[^A-Za-z0-9._-]/g, '_')}`;
  const chart = join(dir, `${name}.svg`);
  const markdown = join(dir, `${name}.md`);
  await writeFile(chart, tagsChart(report));
  await writeFile(markdown, renderTagsMarkdown(report, `${name}.svg`));
  return { markdown, chart };
}

/** P@3 and R@3 (groups) per method (bars). */
export function tagsChart(report: TagsReport): string {
  return renderBarChart({
    title: `${report.dataset}: tags of hidden items`,
    yLabel: 'precision@3 / recall@3',
    categories: ['P@3', 'R@3'],
    series: report.rows.map((row) => ({ name: row.method, values: [row['P@3'], row['R@3']] })),
  });
}

/** Renders the tags report as Markdown. */
export function renderTagsMarkdown(report: TagsReport, chartName: string): string {
  const out = [`## Tags: ${report.dataset}`, '', `Command: \`${report.command}\` (${report.date}).`, ''];
  out.push(
    `Attributes of ${report.hidden} items hidden, ${report.vocabulary} tags in the vocabulary. For a hidden item, a method reads ${report.inputs} (towers trained ${report.towerEpochs} epochs, weights of epoch ${report.bestEpoch} kept).`,
    '',
  );
  out.push('| method | items | P@3 | R@3 | seconds |', '|---|---|---|---|---|');
  for (const row of report.rows) out.push(`| ${row.method} | ${row.items} | ${row['P@3'].toFixed(4)} | ${row['R@3'].toFixed(4)} | ${row.seconds.toFixed(1)} |`);
  out.push('', `![Tags of hidden items on ${report.dataset}](${chartName})`, '');
  return out.join('\n');
}
