/**
 * The read and write contract of live counters. The in-process DecayedCounterStore is the
 * default. A store that outgrows one companion keeps the same contract with counters computed in
 * a stream processor, as docs/scaling.md describes: `apply` is then never called on the
 * companion, and `refresh` pulls the processor's latest output into memory.
 */
import type { LiveEvent, LiveSignals } from '../../core/live-events.js';

/** An item of the trending list with its score. */
export interface TrendingEntry {
  itemId: string;
  /** Same value as LiveSignals.trending. */
  score: number;
}

/**
 * Per-item live counters. Reads are synchronous and come from the snapshot of the last
 * `refresh`, so a request never waits on the counter backend and all items of one response are
 * read at the same time.
 */
export interface CounterStore {
  /** Adds accepted events to the counters. Events may arrive late and out of order. */
  apply(events: readonly LiveEvent[]): void;
  /** Takes a new snapshot of signals and of the trending list as of `now` (milliseconds). */
  refresh(now: number): void | Promise<void>;
  /** Signals of an item in the current snapshot; every counter is 0 for an item without events. */
  signals(itemId: string): LiveSignals;
  /** Trending items of the current snapshot, best first, at most `k`. */
  trending(k: number): readonly TrendingEntry[];
  /** Version of the snapshot, incremented by every refresh; responses built from it may be cached until it changes. */
  readonly version: number;
}
