/**
 * A dependency-free SVG grouped bar chart for reports: one group per category, one bar per series.
 */
import { chartHeader, escapeXml, MARGIN, PALETTE } from './line-chart.js';

/** Chart description; `values[s][c]` is series s in category c. */
export interface BarChart {
  title: string;
  yLabel: string;
  categories: readonly string[];
  series: ReadonlyArray<{ name: string; values: readonly number[] }>;
  width?: number;
  height?: number;
}

/** Renders the chart as an SVG document string. */
export function renderBarChart(chart: BarChart): string {
  const width = chart.width ?? 720;
  const height = chart.height ?? 400;
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const top = Math.max(1e-9, ...chart.series.flatMap((series) => series.values.filter(Number.isFinite)));
  const yMax = Math.ceil((top * 1.15) / 10 ** Math.floor(Math.log10(top * 1.15))) * 10 ** Math.floor(Math.log10(top * 1.15));
  const groupWidth = plotWidth / Math.max(1, chart.categories.length);
  const barWidth = (groupWidth * 0.8) / Math.max(1, chart.series.length);
  const py = (y: number): number => MARGIN.top + plotHeight - (y / yMax) * plotHeight;

  const parts = chartHeader(width, height, chart.title);
  for (let i = 0; i <= 5; i++) {
    const value = (yMax * i) / 5;
    const y = py(value).toFixed(1);
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${Number(value.toPrecision(3))}</text>`);
  }
  chart.categories.forEach((category, c) => {
    const groupX = MARGIN.left + c * groupWidth + groupWidth * 0.1;
    parts.push(`<text x="${(groupX + groupWidth * 0.4).toFixed(1)}" y="${MARGIN.top + plotHeight + 16}" text-anchor="middle">${escapeXml(category)}</text>`);
    chart.series.forEach((series, s) => {
      const value = series.values[c];
      if (!Number.isFinite(value)) return;
      const x = groupX + s * barWidth;
      const y = py(value);
      parts.push(`<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barWidth - 1).toFixed(1)}" height="${(MARGIN.top + plotHeight - y).toFixed(1)}" fill="${PALETTE[s % PALETTE.length]}"/>`);
    });
  });
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`);
  parts.push(`<text transform="translate(16 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escapeXml(chart.yLabel)}</text>`);
  chart.series.forEach((series, s) => {
    const y = MARGIN.top + 8 + s * 18;
    const x = MARGIN.left + plotWidth + 12;
    parts.push(`<rect x="${x}" y="${y - 6}" width="14" height="12" fill="${PALETTE[s % PALETTE.length]}"/>`);
    parts.push(`<text x="${x + 20}" y="${y}" dominant-baseline="middle">${escapeXml(series.name)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
