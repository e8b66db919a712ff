/**
 * The evaluation report of `aisle eval --report DIR`: a Markdown page with one table per dataset
 * (Aisle's rows, the sampled secondary rows, published figures, the distillation loss), an SVG
 * NDCG@k chart per dataset, and an HTML page that shows the same tables with the charts inline.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { METRIC_NAMES, type ResultsJson } from '../evaluate.js';
import { escapeXml, renderLineChart } from './line-chart.js';
import { PUBLISHED, TARGETS } from './published.js';

/** One dataset's results plus how they were produced. */
export interface DatasetReport {
  results: ResultsJson;
  /** The command that produced the models and the rows. */
  command: string;
  /** Wall-clock seconds of training, when the models were trained by this run. */
  trainSeconds?: number;
  /** ISO time of the run. */
  date: string;
}

/** Files written by `writeReport`. */
export interface ReportFiles {
  markdown: string;
  html: string;
  charts: string[];
}

/** The model whose rows are the served pipeline. */
export const SERVED_MODEL = 'student-int8';

/** Writes report.md, report.html and one ndcg-at-k-<dataset>.svg per dataset into `dir`. */
export async function writeReport(dir: string, reports: readonly DatasetReport[]): Promise<ReportFiles> {
  await mkdir(dir, { recursive: true });
  const charts: string[] = [];
  for (const report of reports) {
    const svg = ndcgChart(report.results);
    if (!svg) continue;
    const file = join(dir, chartFileName(report.results.dataset));
    await writeFile(file, svg);
    charts.push(file);
  }
  const markdown = join(dir, 'report.md');
  const html = join(dir, 'report.html');
  await writeFile(markdown, renderMarkdown(reports));
  await writeFile(html, renderHtml(reports));
  return { markdown, html, charts };
}

/** File name of a dataset's NDCG@k chart. */
export function chartFileName(dataset: string): string {
  return `ndcg-at-k-${dataset.replace(/[^A-Za-z0-9._-]/g, '_')}.svg`;
}

/** Renders the NDCG@k chart of one dataset, or returns undefined when the results have no curves. */
export function ndcgChart(results: ResultsJson): string | undefined {
  if (!results.ndcgAtK) return undefined;
  return renderLineChart({
    title: `${results.dataset}: NDCG@k, full ranking`,
    xLabel: 'k',
    yLabel: 'NDCG@k',
    x: results.ndcgAtK.k,
    series: Object.entries(results.ndcgAtK.models).map(([name, values]) => ({ name, values })),
  });
}

/** Formats the distillation line of a dataset, or returns undefined when the teacher was not evaluated. */
export function distillationLine(results: ResultsJson): string | undefined {
  const loss = results.distillation;
  if (!loss) return undefined;
  const percent = (value: number): string => `${(value * 100).toFixed(1)}%`;
  const verdict = loss.relativeLoss <= DISTILLATION_BUDGET ? 'within' : 'over';
  return (
    `Distillation and int8 quantization together: NDCG@10 ${format(loss.served)} against the teacher's ${format(loss.teacher)}, ` +
    `a relative loss of ${percent(loss.relativeLoss)} (paired standard error ${percent(loss.standardError)}), ${verdict} the ${percent(DISTILLATION_BUDGET)} budget.`
  );
}

/** Largest relative NDCG@10 loss of the served student against the teacher that the targets allow. */
export const DISTILLATION_BUDGET = 0.02;

/** Target check lines of a dataset with targets: "met" or "missed" per metric. */
export function targetLines(results: ResultsJson): string[] {
  const target = TARGETS[results.dataset];
  const served = results.rows.find((row) => row.model === SERVED_MODEL);
  if (!target || !served) return [];
  return (['HR@10', 'NDCG@10'] as const).map((metric) => `${metric} ${format(served[metric])} against the target ${format(target[metric])}: ${served[metric] >= target[metric] ? 'met' : 'missed'}`);
}

/** Renders every dataset's tables as Markdown. */
export function renderMarkdown(reports: readonly DatasetReport[]): string {
  const out: string[] = ['# Aisle evaluation report', ''];
  for (const report of reports) {
    const { results } = report;
    out.push(`## ${results.dataset}`, '');
    out.push(`Command: \`${report.command}\` (${report.date}${report.trainSeconds === undefined ? '' : `, training ${formatDuration(report.trainSeconds)}`}).`, '');
    out.push(`Protocol: ${results.protocol}.`, '');
    out.push(`| model | ${METRIC_NAMES.join(' | ')} |`, `|---|${METRIC_NAMES.map(() => '---|').join('')}`);
    for (const row of results.rows) {
      const bold = row.model === SERVED_MODEL;
      const cell = (text: string): string => (bold ? `**${text}**` : text);
      out.push(`| ${cell(row.model === SERVED_MODEL ? `${row.model} (served)` : row.model)} | ${METRIC_NAMES.map((name) => cell(format(row[name]))).join(' | ')} |`);
    }
    for (const row of PUBLISHED[results.dataset] ?? []) out.push(`| ${row.model}, published (${row.source}) | ${format(row['HR@10'])} | ${format(row['NDCG@10'])} | | | |`);
    out.push('');
    const distillation = distillationLine(results);
    if (distillation) out.push(distillation, '');
    const targets = targetLines(results);
    for (const line of targets) out.push(`- ${line}`);
    if (targets.length > 0) out.push('');
    if (results.sampled) {
      out.push(`Secondary figure, ${results.sampled.protocol}:`, '');
      out.push('| model | HR@10 | NDCG@10 |', '|---|---|---|');
      for (const row of results.sampled.rows) out.push(`| ${row.model} | ${format(row['HR@10'])} | ${format(row['NDCG@10'])} |`);
      out.push('');
    }
    if (results.cold) {
      out.push(`Cold targets: the ${results.cold.users} users whose test item occurs at most ${results.cold.maxInteractions} times in all histories:`, '');
      out.push('| model | HR@10 | NDCG@10 |', '|---|---|---|');
      for (const row of results.cold.rows) out.push(`| ${row.model} | ${format(row['HR@10'])} | ${format(row['NDCG@10'])} |`);
      out.push('');
    }
    if (results.ndcgAtK) out.push(`![NDCG@k on ${results.dataset}](${chartFileName(results.dataset)})`, '');
  }
  return out.join('\n');
}

/** Renders the report as one HTML page with the charts inline. */
export function renderHtml(reports: readonly DatasetReport[]): string {
  const sections = reports.map((report) => {
    const { results } = report;
    const header = `<tr><th>model</th>${METRIC_NAMES.map((name) => `<th>${name}</th>`).join('')}</tr>`;
    const rows = results.rows.map((row) => `<tr${row.model === SERVED_MODEL ? ' class="served"' : ''}><td>${escapeXml(row.model)}</td>${METRIC_NAMES.map((name) => `<td>${format(row[name])}</td>`).join('')}</tr>`);
    const published = (PUBLISHED[results.dataset] ?? []).map((row) => `<tr class="published"><td>${escapeXml(`${row.model}, published (${row.source})`)}</td><td>${format(row['HR@10'])}</td><td>${format(row['NDCG@10'])}</td><td></td><td></td><td></td></tr>`);
    const distillation = distillationLine(results);
    const notes = [...(distillation ? [distillation] : []), ...targetLines(results)];
    return [
      `<section><h2>${escapeXml(results.dataset)}</h2>`,
      `<p><code>${escapeXml(report.command)}</code> · ${escapeXml(report.date)}</p>`,
      `<table>${header}${rows.join('')}${published.join('')}</table>`,
      ...notes.map((note) => `<p>${escapeXml(note)}</p>`),
      ndcgChart(results) ?? '',
      '</section>',
    ].join('\n');
  });
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><title>Aisle evaluation report</title>',
    '<style>body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}tr.served{font-weight:600}tr.published{color:#555}</style>',
    '</head><body><h1>Aisle evaluation report</h1>',
    ...sections,
    '</body></html>',
    '',
  ].join('\n');
}

function format(value: number): string {
  return value.toFixed(4);
}

function formatDuration(seconds: number): string {
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes} min ${Math.round(seconds - minutes * 60)} s` : `${seconds.toFixed(0)} s`;
}
