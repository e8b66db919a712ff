/**
 * Checks of the events of one POST /v1/events body. A bad event is dropped and counted under its
 * reason while the rest of the batch is kept, because one stale or unknown item in a beacon must
 * not lose the shopper's other events. Events are also rejected for any field besides item, type
 * and time, so a client that adds an identifier is refused instead of trusted to be anonymous.
 */
import { MIN_TIMESTAMP_MS } from '../../core/events.js';
import { LIVE_EVENT_TYPES, type LiveEvent, type LiveEventType, type LiveRejectReason } from '../../core/live-events.js';
import { LIMITS } from '../schemas.js';

/** Events of a batch that passed, and counts of the dropped ones per reason. */
export interface IngestResult {
  accepted: LiveEvent[];
  rejected: Partial<Record<LiveRejectReason, number>>;
}

/** Context of the checks: the catalog lookup, the server clock and the oldest accepted age. */
export interface IngestContext {
  hasItem(itemId: string): boolean;
  now: number;
  /** Events older than this many milliseconds are rejected as too_old. */
  maxAgeMs: number;
}

const FIELDS = new Set(['item', 'type', 'time']);
const TYPES: ReadonlySet<string> = new Set(LIVE_EVENT_TYPES);

// Returns the reason to drop an event, or the event with its time clamped to the server clock.
function checkEvent(raw: unknown, context: IngestContext): LiveEvent | LiveRejectReason {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'invalid_event';
  const event = raw as Record<string, unknown>;
  for (const key of Object.keys(event)) if (!FIELDS.has(key)) return 'unknown_field';

  if (typeof event.type !== 'string' || !TYPES.has(event.type)) return 'invalid_type';
  if (typeof event.item !== 'string' || event.item.length === 0 || event.item.length > LIMITS.maxIdLength) return 'invalid_item';
  if (!context.hasItem(event.item)) return 'unknown_item';
  if (typeof event.time !== 'number' || !Number.isFinite(event.time) || event.time < MIN_TIMESTAMP_MS) return 'invalid_time';
  if (context.now - event.time > context.maxAgeMs) return 'too_old';

  // A device clock ahead of the server would put the event in the future, where no counter
  // decays it. Such events count as happening now, as track() does with future timestamps.
  return { item: event.item, type: event.type as LiveEventType, time: Math.min(event.time, context.now) };
}

/** Splits raw events into accepted events and rejection counts. */
export function checkLiveEvents(events: readonly unknown[], context: IngestContext): IngestResult {
  const accepted: LiveEvent[] = [];
  const rejected: IngestResult['rejected'] = {};
  for (const raw of events) {
    const checked = checkEvent(raw, context);
    if (typeof checked === 'string') rejected[checked] = (rejected[checked] ?? 0) + 1;
    else accepted.push(checked);
  }
  return { accepted, rejected };
}
