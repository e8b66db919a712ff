/**
 * Live plot of the SDK's stats() in the status panel: recommend() latency (p50 and p95 of the
 * page-measured calls) over the last minute, with the candidate cache hit ratio, degraded results
 * and the live events sent to the companion.
 */
import { formatMs, h } from '../dom.js';
import type { EngineStats } from '../engine.js';

/** Samples kept: one per poll, so about a minute at one poll per second. */
const SAMPLES = 60;
const WIDTH = 180;
const HEIGHT = 30;

/** Returns the points attribute of an SVG polyline over `values`, scaled so `max` is the top. */
function points(values: number[], max: number): string {
  const step = WIDTH / (SAMPLES - 1);
  const offset = SAMPLES - values.length;
  return values.map((value, i) => `${((offset + i) * step).toFixed(1)},${(HEIGHT - 1 - (value / max) * (HEIGHT - 2)).toFixed(1)}`).join(' ');
}

/** The chart element and the samples it shows. */
export class StatsChart {
  readonly element: HTMLElement;
  private readonly plot = h('span', { class: 'stats-plot' });
  private readonly summary = h('span', { class: 'stats-summary', data: { testid: 'stats-summary' }, text: 'No recommend() call yet.' });
  private readonly p50: number[] = [];
  private readonly p95: number[] = [];

  constructor() {
    this.element = h('div', { class: 'stats-chart', data: { testid: 'stats-chart' }, attrs: { title: 'recommend() latency measured on this page: p50 (solid) and p95 (dashed)' } }, this.plot, this.summary);
  }

  /** Adds one stats() sample and redraws. */
  push(stats: EngineStats): void {
    const recommend = stats.calls?.recommend;
    if (!recommend || recommend.count === 0) return;
    this.p50.push(recommend.p50);
    this.p95.push(recommend.p95);
    if (this.p50.length > SAMPLES) {
      this.p50.shift();
      this.p95.shift();
    }

    const max = Math.max(1, ...this.p95);
    // The markup is built here from numbers only, never from catalog text.
    this.plot.innerHTML =
      `<svg width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="recommend latency">` +
      `<polyline fill="none" stroke="#fb923c" stroke-width="1" stroke-dasharray="3 2" points="${points(this.p95, max)}"/>` +
      `<polyline fill="none" stroke="#34d399" stroke-width="1.5" points="${points(this.p50, max)}"/></svg>`;

    const ratio = stats.cache?.hitRatio;
    const degraded = Object.values(stats.degraded ?? {}).reduce((sum, count) => sum + count, 0);
    const parts = [
      `recommend p50 ${formatMs(recommend.p50)} · p95 ${formatMs(recommend.p95)} (${recommend.count} calls)`,
      `cache hits ${ratio === null || ratio === undefined ? '—' : `${Math.round(ratio * 100)}%`}`,
      `degraded ${degraded}`,
    ];
    if (stats.liveEvents) parts.push(`live events sent ${stats.liveEvents.sentEvents}`);
    this.summary.textContent = parts.join(' · ');
  }
}
