/**
 * The search report of `aisle eval --task search --report DIR`: search.md with the table per
 * query set and the example queries, and search-ndcg.svg with NDCG@10 per method and query set.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QUERY_SETS } from '../search/queries.js';
import { SEARCH_METHODS } from '../search/evaluate-search.js';
import type { SearchReport } from '../search/run.js';
import { renderBarChart } from './bar-chart.js';

/** Writes search.md and search-ndcg-<dataset>.svg into `dir`; returns their paths. */
export async function writeSearchReport(dir: string, report: SearchReport): Promise<{ markdown: string; chart: string }> {
  await mkdir(dir, { recursive: true });
  const chartName = `search-ndcg-${report.dataset.replace(/[^A-Za-z0-9._-]/g, '_')}.svg`;
  const chart = join(dir, chartName);
  const markdown = join(dir, 'search.md');
  await writeFile(chart, searchChart(report));
  await writeFile(markdown, renderSearchMarkdown(report, chartName));
  return { markdown, chart };
}

/** NDCG@10 per query set (groups) and method (bars). */
export function searchChart(report: SearchReport): string {
  const methods = [...new Set(report.rows.map((row) => row.method))];
  return renderBarChart({
    title: `${report.dataset}: search NDCG@10 by query set`,
    yLabel: 'NDCG@10',
    categories: [...QUERY_SETS],
    series: methods.map((method) => ({ name: method, values: QUERY_SETS.map((set) => report.rows.find((row) => row.method === method && row.queries === set)?.['NDCG@10'] ?? NaN) })),
  });
}

/** One query set's gains over the better single method (bm25 or vector). */
export interface HybridGain {
  queries: string;
  /** The better single method. */
  best: string;
  /** The better fusion without personalization, and its relative NDCG@10 gain. */
  fusion: string;
  fusionGain: number;
  /** The better hybrid of all (fusions with or without the personal rerank), and its gain. */
  hybrid: string;
  gain: number;
}

/** Returns the relative NDCG@10 gains of fusion, and of fusion plus personal rerank, per query set. */
export function hybridGains(report: SearchReport): HybridGain[] {
  return QUERY_SETS.map((set) => {
    const rows = report.rows.filter((row) => row.queries === set);
    const pick = (names: readonly string[]) => rows.filter((row) => names.includes(row.method)).sort((a, b) => b['NDCG@10'] - a['NDCG@10'])[0];
    const single = pick(['bm25', 'vector']);
    const fused = pick(['rrf', 'weighted', 'learned']);
    const hybrid = pick(['rrf', 'weighted', 'learned', 'rrf+personal', 'weighted+personal', 'learned+personal']);
    const over = (row: typeof single) => (single['NDCG@10'] > 0 ? row['NDCG@10'] / single['NDCG@10'] - 1 : 0);
    return { queries: set, best: single.method, fusion: fused.method, fusionGain: over(fused), hybrid: hybrid.method, gain: over(hybrid) };
  });
}

/** Renders the search report as Markdown. */
export function renderSearchMarkdown(report: SearchReport, chartName: string): string {
  const out = [`## Search: ${report.dataset}`, '', `Command: \`${report.command}\` (${report.date}).`, ''];
  out.push('| queries | method | Recall@10 | NDCG@10 | ms per query |', '|---|---|---|---|---|');
  for (const set of QUERY_SETS) {
    for (const method of SEARCH_METHODS) {
      const row = report.rows.find((r) => r.queries === set && r.method === method);
      if (row) out.push(`| ${set} (${row.count}) | ${method} | ${row['Recall@10'].toFixed(4)} | ${row['NDCG@10'].toFixed(4)} | ${row.msPerQuery.toFixed(2)} |`);
    }
    for (const row of report.rows.filter((r) => r.queries === set && !(SEARCH_METHODS as readonly string[]).includes(r.method))) {
      out.push(`| ${set} (${row.count}) | ${row.method} | ${row['Recall@10'].toFixed(4)} | ${row['NDCG@10'].toFixed(4)} | ${row.msPerQuery.toFixed(2)} |`);
    }
  }
  out.push('', `Weighted fusion weights (chosen on separate tuning queries): BM25 ${report.weights.bm25}, vector ${report.weights.vector}. Personal weight with the best NDCG@10 on the tuning queries: ${report.personalWeight}.`, '');
  const percent = (value: number) => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)}%`;
  for (const gain of hybridGains(report)) {
    out.push(`- ${gain.queries}: against ${gain.best}, ${gain.fusion} ${percent(gain.fusionGain)} and ${gain.hybrid} ${percent(gain.gain)} relative NDCG@10`);
  }
  out.push('', 'Example queries (clean → typo → close):', '');
  for (const example of report.examples) out.push(`- \`${example.clean}\` → \`${example.typo}\` → \`${example.close}\``);
  out.push('', `![Search NDCG@10 on ${report.dataset}](${chartName})`, '');
  return out.join('\n');
}
