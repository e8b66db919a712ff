/**
 * Latency and degraded counts of the SDK's calls, measured on the page from the call to its
 * result, so they include the worker round trip and any fallback. Each call name keeps its last
 * WINDOW latencies in a ring buffer, and percentiles are computed over that window on request.
 */
import type { LiveEventsStats } from './beacon.js';

/** Latencies kept per call name. */
export const STATS_WINDOW = 1000;

/** Latency summary of one call name, in milliseconds over the last STATS_WINDOW calls. */
export interface CallLatency {
  /** Calls since the engine started (all of them, not only the window). */
  count: number;
  /** Calls that returned a result with `degraded` set. */
  degraded: number;
  /** Calls that rejected. */
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/**
 * Returns the nearest-rank percentile `p` (0 to 100) of sorted values: the smallest value with at
 * least p % of the values at or below it. Returns 0 for no values.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

class LatencyWindow {
  readonly values = new Float64Array(STATS_WINDOW);
  size = 0;
  next = 0;
  count = 0;
  degraded = 0;
  errors = 0;

  add(ms: number): void {
    this.values[this.next] = ms;
    this.next = (this.next + 1) % STATS_WINDOW;
    this.size = Math.min(this.size + 1, STATS_WINDOW);
    this.count += 1;
  }

  summary(): CallLatency {
    const sorted = this.values.slice(0, this.size).sort();
    const max = this.size === 0 ? 0 : sorted[this.size - 1];
    return { count: this.count, degraded: this.degraded, errors: this.errors, p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max };
  }
}

/** Records SDK calls: latency per call name, and degraded results per error code. */
export class CallStats {
  private readonly calls = new Map<string, LatencyWindow>();
  private readonly degradedCodes = new Map<string, number>();

  /** Records one finished call; `degradedCode` is the code of a degraded result. */
  record(call: string, ms: number, outcome: { degradedCode?: string; error?: boolean } = {}): void {
    let window = this.calls.get(call);
    if (window === undefined) {
      window = new LatencyWindow();
      this.calls.set(call, window);
    }
    window.add(ms);
    if (outcome.error) window.errors += 1;
    if (outcome.degradedCode !== undefined) {
      window.degraded += 1;
      this.degradedCodes.set(outcome.degradedCode, (this.degradedCodes.get(outcome.degradedCode) ?? 0) + 1);
    }
  }

  /** Latency summaries per call name. */
  latencies(): Record<string, CallLatency> {
    return Object.fromEntries([...this.calls].map(([call, window]) => [call, window.summary()]));
  }

  /** Degraded results per error code. */
  degraded(): Record<string, number> {
    return Object.fromEntries(this.degradedCodes);
  }
}

/** Result of `stats()`: the SDK's health, as a storefront dashboard shows it. */
export interface AisleStats {
  /** Latency percentiles and counts per call name (track, recommend, rank, search). */
  calls: Record<string, CallLatency>;
  /** Degraded results per error code, over every call. */
  degraded: Record<string, number>;
  /** Backend running the models, or null when no model is loaded. */
  backend: 'wasm' | 'webgpu' | null;
  /** Code that scores candidates: 'js', 'ort', or null when no ranker is loaded. */
  ranker: 'js' | 'ort' | null;
  /** recommend() retrievals served from the candidate cache; `hitRatio` is null before the first one. */
  cache: { hits: number; misses: number; hitRatio: number | null };
  /** Counters of the anonymous events sent to the companion, or null when liveEvents is false. */
  liveEvents: LiveEventsStats | null;
}
