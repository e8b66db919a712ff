/**
 * DecayedCounterStore: the in-process CounterStore. Each item of the catalog has six exponentially
 * decayed counters: one per event type, plus a short-window and a long-window counter of all four
 * types that give the trending score. A counter is a value and the time it was last brought up to
 * date, so an event costs O(1) and nothing runs between events:
 *
 *   value(t) = value(t0) · 2^(-(t - t0) / halfLife)
 *
 * A counter with half-life h fed at a steady rate r per millisecond settles at r·h/ln 2. Scaling the
 * short counter by hLong/hShort therefore makes both counters equal at any steady rate, and the
 * trending score compares them:
 *
 *   trending = (short · hLong / hShort) / (long + prior) − 1
 *
 * The prior (a count of events) keeps an item with one or two events from outranking a busy item
 * that doubled its rate. Memory is a few typed arrays over the catalog, whatever the event rate.
 */
import { AisleError } from '../../core/errors.js';
import { LIVE_EVENT_TYPES, type LiveEvent, type LiveEventType, type LiveSignals } from '../../core/live-events.js';
import type { CounterStore, TrendingEntry } from './counter-store.js';

const HOUR_MS = 3_600_000;

/** Half-lives and thresholds of the live counters. Every duration is in milliseconds. */
export interface LiveCounterOptions {
  /** Half-life of each event type's counter. Defaults: view and click 12 h, add_to_cart 24 h, purchase 72 h. */
  halfLivesMs?: Partial<Record<LiveEventType, number>>;
  /** Half-life of the short-window counter of the trending score. Default 1 h. */
  trendingShortMs?: number;
  /** Half-life of the long-window counter of the trending score. Default 24 h. */
  trendingLongMs?: number;
  /** Events added to the long-window counter in the trending score. Default 20. */
  trendingPrior?: number;
  /** Smallest short-window counter of an item in the trending list. Default 5. */
  minTrendingCount?: number;
  /** Smallest trending score of an item in the trending list. Default 1 (twice the usual rate). */
  minTrendingScore?: number;
  /** Maximum length of the trending list of a snapshot. Default 1000. */
  maxTrending?: number;
}

/** LiveCounterOptions with every default filled in. */
export type ResolvedLiveCounterOptions = Required<Omit<LiveCounterOptions, 'halfLivesMs'>> & { halfLivesMs: Record<LiveEventType, number> };

export const DEFAULT_LIVE_COUNTERS: ResolvedLiveCounterOptions = {
  halfLivesMs: { view: 12 * HOUR_MS, click: 12 * HOUR_MS, add_to_cart: 24 * HOUR_MS, purchase: 72 * HOUR_MS },
  trendingShortMs: HOUR_MS,
  trendingLongMs: 24 * HOUR_MS,
  trendingPrior: 20,
  minTrendingCount: 5,
  minTrendingScore: 1,
  maxTrending: 1000,
};

// Counter columns of one item: the four event types in LIVE_EVENT_TYPES order, then short and long.
const SHORT = LIVE_EVENT_TYPES.length;
const LONG = SHORT + 1;
const COLUMNS = LONG + 1;
const TYPE_COLUMN: Record<LiveEventType, number> = { view: 0, click: 1, add_to_cart: 2, purchase: 3 };

function checkPositive(name: string, value: number, allowZero = false): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    const expected = allowZero ? 'a finite number ≥ 0' : 'a finite number > 0';
    throw new AisleError('AISLE_INVALID_ARGUMENT', `Live counters: ${name} must be ${expected}, got ${String(value)}.`);
  }
}

/** Applies defaults and checks the options; throws AISLE_INVALID_ARGUMENT naming a bad value. */
export function resolveLiveCounterOptions(options: LiveCounterOptions = {}): ResolvedLiveCounterOptions {
  const resolved: ResolvedLiveCounterOptions = { ...DEFAULT_LIVE_COUNTERS, ...options, halfLivesMs: { ...DEFAULT_LIVE_COUNTERS.halfLivesMs, ...options.halfLivesMs } };
  for (const type of LIVE_EVENT_TYPES) checkPositive(`halfLivesMs.${type}`, resolved.halfLivesMs[type]);
  checkPositive('trendingShortMs', resolved.trendingShortMs);
  checkPositive('trendingLongMs', resolved.trendingLongMs);
  if (resolved.trendingShortMs >= resolved.trendingLongMs) {
    throw new AisleError('AISLE_INVALID_ARGUMENT', `Live counters: trendingShortMs (${resolved.trendingShortMs}) must be smaller than trendingLongMs (${resolved.trendingLongMs}).`);
  }
  checkPositive('trendingPrior', resolved.trendingPrior, true);
  checkPositive('minTrendingCount', resolved.minTrendingCount, true);
  if (typeof resolved.minTrendingScore !== 'number' || !Number.isFinite(resolved.minTrendingScore)) {
    throw new AisleError('AISLE_INVALID_ARGUMENT', `Live counters: minTrendingScore must be a finite number, got ${String(resolved.minTrendingScore)}.`);
  }
  if (!Number.isInteger(resolved.maxTrending) || resolved.maxTrending < 1) {
    throw new AisleError('AISLE_INVALID_ARGUMENT', `Live counters: maxTrending must be an integer ≥ 1, got ${String(resolved.maxTrending)}.`);
  }
  return resolved;
}

/** Item ids of a catalog by position; the catalog may grow while the companion runs. */
export interface CounterCatalog {
  readonly size: number;
  idAt(index: number): string;
  indexOf(itemId: string): number | undefined;
}

/** Decays `value`, last updated at `updatedAt`, to time `at`; a later update time is not decayed. */
function decay(value: number, updatedAt: number, at: number, halfLife: number): number {
  return at > updatedAt ? value * 2 ** (-(at - updatedAt) / halfLife) : value;
}

/** Live counters of the items of one catalog, kept in memory. */
export class DecayedCounterStore implements CounterStore {
  private readonly options: ResolvedLiveCounterOptions;
  private readonly halfLives: Float64Array;
  private readonly catalog: CounterCatalog;
  // Arrays over catalog indices, grown when items are added to the catalog.
  private capacity: number;
  private values: Float64Array;
  private updatedAt: Float64Array;
  private lastEventAt: Float64Array;
  private isTouched: Uint8Array;
  // Catalog indices of items with at least one event, so a refresh skips the others.
  private readonly touched: number[] = [];
  private at = 0;
  private list: TrendingEntry[] = [];
  private snapshotVersion = 0;

  /** Events of ids that `catalog` does not contain are ignored, because the ingest route rejects them first. */
  constructor(catalog: CounterCatalog, options: LiveCounterOptions = {}) {
    this.options = resolveLiveCounterOptions(options);
    const { halfLivesMs, trendingShortMs, trendingLongMs } = this.options;
    this.halfLives = Float64Array.from([...LIVE_EVENT_TYPES.map((type) => halfLivesMs[type]), trendingShortMs, trendingLongMs]);
    this.catalog = catalog;
    this.capacity = catalog.size;
    this.values = new Float64Array(this.capacity * COLUMNS);
    this.updatedAt = new Float64Array(this.capacity * COLUMNS);
    this.lastEventAt = new Float64Array(this.capacity).fill(Number.NaN);
    this.isTouched = new Uint8Array(this.capacity);
  }

  // Grows the arrays to hold `index`, for items added to the catalog after start-up.
  private ensureCapacity(index: number): void {
    if (index < this.capacity) return;
    const capacity = Math.max(index + 1, 2 * this.capacity);
    const grow = <T extends Float64Array | Uint8Array>(old: T, size: number, fill?: number): T => {
      const next = new (old.constructor as new (length: number) => T)(size);
      if (fill !== undefined) next.fill(fill);
      next.set(old);
      return next;
    };
    this.values = grow(this.values, capacity * COLUMNS);
    this.updatedAt = grow(this.updatedAt, capacity * COLUMNS);
    this.lastEventAt = grow(this.lastEventAt, capacity, Number.NaN);
    this.isTouched = grow(this.isTouched, capacity);
    this.capacity = capacity;
  }

  get version(): number {
    return this.snapshotVersion;
  }

  /** Number of items with at least one event. */
  get itemsWithEvents(): number {
    return this.touched.length;
  }

  apply(events: readonly LiveEvent[]): void {
    for (const event of events) {
      const index = this.catalog.indexOf(event.item);
      if (index === undefined) continue;
      this.ensureCapacity(index);
      this.add(index, TYPE_COLUMN[event.type], event.time);
      this.add(index, SHORT, event.time);
      this.add(index, LONG, event.time);
      if (!(this.lastEventAt[index] >= event.time)) this.lastEventAt[index] = event.time;
      if (this.isTouched[index] === 0) {
        this.isTouched[index] = 1;
        this.touched.push(index);
      }
    }
  }

  // Adds one event at `time` to a counter. An event older than the counter's last update (late or
  // out of order) adds its weight decayed to that update, so the order of arrival does not matter.
  private add(index: number, column: number, time: number): void {
    const slot = index * COLUMNS + column;
    const updated = this.updatedAt[slot];
    const halfLife = this.halfLives[column];
    if (time >= updated) {
      this.values[slot] = decay(this.values[slot], updated, time, halfLife) + 1;
      this.updatedAt[slot] = time;
    } else {
      this.values[slot] += 2 ** (-(updated - time) / halfLife);
    }
  }

  refresh(now: number): void {
    this.at = now;
    const { minTrendingCount, minTrendingScore, maxTrending } = this.options;
    const entries: Array<TrendingEntry & { index: number }> = [];
    for (const index of this.touched) {
      if (this.counter(index, SHORT) < minTrendingCount) continue;
      const score = this.trendingScore(index);
      if (score >= minTrendingScore) entries.push({ itemId: this.catalog.idAt(index), score, index });
    }
    entries.sort((a, b) => b.score - a.score || a.index - b.index);
    this.list = entries.slice(0, maxTrending).map(({ itemId, score }) => ({ itemId, score }));
    this.snapshotVersion += 1;
  }

  private counter(index: number, column: number): number {
    const slot = index * COLUMNS + column;
    return decay(this.values[slot], this.updatedAt[slot], this.at, this.halfLives[column]);
  }

  private trendingScore(index: number): number {
    const { trendingShortMs, trendingLongMs, trendingPrior } = this.options;
    const long = this.counter(index, LONG) + trendingPrior;
    if (long === 0) return 0;
    return (this.counter(index, SHORT) * (trendingLongMs / trendingShortMs)) / long - 1;
  }

  signals(itemId: string): LiveSignals {
    const index = this.catalog.indexOf(itemId);
    if (index === undefined || index >= this.capacity || this.isTouched[index] === 0) {
      return { views: 0, clicks: 0, addToCart: 0, purchases: 0, trending: 0, lastEventAt: null, at: this.at };
    }
    return {
      views: this.counter(index, TYPE_COLUMN.view),
      clicks: this.counter(index, TYPE_COLUMN.click),
      addToCart: this.counter(index, TYPE_COLUMN.add_to_cart),
      purchases: this.counter(index, TYPE_COLUMN.purchase),
      trending: this.trendingScore(index),
      lastEventAt: this.lastEventAt[index],
      at: this.at,
    };
  }

  trending(k: number): readonly TrendingEntry[] {
    return this.list.slice(0, k);
  }
}
