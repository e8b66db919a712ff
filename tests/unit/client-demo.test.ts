import { describe, expect, it } from 'vitest';
import { fallbackNotice, personalRowSubtitle, plural, searchSubtitle } from '../../demo/src/messages.js';
import { cartCount } from '../../demo/src/views/profile-view.js';

const event = (type: string, itemId: string, timestamp: number) => ({ type, itemId, timestamp });

describe('demo texts', () => {
  it('pluralizes counts', () => {
    expect(plural(1, 'action')).toBe('1 action');
    expect(plural(0, 'action')).toBe('0 actions');
    expect(personalRowSubtitle(1, 2)).toBe('Picked on this device from your last 1 action, ranked in 2.00 ms.');
  });

  it('says No results without reranked', () => {
    expect(searchSubtitle(0, true, 3)).toBe('No results. Try fewer or other words.');
    expect(searchSubtitle(2, true, 30)).toBe('2 results, reranked for you in 30 ms.');
    expect(searchSubtitle(1, false, undefined)).toBe('1 result.');
  });

  it('names the failure in the fallback notice', () => {
    const failure = { code: 'AISLE_INVALID_ARGUMENT', reason: 'search(): query must be non-empty text' };
    expect(fallbackNotice(null, failure)).toBe('Personalization is unavailable right now (AISLE_INVALID_ARGUMENT: search(): query must be non-empty text), so these items are in the store’s default order.');
    expect(fallbackNotice({ degraded: { code: 'AISLE_COMPANION_UNREACHABLE', reason: 'timed out' } }, undefined)).toContain('(AISLE_COMPANION_UNREACHABLE: timed out)');
    expect(fallbackNotice({}, failure)).toBeUndefined();
  });
});

describe('cartCount', () => {
  it('counts adds minus purchases per item', () => {
    const events = [
      event('add_to_cart', 'a', 1),
      event('add_to_cart', 'a', 2),
      event('purchase', 'a', 3),
      event('purchase', 'b', 4),
      event('add_to_cart', 'c', 5),
      event('view', 'c', 6),
    ];
    expect(cartCount({ events, counts: {} })).toBe(2);
  });

  it('is 0 without a profile or events', () => {
    expect(cartCount(null)).toBe(0);
    expect(cartCount({ events: [], counts: {} })).toBe(0);
  });
});
