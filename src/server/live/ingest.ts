/**
 * Checks of the events of one POST /v1/events body. A bad event is dropped and counted under its
 * reason while the rest of the batch is kept, because one stale or unknown item in a beacon must
 * not lose the shopper's other events. Events are also rejected for any field besides item, type,
 * time, the experiment tags (ranking, experiment, variant) and an exposure's device bucket, so a
 * client that adds an identifier is refused instead of trusted to be anonymous.
 */
import { MIN_TIMESTAMP_MS } from '../../core/events.js';
import { DEVICE_BUCKETS } from '../../core/experiments.js';
import { type ExposureEvent, LIVE_EVENT_TYPES, type LiveEvent, type LiveEventType, type LiveRejectReason, MAX_TAG_LENGTH } from '../../core/live-events.js';
import { LIMITS } from '../schemas.js';

/** Events of a batch that passed, and counts of the dropped ones per reason. */
export interface IngestResult {
  /** Events for the live counters, without experiment tags. */
  accepted: LiveEvent[];
  /** Experiment exposures. */
  exposures: ExposureEvent[];
  /** Accepted events that carry a ranking id, as possible experiment outcomes. */
  outcomes: Array<{ ranking: string; type: LiveEventType; time: number }>;
  rejected: Partial<Record<LiveRejectReason, number>>;
}

/** Context of the checks: the catalog lookup, the server clock and the oldest accepted age. */
export interface IngestContext {
  hasItem(itemId: string): boolean;
  now: number;
  /** Events older than this many milliseconds are rejected as too_old. */
  maxAgeMs: number;
}

const ITEM_FIELDS = new Set(['item', 'type', 'time', 'ranking']);
const EXPOSURE_FIELDS = new Set(['type', 'time', 'ranking', 'experiment', 'variant', 'bucket']);
const TYPES: ReadonlySet<string> = new Set(LIVE_EVENT_TYPES);

function isTag(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TAG_LENGTH;
}

// Returns the reason to drop a time, or the time clamped to the server clock. A device clock
// ahead of the server would put the event in the future, where no counter decays it, so such
// events count as happening now, as track() does with future timestamps.
function checkTime(time: unknown, context: IngestContext): number | LiveRejectReason {
  if (typeof time !== 'number' || !Number.isFinite(time) || time < MIN_TIMESTAMP_MS) return 'invalid_time';
  if (context.now - time > context.maxAgeMs) return 'too_old';
  return Math.min(time, context.now);
}

function checkExposure(event: Record<string, unknown>, context: IngestContext): ExposureEvent | LiveRejectReason {
  for (const key of Object.keys(event)) if (!EXPOSURE_FIELDS.has(key)) return 'unknown_field';
  if (!isTag(event.ranking) || !isTag(event.experiment) || !isTag(event.variant)) return 'invalid_tag';
  if (event.bucket !== undefined && !(Number.isInteger(event.bucket) && (event.bucket as number) >= 0 && (event.bucket as number) < DEVICE_BUCKETS)) return 'invalid_bucket';
  const time = checkTime(event.time, context);
  if (typeof time === 'string') return time;
  const exposure: ExposureEvent = { type: 'exposure', ranking: event.ranking, experiment: event.experiment, variant: event.variant, time };
  if (event.bucket !== undefined) exposure.bucket = event.bucket as number;
  return exposure;
}

// Returns the reason to drop an event, or the checked event.
function checkEvent(raw: unknown, context: IngestContext): LiveEvent | ExposureEvent | LiveRejectReason {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return 'invalid_event';
  const event = raw as Record<string, unknown>;
  if (event.type === 'exposure') return checkExposure(event, context);
  for (const key of Object.keys(event)) if (!ITEM_FIELDS.has(key)) return 'unknown_field';

  if (typeof event.type !== 'string' || !TYPES.has(event.type)) return 'invalid_type';
  if (typeof event.item !== 'string' || event.item.length === 0 || event.item.length > LIMITS.maxIdLength) return 'invalid_item';
  if (!context.hasItem(event.item)) return 'unknown_item';
  const time = checkTime(event.time, context);
  if (typeof time === 'string') return time;
  if (event.ranking !== undefined && !isTag(event.ranking)) return 'invalid_tag';

  const checked: LiveEvent = { item: event.item, type: event.type as LiveEventType, time };
  if (event.ranking !== undefined) checked.ranking = event.ranking as string;
  return checked;
}

/** Splits raw events into counter events, experiment exposures and outcomes, and rejection counts. */
export function checkLiveEvents(events: readonly unknown[], context: IngestContext): IngestResult {
  const result: IngestResult = { accepted: [], exposures: [], outcomes: [], rejected: {} };
  for (const raw of events) {
    const checked = checkEvent(raw, context);
    if (typeof checked === 'string') {
      result.rejected[checked] = (result.rejected[checked] ?? 0) + 1;
    } else if (checked.type === 'exposure') {
      result.exposures.push(checked);
    } else {
      result.accepted.push({ item: checked.item, type: checked.type, time: checked.time });
      if (checked.ranking !== undefined) result.outcomes.push({ ranking: checked.ranking, type: checked.type, time: checked.time });
    }
  }
  return result;
}
