import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { afterEach, describe, expect, it } from 'vitest';
import type { AisleEvent } from '../../src/core/types.js';
import { IdbStore, MemoryStore, openStore, QUOTA_EVICTION_SHARE, type EventStore, type StoredProfile } from '../../src/store/index.js';

const T0 = 1_700_000_000_000;
const event = (id: string, offset: number): AisleEvent => ({ type: 'view', itemId: `item-${id}`, eventId: id, timestamp: T0 + offset });
const freshName = (): string => `aisle-reliability-${Math.random().toString(36).slice(2)}`;
const countView = (saved: StoredProfile | undefined): StoredProfile => ({
  userVector: saved?.userVector ?? null,
  vectorVersion: saved?.vectorVersion ?? 0,
  counts: { ...saved?.counts, view: (saved?.counts.view ?? 0) + 1 },
  updatedAt: T0,
});

type PutFunction = (this: IDBObjectStore, value: unknown, key?: IDBValidKey) => IDBRequest;
const originalPut = IDBObjectStore.prototype.put as PutFunction;
const originalDelete = IDBCursor.prototype.delete;

afterEach(() => {
  IDBObjectStore.prototype.put = originalPut;
  IDBCursor.prototype.delete = originalDelete;
});

/**
 * Simulates a disk with room for `capacity` events of the `events` object store, `used` of
 * them taken. A put beyond it throws the DOMException a browser raises for a full quota, and a
 * deleted event frees a slot. Returns the count of rejected puts.
 */
function limitEventSlots(capacity: number, used: number): { failures: number } {
  const state = { used, failures: 0 };
  IDBObjectStore.prototype.put = function (this: IDBObjectStore, value: unknown, key?: IDBValidKey) {
    if (this.name === 'events') {
      if (state.used >= capacity) {
        state.failures++;
        throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      }
      state.used++;
    }
    return originalPut.call(this, value, key);
  } as typeof IDBObjectStore.prototype.put;
  IDBCursor.prototype.delete = function (this: IDBCursor) {
    state.used--;
    return originalDelete.call(this);
  };
  return state;
}

describe('IdbStore quota', () => {
  it('evicts the oldest events and retries once', async () => {
    const store = await IdbStore.open({ dbName: freshName() });
    for (let i = 0; i < 20; i++) await store.addEvent(event(`e${i}`, i));
    // The disk is full with the 20 stored events.
    const quota = limitEventSlots(20, 20);

    expect(await store.addEvent(event('newest', 100), countView)).toBe(true);

    const ids = (await store.listEvents()).map((stored) => stored.eventId);
    const evicted = Math.ceil(20 * QUOTA_EVICTION_SHARE);
    expect(ids).toHaveLength(20 - evicted + 1);
    expect(ids.slice(0, 2)).toEqual([`e${evicted}`, `e${evicted + 1}`]);
    expect(ids.at(-1)).toBe('newest');
    expect(quota.failures).toBe(1);
    expect(store.notice).toBe(`IndexedDB addEvent failed with QuotaExceededError: The quota has been exceeded.; the ${evicted} oldest events were evicted and the write was retried.`);
    expect((await store.getProfile())?.counts).toEqual({ view: 1 });
    store.close();
  });

  it('rejects when the retry also exceeds the quota', async () => {
    const store = await IdbStore.open({ dbName: freshName() });
    await store.addEvent(event('old', 0));
    // Other data fills the disk, so evicting the one event does not free enough room.
    const quota = limitEventSlots(5, 6);

    await expect(store.addEvent(event('new', 1))).rejects.toMatchObject({ code: 'AISLE_STORAGE_FAILED', message: 'IndexedDB addEvent failed: QuotaExceededError: The quota has been exceeded..' });
    expect(quota.failures).toBe(2);
    // The eviction ran before the retry; the new event was never written.
    expect(await store.listEvents()).toEqual([]);
    store.close();
  });

  it('keeps the newest events when openStore falls back to memory', async () => {
    const store = await openStore({ dbName: freshName() });
    await store.addEvent(event('a', 0));
    limitEventSlots(5, 6);

    expect(await store.addEvent(event('b', 1))).toBe(true);
    expect(store.mode).toBe('memory');
    expect(store.fallbackReason).toContain('QuotaExceededError');
    expect(store.notice).toContain('QuotaExceededError');
    expect((await store.listEvents()).map((stored) => stored.eventId)).toEqual(['b']);
    store.close();
  });
});

describe.each<[string, () => Promise<EventStore>]>([
  ['IdbStore', () => IdbStore.open({ dbName: freshName() })],
  ['MemoryStore', async () => new MemoryStore()],
])('%s event and profile', (_label, create) => {
  it('stores the profile update with the event', async () => {
    const store = await create();
    expect(await store.addEvent(event('a', 0), countView)).toBe(true);
    expect(await store.addEvent(event('b', 1), countView)).toBe(true);
    expect((await store.getProfile())?.counts).toEqual({ view: 2 });
    store.close();
  });

  it('leaves the profile alone for a duplicate', async () => {
    const store = await create();
    await store.addEvent(event('a', 0), countView);
    expect(await store.addEvent(event('a', 0), countView)).toBe(false);
    expect((await store.getProfile())?.counts).toEqual({ view: 1 });
    store.close();
  });

  it('stores neither when the profile update fails', async () => {
    const store = await create();
    await store.addEvent(event('a', 0), countView);
    const failing = (): StoredProfile => {
      throw new Error('profile update failed');
    };
    await expect(store.addEvent(event('b', 1), failing)).rejects.toThrow('profile update failed');
    expect((await store.listEvents()).map((stored) => stored.eventId)).toEqual(['a']);
    expect((await store.getProfile())?.counts).toEqual({ view: 1 });
    // The aborted write left no trace: the same event id is stored by the next call.
    expect(await store.addEvent(event('b', 1), countView)).toBe(true);
    store.close();
  });
});

describe.each<[string, () => Promise<EventStore>]>([
  ['IdbStore', () => IdbStore.open({ dbName: freshName() })],
  ['MemoryStore', async () => new MemoryStore()],
])('%s updateProfile', (_label, create) => {
  it('changes the vector and keeps stored counts', async () => {
    const store = await create();
    await store.addEvent(event('a', 0), countView);
    await store.addEvent(event('b', 1), countView);
    const written = await store.updateProfile((saved) => ({ ...saved!, userVector: new Float32Array([0.6, 0.8]), vectorVersion: 4 }));

    expect(written.counts).toEqual({ view: 2 });
    const stored = await store.getProfile();
    expect(stored?.counts).toEqual({ view: 2 });
    expect(stored?.vectorVersion).toBe(4);
    expect(Array.from(stored!.userVector!)).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    store.close();
  });

  it('starts from undefined without a profile', async () => {
    const store = await create();
    const seen: Array<StoredProfile | undefined> = [];
    await store.updateProfile((saved) => {
      seen.push(saved);
      return countView(saved);
    });
    expect(seen).toEqual([undefined]);
    expect((await store.getProfile())?.counts).toEqual({ view: 1 });
    store.close();
  });
});

describe('IdbStore schema upgrade in another tab', () => {
  it('closes on versionchange so a newer version opens', async () => {
    const name = freshName();
    const store = await IdbStore.open({ dbName: name });
    await store.addEvent(event('a', 0));

    // Without the versionchange handler this open would stay blocked for as long as the store is open.
    const newer = await openDB(name, 99);
    expect(newer.version).toBe(99);
    await expect(store.addEvent(event('b', 1))).rejects.toMatchObject({ code: 'AISLE_STORAGE_FAILED', message: expect.stringContaining('another tab opened a newer schema version; reload the page') });
    expect(await newer.count('events')).toBe(1);
    newer.close();
  });
});
