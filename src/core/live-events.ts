/**
 * Live signals: the anonymous events that leave the device and the per-item signals the companion
 * computes from them. An event on the wire has three fields (item, type, time) and nothing that
 * identifies the shopper or links two events of one shopper: no device id, user id, session id or
 * sequence number. The SDK and the companion both import this file.
 */

/** Event types that feed the live counters, in the order of their counter columns. */
export const LIVE_EVENT_TYPES = ['view', 'click', 'add_to_cart', 'purchase'] as const;
export type LiveEventType = (typeof LIVE_EVENT_TYPES)[number];

/** Event types that count as experiment outcomes when they carry a ranking id. */
export const OUTCOME_EVENT_TYPES: ReadonlySet<string> = new Set(['click', 'add_to_cart', 'purchase']);

/** One anonymous event as POST /v1/events receives it. */
export interface LiveEvent {
  /** Catalog item id. */
  item: string;
  type: LiveEventType;
  /** Milliseconds since the Unix epoch. */
  time: number;
  /**
   * Random id of the recommendation list the item was shown in, when that list was an experiment
   * exposure. A click, add_to_cart or purchase with it counts as an outcome of that exposure.
   */
  ranking?: string;
}

/** An experiment exposure: a device showed the list `ranking`, made under `variant`. */
export interface ExposureEvent {
  type: 'exposure';
  ranking: string;
  experiment: string;
  variant: string;
  time: number;
  /**
   * The device's bucket (deviceBucket in experiments.ts), 0 to DEVICE_BUCKETS − 1, so the report
   * can test with the bucket of devices as the unit. Optional for SDKs from before buckets.
   */
  bucket?: number;
}

/** Body of POST /v1/events. */
export interface LiveEventBatch {
  events: Array<LiveEvent | ExposureEvent>;
}

/** Maximum length of a ranking id, an experiment name and a variant name in events. */
export const MAX_TAG_LENGTH = 64;

/** Maximum number of events in one POST /v1/events body. */
export const MAX_LIVE_BATCH = 500;

/** Reasons the companion rejects one event of a batch; each has its own counter. */
export const LIVE_REJECT_REASONS = ['invalid_event', 'unknown_field', 'invalid_type', 'invalid_item', 'unknown_item', 'invalid_time', 'too_old', 'invalid_tag', 'invalid_bucket', 'unknown_experiment', 'unknown_variant', 'repeated_exposure'] as const;
export type LiveRejectReason = (typeof LIVE_REJECT_REASONS)[number];

/** Body of a POST /v1/events response. */
export interface LiveEventsResponse {
  accepted: number;
  rejected: number;
  /** Rejected events per reason; reasons with none are left out. */
  reasons: Partial<Record<LiveRejectReason, number>>;
}

/**
 * Live signals of one item, as the companion ships them in the `live` field of every item it
 * returns. Counters are exponentially time-decayed event counts: an event adds 1, which halves
 * every half-life of its type. All values are taken at `at`, the time of the companion's last
 * refresh.
 */
export interface LiveSignals {
  views: number;
  clicks: number;
  addToCart: number;
  purchases: number;
  /**
   * Short-window activity against long-window activity: 0 for an item at its usual rate or without
   * events, above 0 for one rising (1 is twice its usual rate), down to -1 for one that went quiet.
   */
  trending: number;
  /** Time of the item's newest event in milliseconds since the Unix epoch, or null for none. */
  lastEventAt: number | null;
  /** Time the signals were computed, in milliseconds since the Unix epoch. */
  at: number;
}

/** Largest liveWeight of recommend(). */
export const MAX_LIVE_WEIGHT = 10;

/**
 * Returns the ranker scores with a live boost added: score + weight · ln(1 + max(0, trending)).
 * An item at twice its usual rate (trending 1) gains weight · 0.69; items at or below their usual
 * rate, and items without live signals, keep their score. The logarithm keeps one huge burst
 * from overriding the ranker. The ranker itself never reads live signals, because they are not in
 * its feature list, so this blend is the one place they change a personalized order.
 */
export function blendLiveScores(scores: ArrayLike<number>, live: ReadonlyArray<LiveSignals | undefined>, weight: number): Float64Array {
  const blended = Float64Array.from(scores);
  if (weight === 0) return blended;
  for (let i = 0; i < blended.length; i++) {
    const trending = live[i]?.trending ?? 0;
    if (trending > 0) blended[i] += weight * Math.log1p(trending);
  }
  return blended;
}
