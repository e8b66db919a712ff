import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { AisleError } from '../../src/core/errors.js';
import type { AisleEvent } from '../../src/core/types.js';
import { FallbackStore, IdbStore, openStore } from '../../src/store/index.js';

const T0 = 1_700_000_000_000;
const event = (id: string, offset: number): AisleEvent => ({ type: 'view', itemId: `item-${id}`, eventId: id, timestamp: T0 + offset });

/** Opens an IdbStore whose event writes fail like a full quota once `failAfter` events are stored. */
async function quotaStore(name: string, failAfter: number): Promise<IdbStore> {
  const store = await IdbStore.open({ dbName: name });
  const addEvent = store.addEvent.bind(store);
  let stored = 0;
  store.addEvent = async (value: AisleEvent) => {
    if (stored >= failAfter) throw new AisleError('AISLE_STORAGE_FAILED', 'IndexedDB addEvent failed: QuotaExceededError: the quota has been exceeded.');
    stored++;
    return addEvent(value);
  };
  return store;
}

describe('FallbackStore', () => {
  it('moves to memory on a failed event write', async () => {
    const store = new FallbackStore(await quotaStore(`fallback-${Math.random()}`, 2));
    expect(store.mode).toBe('indexeddb');
    await store.addEvent(event('a', 0));
    await store.addEvent(event('b', 1));
    await store.putProfile({ userVector: new Float32Array([1, 0]), vectorVersion: 2, counts: { view: 2 }, updatedAt: T0 });

    expect(await store.addEvent(event('c', 2))).toBe(true);
    expect(store.mode).toBe('memory');
    expect(store.fallbackReason).toMatch(/QuotaExceededError/);
    expect((await store.listEvents()).map((e) => e.eventId)).toEqual(['a', 'b', 'c']);
    expect((await store.getProfile())?.vectorVersion).toBe(2);
    expect(await store.addEvent(event('a', 0))).toBe(false);
  });

  it('clear erases the primary after a fallback', async () => {
    const name = `fallback-${Math.random()}`;
    const store = new FallbackStore(await quotaStore(name, 1));
    await store.addEvent(event('a', 0));
    await store.addEvent(event('b', 1));
    expect(store.mode).toBe('memory');
    await store.clear();
    store.close();

    const reopened = await IdbStore.open({ dbName: name });
    expect(await reopened.listEvents()).toEqual([]);
    reopened.close();
  });

  it('moves concurrent failed writes to one store', async () => {
    const store = new FallbackStore(await quotaStore(`fallback-${Math.random()}`, 1));
    await store.addEvent(event('a', 0));

    expect(await Promise.all([store.addEvent(event('b', 1)), store.addEvent(event('c', 2)), store.addEvent(event('d', 3))])).toEqual([true, true, true]);
    expect(store.mode).toBe('memory');
    expect((await store.listEvents()).map((e) => e.eventId)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('passes other errors through', async () => {
    const primary = await IdbStore.open({ dbName: `fallback-${Math.random()}` });
    primary.addEvent = async () => {
      throw new TypeError('bug');
    };
    const store = new FallbackStore(primary);
    await expect(store.addEvent(event('a', 0))).rejects.toThrow('bug');
    expect(store.mode).toBe('indexeddb');
  });

  it('wraps what openStore returns', async () => {
    const store = await openStore({ dbName: `fallback-${Math.random()}` });
    expect(store).toBeInstanceOf(FallbackStore);
    expect(store.mode).toBe('indexeddb');
    store.close();
  });
});
