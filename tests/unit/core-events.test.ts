import { describe, expect, it } from 'vitest';
import { AisleError } from '../../src/core/errors.js';
import { MAX_ID_LENGTH, validateEvent } from '../../src/core/events.js';

const NOW = Date.UTC(2026, 11, 4, 12, 0, 0);
let counter = 0;
const makeId = () => `generated-${++counter}`;

function rejectCode(input: unknown): string | undefined {
  try {
    validateEvent(input, NOW, makeId);
  } catch (error) {
    return error instanceof AisleError ? error.code : 'not an AisleError';
  }
  return undefined;
}

describe('validateEvent', () => {
  it('fills eventId and timestamp defaults', () => {
    const event = validateEvent({ type: 'view', itemId: 'sku-1' }, NOW, () => 'fixed');
    expect(event).toEqual({ type: 'view', itemId: 'sku-1', eventId: 'fixed', timestamp: NOW });
  });

  it('keeps the caller eventId, list and position', () => {
    const event = validateEvent({ type: 'click', itemId: 'a', eventId: 'e1', listId: 'home', position: 3, timestamp: NOW - 1000 }, NOW, makeId);
    expect(event.eventId).toBe('e1');
    expect(event.listId).toBe('home');
    expect(event.position).toBe(3);
    expect(event.timestamp).toBe(NOW - 1000);
  });

  it('clamps a future timestamp to now', () => {
    const event = validateEvent({ type: 'view', itemId: 'a', timestamp: NOW + 3_600_000 }, NOW, makeId);
    expect(event.timestamp).toBe(NOW);
  });

  it('normalizes search query text with NFKC', () => {
    const event = validateEvent({ type: 'search', query: 'ｃｏｆｆｅｅ' }, NOW, makeId);
    expect(event.query).toBe('coffee');
    expect(event.itemId).toBeUndefined();
  });

  it.each([
    ['null', null],
    ['an array', []],
    ['unknown type', { type: 'like', itemId: 'a' }],
    ['missing itemId', { type: 'view' }],
    ['empty itemId', { type: 'purchase', itemId: '' }],
    ['numeric itemId', { type: 'view', itemId: 42 }],
    ['too long itemId', { type: 'view', itemId: 'x'.repeat(MAX_ID_LENGTH + 1) }],
    ['search without query', { type: 'search' }],
    ['blank query', { type: 'search', query: '   ' }],
    ['seconds instead of ms', { type: 'view', itemId: 'a', timestamp: 1_700_000_000 }],
    ['NaN timestamp', { type: 'view', itemId: 'a', timestamp: Number.NaN }],
    ['negative position', { type: 'view', itemId: 'a', position: -1 }],
    ['fractional position', { type: 'view', itemId: 'a', position: 1.5 }],
    ['unknown field', { type: 'view', itemId: 'a', userId: 'u1' }],
  ])('rejects %s with AISLE_INVALID_EVENT', (_name, input) => {
    expect(rejectCode(input)).toBe('AISLE_INVALID_EVENT');
  });

  it('names the bad value in the message', () => {
    expect(() => validateEvent({ type: 'like', itemId: 'a' }, NOW, makeId)).toThrow(/"like"/);
  });
});
