/**
 * A dependency-free SVG line chart for reports (NDCG@k curves and the like). The output is a
 * standalone SVG document that renders the same in a browser, in an <img> of a Markdown page and
 * inline in HTML.
 */

/** One line of the chart: a name for the legend and y values at the chart's x values. */
export interface Series {
  name: string;
  values: readonly number[];
}

/** Chart description: title, axis labels, x values and series. */
export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  x: readonly number[];
  series: readonly Series[];
  width?: number;
  height?: number;
}

/** Colour-blind-safe palette (Okabe–Ito order), cycled when there are more series. */
export const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#f0e442', '#000000'];
/** Space around the plot area: the title above, the legend on the right, axis labels below and left. */
export const MARGIN = { top: 36, right: 170, bottom: 48, left: 64 };

/** Returns the opening elements of a chart: the svg tag, a white background and the title. */
export function chartHeader(width: number, height: number, title: string): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${MARGIN.left}" y="20" font-size="14" font-weight="600">${escapeXml(title)}</text>`,
  ];
}

/** Renders the chart as an SVG document string. */
export function renderLineChart(chart: LineChart): string {
  const width = chart.width ?? 720;
  const height = chart.height ?? 400;
  const plotWidth = width - MARGIN.left - MARGIN.right;
  const plotHeight = height - MARGIN.top - MARGIN.bottom;
  const xMin = Math.min(...chart.x);
  const xMax = Math.max(...chart.x);
  const yMax = niceCeiling(Math.max(1e-9, ...chart.series.flatMap((series) => series.values.filter(Number.isFinite))));
  const px = (x: number): number => MARGIN.left + (xMax === xMin ? 0 : ((x - xMin) / (xMax - xMin)) * plotWidth);
  const py = (y: number): number => MARGIN.top + plotHeight - (y / yMax) * plotHeight;

  const parts = chartHeader(width, height, chart.title);
  for (const tick of ticks(0, yMax, 5)) {
    const y = py(tick).toFixed(1);
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${formatTick(tick)}</text>`);
  }
  for (const tick of ticks(xMin, xMax, 10)) {
    const x = px(tick).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${MARGIN.top + plotHeight}" y2="${MARGIN.top + plotHeight + 4}" stroke="#333"/>`);
    parts.push(`<text x="${x}" y="${MARGIN.top + plotHeight + 16}" text-anchor="middle">${formatTick(tick)}</text>`);
  }
  parts.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${MARGIN.left + plotWidth / 2}" y="${height - 10}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`);
  parts.push(`<text transform="translate(16 ${MARGIN.top + plotHeight / 2}) rotate(-90)" text-anchor="middle">${escapeXml(chart.yLabel)}</text>`);

  chart.series.forEach((series, i) => {
    const color = PALETTE[i % PALETTE.length];
    const points = series.values
      .map((value, j) => (Number.isFinite(value) && j < chart.x.length ? `${px(chart.x[j]).toFixed(1)},${py(value).toFixed(1)}` : ''))
      .filter((point) => point !== '')
      .join(' ');
    parts.push(`<polyline points="${points}" fill="none" stroke="${color}" stroke-width="2"/>`);
    const legendY = MARGIN.top + 8 + i * 18;
    const legendX = MARGIN.left + plotWidth + 12;
    parts.push(`<line x1="${legendX}" x2="${legendX + 18}" y1="${legendY}" y2="${legendY}" stroke="${color}" stroke-width="3"/>`);
    parts.push(`<text x="${legendX + 24}" y="${legendY}" dominant-baseline="middle">${escapeXml(series.name)}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Escapes the five XML special characters. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** Returns the smallest of 1, 2, 2.5, 5 × 10^n that is ≥ value. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** About `count` evenly spaced round values from low to high. */
function ticks(low: number, high: number, count: number): number[] {
  if (high <= low) return [low];
  const raw = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((s) => s * power).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let tick = Math.ceil(low / step) * step; tick <= high + step * 1e-9; tick += step) out.push(Number(tick.toPrecision(12)));
  return out;
}

function formatTick(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(3)));
}
