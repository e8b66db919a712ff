/**
 * Destinations of the events that POST /v1/events accepted. The in-process sink buffers them and, once per
 * flush interval, applies the buffer to a CounterStore and refreshes its snapshot. A store with
 * more traffic than one companion can count implements EventSink with a Kafka producer instead,
 * and a CounterStore that reads the stream processor's output (docs/scaling.md).
 */
import { AisleError } from '../../core/errors.js';
import type { LiveEvent } from '../../core/live-events.js';
import type { CounterStore } from './counter-store.js';

/** Destination of accepted events. */
export interface EventSink {
  /** Takes accepted events. The sink owns the array afterwards. */
  send(events: LiveEvent[]): void | Promise<void>;
  /** Delivers buffered events and stops timers. */
  close(): Promise<void>;
}

/** Options of InProcessEventSink. */
export interface InProcessSinkOptions {
  /** Milliseconds between flushes. Default 1000. */
  flushIntervalMs?: number;
  /** Buffered events that trigger a flush before the interval ends. Default 10000. */
  maxBuffered?: number;
  /** Clock in milliseconds since the Unix epoch; tests inject one. Default Date.now. */
  now?: () => number;
  /** Runs flushes on a timer. With false, only `flush()` and a full buffer flush. Default true. */
  timer?: boolean;
  /** Called with the error of a failed refresh; the next flush tries again. */
  onError?: (error: unknown) => void;
}

/** Buffers events and applies them to a CounterStore once per flush interval. */
export class InProcessEventSink implements EventSink {
  private readonly store: CounterStore;
  private readonly now: () => number;
  private readonly maxBuffered: number;
  private readonly onError: (error: unknown) => void;
  private buffer: LiveEvent[] = [];
  private interval: ReturnType<typeof setInterval> | undefined;
  // Flushes run one after another, so two refreshes of an asynchronous store never overlap.
  private flushing: Promise<void> = Promise.resolve();
  readonly flushIntervalMs: number;

  constructor(store: CounterStore, options: InProcessSinkOptions = {}) {
    const flushIntervalMs = options.flushIntervalMs ?? 1000;
    const maxBuffered = options.maxBuffered ?? 10_000;
    if (!Number.isFinite(flushIntervalMs) || flushIntervalMs < 10) {
      throw new AisleError('AISLE_INVALID_ARGUMENT', `Live events: flushIntervalMs must be at least 10 milliseconds, got ${String(flushIntervalMs)}.`);
    }
    if (!Number.isInteger(maxBuffered) || maxBuffered < 1) {
      throw new AisleError('AISLE_INVALID_ARGUMENT', `Live events: maxBuffered must be an integer ≥ 1, got ${String(maxBuffered)}.`);
    }
    this.store = store;
    this.now = options.now ?? Date.now;
    this.flushIntervalMs = flushIntervalMs;
    this.maxBuffered = maxBuffered;
    this.onError = options.onError ?? (() => {});
    if (options.timer ?? true) {
      this.interval = setInterval(() => void this.flush(), flushIntervalMs);
      // The timer alone must not keep a process alive after the server closed.
      this.interval.unref();
    }
  }

  /** Events waiting for the next flush. */
  get buffered(): number {
    return this.buffer.length;
  }

  send(events: LiveEvent[]): void {
    for (const event of events) this.buffer.push(event);
    if (this.buffer.length >= this.maxBuffered) void this.flush();
  }

  /** Applies the buffered events and refreshes the store's snapshot at the current time. */
  flush(): Promise<void> {
    const run = async (): Promise<void> => {
      const events = this.buffer;
      this.buffer = [];
      try {
        this.store.apply(events);
        await this.store.refresh(this.now());
      } catch (error) {
        this.onError(error);
      }
    };
    this.flushing = this.flushing.then(run);
    return this.flushing;
  }

  async close(): Promise<void> {
    if (this.interval !== undefined) clearInterval(this.interval);
    this.interval = undefined;
    await this.flush();
  }
}
