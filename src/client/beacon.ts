/**
 * The page side of live signals: tracked events leave the device as anonymous batches for the
 * companion's POST /v1/events. This runs on the page, not in the worker, because
 * navigator.sendBeacon exists only on a window's navigator and page-hide events fire only there.
 *
 * What leaves the device: for each view, click, add_to_cart or purchase event, its item id, its
 * type and its time rounded down to the minute. Nothing else: no device, user or session id, no
 * event id or position, and no list id but the random ranking id of a list shown by an experiment
 * (on its exposure, which also carries the device bucket, and on its outcomes). Each batch is
 * shuffled before it is sent, so its order does not reveal the order of the shopper's events. The
 * minute resolution changes counters with hour-long half-lives by about 1 %, and it keeps the
 * times of one batch from restoring that order.
 */
import { AisleError } from '../core/errors.js';
import { type ExposureEvent, LIVE_EVENT_TYPES, MAX_LIVE_BATCH, type LiveEvent, type LiveEventType } from '../core/live-events.js';

/** Options of live events in createAisle. */
export interface LiveEventsOptions {
  /** Events that trigger a send before the interval ends, 1 to 500. Default 20. */
  maxBatch?: number;
  /** Milliseconds an event waits at most before it is sent, 100 to 600000. Default 5000. */
  flushMs?: number;
}

/** Counters of the live events this page sent. */
export interface LiveEventsStats {
  /** Events waiting for the next send. */
  queued: number;
  /** Events handed to fetch or sendBeacon. */
  sentEvents: number;
  /** Batches sent with fetch (size or time flush) that the companion accepted. */
  fetchBatches: number;
  /** Batches queued with navigator.sendBeacon when the page was hidden or closed. */
  beaconBatches: number;
  /** Batches that failed (network error, HTTP error or a full beacon queue); their events are dropped. */
  failedBatches: number;
}

/** Browser APIs of the sender; tests pass their own. */
export interface BeaconEnvironment {
  fetch?: typeof fetch;
  sendBeacon?: (url: string, data: string) => boolean;
  /** Random numbers in [0, 1) for the shuffle. Default Math.random. */
  random?: () => number;
  /** Target of pagehide (the window). */
  window?: Pick<Window, 'addEventListener' | 'removeEventListener'>;
  /** Target of visibilitychange (the document), read for `visibilityState`. */
  document?: Pick<Document, 'addEventListener' | 'removeEventListener' | 'visibilityState'>;
}

const LIVE_TYPES: ReadonlySet<string> = new Set(LIVE_EVENT_TYPES);
const MINUTE_MS = 60_000;

/** Checks the liveEvents option of createAisle; returns null when live events are off. */
export function resolveLiveEventsOption(value: unknown): Required<LiveEventsOptions> | null {
  if (value === false) return null;
  if (value === undefined || value === true) return { maxBatch: 20, flushMs: 5000 };
  const invalid = (name: string, expected: string, got: unknown) => new AisleError('AISLE_INVALID_ARGUMENT', `createAisle(): option ${name} must be ${expected}; got ${String(got)}.`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('liveEvents', 'true, false or { maxBatch, flushMs }', value);
  const { maxBatch = 20, flushMs = 5000 } = value as LiveEventsOptions;
  if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > MAX_LIVE_BATCH) throw invalid('liveEvents.maxBatch', `an integer from 1 to ${MAX_LIVE_BATCH}`, maxBatch);
  if (typeof flushMs !== 'number' || !(flushMs >= 100 && flushMs <= 600_000)) throw invalid('liveEvents.flushMs', 'milliseconds from 100 to 600000', flushMs);
  return { maxBatch, flushMs };
}

/** Returns `time` rounded down to the minute. */
export function toMinute(time: number): number {
  return Math.floor(time / MINUTE_MS) * MINUTE_MS;
}

/**
 * Returns the live event of a tracked event, or null for a type the counters do not use.
 * `ranking` is the experiment ranking id of the list the item was shown in, if any.
 */
export function toLiveEvent(type: string, itemId: string | undefined, time: number, ranking?: string): LiveEvent | null {
  if (!LIVE_TYPES.has(type) || typeof itemId !== 'string') return null;
  const event: LiveEvent = { item: itemId, type: type as LiveEventType, time: toMinute(time) };
  if (ranking !== undefined) event.ranking = ranking;
  return event;
}

/** Batches live events and sends them to the companion. */
export class LiveEventSender {
  private readonly url: string;
  private readonly options: Required<LiveEventsOptions>;
  private readonly env: BeaconEnvironment;
  private queue: Array<LiveEvent | ExposureEvent> = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  /**
   * Returns events to send with the batch of a page hide (and of close()), such as exposures that
   * count once the page goes away. Called before the queue is taken.
   */
  beforeHide?: () => Array<LiveEvent | ExposureEvent>;
  private readonly counters = { sentEvents: 0, fetchBatches: 0, beaconBatches: 0, failedBatches: 0 };
  private readonly onHide = (): void => this.flushOnHide();
  private readonly onVisibility = (): void => {
    if (this.env.document?.visibilityState === 'hidden') this.flushOnHide();
  };

  constructor(endpoint: string, options: Required<LiveEventsOptions>, env: BeaconEnvironment = defaultEnvironment()) {
    this.url = `${endpoint}/v1/events`;
    this.options = options;
    this.env = env;
    // visibilitychange to hidden is the last event that fires reliably on mobile browsers, which
    // often skip pagehide and unload when an app is switched away. pagehide covers desktop closes.
    env.window?.addEventListener('pagehide', this.onHide);
    env.document?.addEventListener('visibilitychange', this.onVisibility);
  }

  /** A copy of the counters. */
  get stats(): LiveEventsStats {
    return { queued: this.queue.length, ...this.counters };
  }

  /** Queues one event; a full batch is sent at once, otherwise within flushMs. */
  add(event: LiveEvent | ExposureEvent): void {
    if (this.closed) return;
    this.queue.push(event);
    if (this.queue.length >= this.options.maxBatch) {
      void this.flush();
      return;
    }
    this.timer ??= setTimeout(() => void this.flush(), this.options.flushMs);
  }

  /** Sends the queued events with fetch; resolves once the companion replied or the send failed. */
  async flush(): Promise<void> {
    const body = this.takeBatch();
    if (body === null) return;
    const fetchImpl = this.env.fetch;
    if (!fetchImpl) {
      this.sendBeacon(body);
      return;
    }
    try {
      // keepalive lets the request finish if the page starts to unload meanwhile; text/plain keeps
      // it a CORS simple request, so no preflight is needed.
      const response = await fetchImpl(this.url, { method: 'POST', body: body.text, keepalive: true, headers: { 'Content-Type': 'text/plain;charset=UTF-8' } });
      if (response.ok) this.counters.fetchBatches += 1;
      else this.counters.failedBatches += 1;
    } catch {
      this.counters.failedBatches += 1;
    }
  }

  /** Sends the queue with sendBeacon and stops listening; later events are dropped. */
  close(): void {
    if (this.closed) return;
    this.flushOnHide();
    this.closed = true;
    this.env.window?.removeEventListener('pagehide', this.onHide);
    this.env.document?.removeEventListener('visibilitychange', this.onVisibility);
  }

  private flushOnHide(): void {
    for (const event of this.beforeHide?.() ?? []) this.queue.push(event);
    const body = this.takeBatch();
    if (body !== null) this.sendBeacon(body);
  }

  private sendBeacon(body: { text: string; count: number }): void {
    // sendBeacon returns false when the browser's beacon queue (64 KiB in Chromium) is full.
    const queued = this.env.sendBeacon?.(this.url, body.text) ?? false;
    if (queued) this.counters.beaconBatches += 1;
    else this.counters.failedBatches += 1;
  }

  private takeBatch(): { text: string; count: number } | null {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0) return null;
    const events = shuffle(this.queue, this.env.random ?? Math.random);
    this.queue = [];
    this.counters.sentEvents += events.length;
    return { text: JSON.stringify({ events }), count: events.length };
  }
}

/** Fisher–Yates shuffle in place; returns the array. */
function shuffle<T>(values: T[], random: () => number): T[] {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [values[i], values[j]] = [values[j], values[i]];
  }
  return values;
}

function defaultEnvironment(): BeaconEnvironment {
  const nav = globalThis.navigator as Navigator | undefined;
  return {
    fetch: typeof globalThis.fetch === 'function' ? globalThis.fetch.bind(globalThis) : undefined,
    sendBeacon: typeof nav?.sendBeacon === 'function' ? (url, data) => nav.sendBeacon(url, data) : undefined,
    window: typeof globalThis.window === 'object' ? globalThis.window : undefined,
    document: typeof globalThis.document === 'object' ? globalThis.document : undefined,
  };
}
