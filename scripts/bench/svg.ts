/**
 * A small SVG line chart for benchmark plots: series of (x, y) points on linear or log10 axes,
 * with tick labels, a legend and labelled reference lines. The output is a standalone SVG file
 * with no script and no external font, so it renders the same on GitHub and in any browser.
 */

/** One line of the chart. */
export interface Series {
  name: string;
  /** Points in data units, drawn in the given order. */
  points: ReadonlyArray<readonly [number, number]>;
  /** CSS color; by default the next color of the palette. */
  color?: string;
  dashed?: boolean;
  /** Draw a dot at every point. Default true. */
  markers?: boolean;
}

/** A horizontal (y) or vertical (x) reference line with a label. */
export interface ReferenceLine {
  value: number;
  label: string;
}

/** Options of lineChart. */
export interface ChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  series: readonly Series[];
  xLog?: boolean;
  yLog?: boolean;
  /** Axis ranges in data units; by default the data range, widened to include reference lines. */
  xRange?: readonly [number, number];
  yRange?: readonly [number, number];
  hLines?: readonly ReferenceLine[];
  vLines?: readonly ReferenceLine[];
  /** Size in pixels. Default 720×420. */
  width?: number;
  height?: number;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const MARGIN = { left: 70, right: 20, top: 40, bottom: 90 };

/** Escapes text for an SVG text node or attribute. */
function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Formats a tick value with at most 3 significant digits and k/M suffixes. */
export function formatTick(value: number): string {
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6) return `${Number((value / 1e6).toPrecision(3))}M`;
  if (magnitude >= 1e4) return `${Number((value / 1e3).toPrecision(3))}k`;
  return String(Number(value.toPrecision(3)));
}

/** Returns about `count` round tick values (1, 2 or 5 times a power of 10) covering [low, high]. */
export function linearTicks(low: number, high: number, count = 6): number[] {
  if (!(high > low)) return [low];
  const raw = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let value = Math.ceil(low / step) * step; value <= high + step * 1e-9; value += step) ticks.push(Number(value.toPrecision(12)));
  return ticks;
}

/** Returns the powers of 10 in [low, high], with 2× and 5× steps added when there are fewer than 3. */
export function logTicks(low: number, high: number): number[] {
  const ticks: number[] = [];
  for (let exponent = Math.floor(Math.log10(low)); exponent <= Math.ceil(Math.log10(high)); exponent++) {
    for (const factor of [1, 2, 5]) {
      const value = factor * 10 ** exponent;
      if (value >= low * (1 - 1e-9) && value <= high * (1 + 1e-9)) ticks.push(value);
    }
  }
  const powers = ticks.filter((value) => Number.isInteger(Math.log10(value)));
  return powers.length >= 3 ? powers : ticks;
}

function dataRange(values: number[], isLog: boolean, given?: readonly [number, number]): [number, number] {
  if (given) return [given[0], given[1]];
  const usable = values.filter((value) => Number.isFinite(value) && (!isLog || value > 0));
  let low = Math.min(...usable);
  let high = Math.max(...usable);
  if (usable.length === 0) [low, high] = [isLog ? 1 : 0, isLog ? 10 : 1];
  if (low === high) return isLog ? [low / 2, high * 2] : [low - 1, high + 1];
  if (isLog) return [low / 1.15, high * 1.15];
  const pad = (high - low) * 0.05;
  return [low - pad, high + pad];
}

/** Maps data values of one axis to pixels. */
function scale(range: [number, number], isLog: boolean, from: number, to: number): (value: number) => number {
  const transform = (value: number) => (isLog ? Math.log10(value) : value);
  const [low, high] = [transform(range[0]), transform(range[1])];
  return (value) => from + ((transform(value) - low) / (high - low)) * (to - from);
}

/** Renders a line chart as SVG text. */
export function lineChart(options: ChartOptions): string {
  const width = options.width ?? 720;
  const height = options.height ?? 420;
  const plot = { left: MARGIN.left, right: width - MARGIN.right, top: MARGIN.top, bottom: height - MARGIN.bottom };
  const xValues = [...options.series.flatMap((series) => series.points.map(([x]) => x)), ...(options.vLines ?? []).map((line) => line.value)];
  const yValues = [...options.series.flatMap((series) => series.points.map(([, y]) => y)), ...(options.hLines ?? []).map((line) => line.value)];
  const xRange = dataRange(xValues, options.xLog ?? false, options.xRange);
  const yRange = dataRange(yValues, options.yLog ?? false, options.yRange);
  const x = scale(xRange, options.xLog ?? false, plot.left, plot.right);
  const y = scale(yRange, options.yLog ?? false, plot.bottom, plot.top);
  const inside = (px: number, py: number) => px >= plot.left - 0.5 && px <= plot.right + 0.5 && py >= plot.top - 0.5 && py <= plot.bottom + 0.5;

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  parts.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  parts.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(options.title)}</text>`);

  const xTicks = options.xLog ? logTicks(...xRange) : linearTicks(...xRange);
  const yTicks = options.yLog ? logTicks(...yRange) : linearTicks(...yRange);
  for (const tick of xTicks) {
    const px = x(tick);
    parts.push(`<line x1="${px.toFixed(1)}" y1="${plot.top}" x2="${px.toFixed(1)}" y2="${plot.bottom}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${px.toFixed(1)}" y="${plot.bottom + 16}" text-anchor="middle">${formatTick(tick)}</text>`);
  }
  for (const tick of yTicks) {
    const py = y(tick);
    parts.push(`<line x1="${plot.left}" y1="${py.toFixed(1)}" x2="${plot.right}" y2="${py.toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${plot.left - 6}" y="${(py + 4).toFixed(1)}" text-anchor="end">${formatTick(tick)}</text>`);
  }
  parts.push(`<rect x="${plot.left}" y="${plot.top}" width="${plot.right - plot.left}" height="${plot.bottom - plot.top}" fill="none" stroke="#333"/>`);
  parts.push(`<text x="${(plot.left + plot.right) / 2}" y="${plot.bottom + 36}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  parts.push(`<text transform="translate(18 ${(plot.top + plot.bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeXml(options.yLabel)}</text>`);

  for (const line of options.hLines ?? []) {
    const py = y(line.value).toFixed(1);
    parts.push(`<line x1="${plot.left}" y1="${py}" x2="${plot.right}" y2="${py}" stroke="#555" stroke-dasharray="2 3"/>`);
    parts.push(`<text x="${plot.right - 4}" y="${Number(py) - 4}" text-anchor="end" fill="#555">${escapeXml(line.label)}</text>`);
  }
  for (const line of options.vLines ?? []) {
    const px = x(line.value).toFixed(1);
    parts.push(`<line x1="${px}" y1="${plot.top}" x2="${px}" y2="${plot.bottom}" stroke="#555" stroke-dasharray="2 3"/>`);
    parts.push(`<text x="${Number(px) + 4}" y="${plot.top + 14}" fill="#555">${escapeXml(line.label)}</text>`);
  }

  options.series.forEach((series, i) => {
    const color = series.color ?? PALETTE[i % PALETTE.length];
    const pixels = series.points.map(([px, py]) => [x(px), y(py)] as const).filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py));
    if (pixels.length > 1) {
      const path = pixels.map(([px, py], j) => `${j === 0 ? 'M' : 'L'}${px.toFixed(1)} ${py.toFixed(1)}`).join(' ');
      parts.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="2"${series.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    }
    if (series.markers ?? true) {
      for (const [px, py] of pixels) if (inside(px, py)) parts.push(`<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="3" fill="${color}"/>`);
    }
  });

  // Legend below the x axis label, in rows of two entries.
  options.series.forEach((series, i) => {
    const color = series.color ?? PALETTE[i % PALETTE.length];
    const lx = plot.left + (i % 2) * ((plot.right - plot.left) / 2);
    const ly = plot.bottom + 56 + Math.floor(i / 2) * 16;
    parts.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 22}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${series.dashed ? ' stroke-dasharray="6 4"' : ''}/>`);
    parts.push(`<text x="${lx + 28}" y="${ly}">${escapeXml(series.name)}</text>`);
  });

  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
