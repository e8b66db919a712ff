import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AisleError } from '../../src/core/errors.js';
import { MAX_ID_LENGTH, MAX_QUERY_LENGTH, MIN_TIMESTAMP_MS, validateEvent } from '../../src/core/events.js';
import { EVENT_TYPES, type AisleEvent } from '../../src/core/types.js';

const NOW = 1_790_000_000_000;
const ALLOWED_KEYS = ['type', 'itemId', 'eventId', 'timestamp', 'listId', 'position', 'query'];
const makeId = () => 'generated';

/** Values of every JSON and JavaScript kind, hostile strings and numbers included. */
const anyValue = fc.oneof(
  fc.anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true }),
  fc.string({ unit: 'grapheme', maxLength: 600 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '\uD800', '__proto__', 'constructor', 'ﷺ'.repeat(40), '\u200B'),
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -1, 0, MIN_TIMESTAMP_MS - 1, NOW + 1, Number.MAX_SAFE_INTEGER),
);

/** Objects shaped like events: real keys with valid or hostile values, plus stray keys. */
const eventLike = fc.record(
  {
    type: fc.oneof(fc.constantFrom(...EVENT_TYPES), anyValue),
    itemId: fc.oneof(fc.string({ minLength: 1, maxLength: 300 }), anyValue),
    eventId: fc.oneof(fc.string({ minLength: 1, maxLength: 300 }), anyValue),
    timestamp: fc.oneof(fc.integer({ min: MIN_TIMESTAMP_MS - 10, max: NOW + 10_000_000 }), anyValue),
    listId: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), anyValue),
    position: fc.oneof(fc.integer({ min: -5, max: 1_000_005 }), anyValue),
    query: fc.oneof(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 520 }), fc.constant('ﷺ'.repeat(100)), anyValue),
    extra: anyValue,
  },
  { requiredKeys: [] },
);

/** Runs the validator and returns the event, or the thrown value marked as such. */
function attempt(input: unknown): { event: AisleEvent } | { thrown: unknown } {
  try {
    return { event: validateEvent(input, NOW, makeId) };
  } catch (thrown) {
    return { thrown };
  }
}

/** Checks every invariant an accepted event must hold. */
function expectWellFormed(event: AisleEvent): void {
  expect(EVENT_TYPES).toContain(event.type);
  expect(event.eventId.length).toBeGreaterThan(0);
  expect(event.eventId.length).toBeLessThanOrEqual(MAX_ID_LENGTH);
  expect(Number.isFinite(event.timestamp)).toBe(true);
  expect(event.timestamp).toBeGreaterThanOrEqual(MIN_TIMESTAMP_MS);
  expect(event.timestamp).toBeLessThanOrEqual(NOW);
  if (event.type !== 'search') expect(typeof event.itemId).toBe('string');
  if (event.itemId !== undefined) expect(event.itemId.length).toBeLessThanOrEqual(MAX_ID_LENGTH);
  if (event.type === 'search') {
    expect(event.query!.trim().length).toBeGreaterThan(0);
    expect(event.query!.length).toBeLessThanOrEqual(MAX_QUERY_LENGTH);
    expect(event.query!.normalize('NFKC')).toBe(event.query);
  }
  for (const key of Object.keys(event)) expect(ALLOWED_KEYS).toContain(key);
  // The event crosses the worker boundary and goes into IndexedDB, so it must clone unchanged.
  expect(structuredClone(event)).toEqual(event);
}

describe('validateEvent fuzz', () => {
  it('accepts or rejects any value with AISLE_INVALID_EVENT', () => {
    fc.assert(
      fc.property(fc.oneof(anyValue, eventLike), (input) => {
        const outcome = attempt(input);
        if ('event' in outcome) expectWellFormed(outcome.event);
        else {
          expect(outcome.thrown).toBeInstanceOf(AisleError);
          expect((outcome.thrown as AisleError).code).toBe('AISLE_INVALID_EVENT');
          expect((outcome.thrown as AisleError).message).toMatch(/^(An event|event)/);
        }
      }),
      { numRuns: 3000, seed: 5 },
    );
  });

  it('keeps accepted events as they are when validated again', () => {
    fc.assert(
      fc.property(eventLike, (input) => {
        const outcome = attempt(input);
        if (!('event' in outcome)) return;
        expect(validateEvent(outcome.event, NOW, makeId)).toEqual(outcome.event);
      }),
      { numRuns: 2000, seed: 7 },
    );
  });

  it('accepts every valid item event unchanged', () => {
    const valid = fc.record({
      type: fc.constantFrom('view', 'click', 'add_to_cart', 'purchase', 'impression'),
      itemId: fc.string({ minLength: 1, maxLength: MAX_ID_LENGTH }),
      eventId: fc.string({ minLength: 1, maxLength: MAX_ID_LENGTH }),
      timestamp: fc.integer({ min: MIN_TIMESTAMP_MS, max: NOW }),
    });
    fc.assert(
      fc.property(valid, (input) => {
        expect(validateEvent(input, NOW, makeId)).toEqual(input);
      }),
      { numRuns: 1000, seed: 11 },
    );
  });
});
