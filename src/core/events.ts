/**
 * Validation of storefront events. Everything `track()` receives passes through `validateEvent`,
 * which returns a normalized event or throws AISLE_INVALID_EVENT naming the field and the fix.
 */
import { AisleError } from './errors.js';
import { EVENT_TYPES, type AisleEvent, type AisleEventInput, type EventType } from './types.js';

export const MAX_ID_LENGTH = 256;
export const MAX_QUERY_LENGTH = 512;
/** Earliest accepted timestamp: 2000-01-01T00:00:00Z, to catch seconds passed as milliseconds. */
export const MIN_TIMESTAMP_MS = 946_684_800_000;

const ITEM_EVENT_TYPES: ReadonlySet<EventType> = new Set(['view', 'click', 'add_to_cart', 'purchase', 'impression']);

function invalid(message: string, value: unknown): never {
  throw new AisleError('AISLE_INVALID_EVENT', message, { details: { value } });
}

function checkId(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH) {
    invalid(`event.${field} must be a non-empty string of at most ${MAX_ID_LENGTH} characters; got ${describe(value)}.`, value);
  }
  return value;
}

/**
 * Validates one event. `now` is the caller's clock in milliseconds; `makeId` creates an event id
 * when the storefront gave none.
 */
export function validateEvent(input: unknown, now: number, makeId: () => string): AisleEvent {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    invalid(`An event must be an object like { type: 'view', itemId: 'sku-1' }; got ${describe(input)}.`, input);
  }
  const raw = input as Record<string, unknown>;
  const type = raw.type;
  if (typeof type !== 'string' || !(EVENT_TYPES as readonly string[]).includes(type)) {
    invalid(`event.type must be one of ${EVENT_TYPES.join(', ')}; got ${describe(type)}.`, type);
  }
  const eventType = type as EventType;

  const event: AisleEvent = { type: eventType, eventId: '', timestamp: now };

  if (ITEM_EVENT_TYPES.has(eventType)) event.itemId = checkId('itemId', raw.itemId);
  else if (raw.itemId !== undefined) event.itemId = checkId('itemId', raw.itemId);

  if (eventType === 'search') {
    const query = raw.query;
    // The limit applies after NFKC, which can expand a character into many (U+FDFA into 18).
    const normalized = typeof query === 'string' ? query.normalize('NFKC') : undefined;
    if (normalized === undefined || normalized.trim().length === 0 || normalized.length > MAX_QUERY_LENGTH) {
      invalid(`event.query must be non-empty text of at most ${MAX_QUERY_LENGTH} characters (after NFKC normalization) for a search event; got ${describe(query)}.`, query);
    }
    event.query = normalized;
  }

  event.eventId = raw.eventId === undefined ? makeId() : checkId('eventId', raw.eventId);

  if (raw.timestamp !== undefined) {
    const timestamp = raw.timestamp;
    if (typeof timestamp !== 'number' || !Number.isFinite(timestamp) || timestamp < MIN_TIMESTAMP_MS) {
      invalid(`event.timestamp must be milliseconds since the Unix epoch (after the year 2000); got ${describe(timestamp)}.`, timestamp);
    }
    // A timestamp in the future (clock skew between devices) is clamped to now, so no age is negative.
    event.timestamp = timestamp > now ? now : timestamp;
  }

  if (raw.listId !== undefined) event.listId = checkId('listId', raw.listId);
  if (raw.position !== undefined) {
    const position = raw.position;
    if (typeof position !== 'number' || !Number.isInteger(position) || position < 0 || position > 1_000_000) {
      invalid(`event.position must be an integer from 0 to 1000000; got ${describe(position)}.`, position);
    }
    event.position = position;
  }

  for (const key of Object.keys(raw)) {
    if (!['type', 'itemId', 'eventId', 'timestamp', 'listId', 'position', 'query'].includes(key)) {
      invalid(`event has an unknown field ${JSON.stringify(key)}; allowed fields are type, itemId, eventId, timestamp, listId, position, query.`, key);
    }
  }
  return event;
}

/** Short, safe rendering of a bad value for error messages. */
export function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return typeof value;
}
