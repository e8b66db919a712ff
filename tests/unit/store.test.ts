import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import type { AisleEvent } from '../../src/core/types.js';
import { IdbStore, MemoryStore, openStore, SCHEMA_VERSION, upgradeSchema, type AisleDbSchema, type EventStore } from '../../src/store/index.js';

let dbCounter = 0;
const freshName = (): string => `aisle-test-${++dbCounter}-${Math.random().toString(36).slice(2)}`;

function event(id: string, timestamp: number, type: AisleEvent['type'] = 'view'): AisleEvent {
  return { type, itemId: `item-${id}`, eventId: id, timestamp };
}

const T0 = 1_700_000_000_000;

const implementations: Array<[string, (name: string, cap?: number) => Promise<EventStore>]> = [
  ['IdbStore', (name, cap) => IdbStore.open({ dbName: name, cap })],
  ['MemoryStore', async (_name, cap) => new MemoryStore({ cap })],
];

describe.each(implementations)('%s', (_label, create) => {
  it('keeps the newest events up to the cap', async () => {
    const store = await create(freshName(), 3);
    for (let i = 0; i < 5; i++) expect(await store.addEvent(event(`e${i}`, T0 + i * 1000))).toBe(true);
    const ids = (await store.listEvents()).map((e) => e.eventId);
    expect(ids).toEqual(['e2', 'e3', 'e4']);
    store.close();
  });

  it('evicts by timestamp, not arrival order', async () => {
    const store = await create(freshName(), 2);
    await store.addEvent(event('late', T0 + 5000));
    await store.addEvent(event('early', T0));
    await store.addEvent(event('middle', T0 + 2000));
    expect((await store.listEvents()).map((e) => e.eventId)).toEqual(['middle', 'late']);
    store.close();
  });

  it('stores an eventId once', async () => {
    const store = await create(freshName());
    expect(await store.addEvent(event('same', T0))).toBe(true);
    expect(await store.addEvent(event('same', T0 + 10))).toBe(false);
    const events = await store.listEvents();
    expect(events).toHaveLength(1);
    expect(events[0].timestamp).toBe(T0);
    store.close();
  });

  it('returns copies, not stored objects', async () => {
    const store = await create(freshName());
    await store.addEvent(event('a', T0));
    const [first] = await store.listEvents();
    first.itemId = 'changed';
    expect((await store.listEvents())[0].itemId).toBe('item-a');

    await store.putProfile({ userVector: new Float32Array([1, 0]), vectorVersion: 1, counts: { view: 1 }, updatedAt: T0 });
    const profile = await store.getProfile();
    profile!.userVector![0] = 9;
    profile!.counts.view = 9;
    const again = await store.getProfile();
    expect(again!.userVector![0]).toBe(1);
    expect(again!.counts.view).toBe(1);
    store.close();
  });

  it('forget clears every store', async () => {
    const store = await create(freshName());
    await store.addEvent(event('a', T0));
    await store.putProfile({ userVector: new Float32Array([0.6, 0.8]), vectorVersion: 2, counts: { view: 1 }, updatedAt: T0 });
    await store.putCache({ key: 'candidates', value: ['x'], expiresAt: T0 + 1000, vectorVersion: 2 });
    await store.putModel('ab'.repeat(32), new Uint8Array([1, 2, 3]));
    await store.clear();
    expect(await store.listEvents()).toEqual([]);
    expect(await store.getProfile()).toBeUndefined();
    expect(await store.getCache('candidates')).toBeUndefined();
    expect(await store.getModel('ab'.repeat(32))).toBeUndefined();
    store.close();
  });

  it('keeps model bytes by sha256', async () => {
    const store = await create(freshName());
    const sha = 'cd'.repeat(32);
    await store.putModel(sha, new Uint8Array([7, 8, 9]));
    expect(Array.from((await store.getModel(sha))!)).toEqual([7, 8, 9]);
    await store.deleteModel(sha);
    expect(await store.getModel(sha)).toBeUndefined();
    store.close();
  });
});

describe('IdbStore persistence', () => {
  it('keeps data when a new instance opens the database', async () => {
    const name = freshName();
    const first = await IdbStore.open({ dbName: name });
    await first.addEvent(event('a', T0));
    await first.addEvent(event('b', T0 + 1));
    await first.putProfile({ userVector: new Float32Array([0.6, 0.8]), vectorVersion: 3, counts: { view: 2 }, updatedAt: T0 });
    first.close();

    const second = await IdbStore.open({ dbName: name });
    expect((await second.listEvents()).map((e) => e.eventId)).toEqual(['a', 'b']);
    const profile = await second.getProfile();
    expect(profile?.vectorVersion).toBe(3);
    expect(Array.from(profile!.userVector!)).toEqual([Math.fround(0.6), Math.fround(0.8)]);
    expect(await second.addEvent(event('a', T0))).toBe(false);
    second.close();
  });

  it('upgrades a version 1 database and keeps its events', async () => {
    const name = freshName();
    const v1 = await openDB<AisleDbSchema>(name, 1, { upgrade: (db, oldVersion) => upgradeSchema(db, oldVersion, 1) });
    expect(Array.from(v1.objectStoreNames).sort()).toEqual(['events', 'profile']);
    await v1.put('events', { ...event('old', T0), seq: 0 });
    await v1.put('profile', 1, 'nextSeq');
    v1.close();

    const store = await IdbStore.open({ dbName: name });
    expect((await store.listEvents()).map((e) => e.eventId)).toEqual(['old']);
    await store.putCache({ key: 'k', value: 1, expiresAt: T0, vectorVersion: 0 });
    expect((await store.getCache('k'))?.value).toBe(1);
    store.close();

    const raw = await openDB(name, SCHEMA_VERSION);
    expect(Array.from(raw.objectStoreNames).sort()).toEqual(['cache', 'events', 'models', 'profile']);
    raw.close();
  });

  it('falls back to memory when the upgrade stays blocked', async () => {
    const name = freshName();
    // An open connection at version 1 that ignores versionchange blocks the upgrade to v2.
    const holder = await openDB<AisleDbSchema>(name, 1, { upgrade: (db, oldVersion) => upgradeSchema(db, oldVersion, 1) });
    const store = await openStore({ dbName: name, blockedTimeoutMs: 50 });
    expect(store.mode).toBe('memory');
    expect(store.fallbackReason).toMatch(/blocked/);
    holder.close();
  });
});

describe('openStore', () => {
  it('returns memory on request', async () => {
    const store = await openStore({ storage: 'memory' });
    expect(store.mode).toBe('memory');
    expect(store.fallbackReason).toBeUndefined();
  });

  it('falls back to memory without IndexedDB', async () => {
    const saved = globalThis.indexedDB;
    // @ts-expect-error simulating a context without IndexedDB
    delete globalThis.indexedDB;
    try {
      const store = await openStore({ dbName: freshName() });
      expect(store.mode).toBe('memory');
      expect(store.fallbackReason).toMatch(/IndexedDB is not available/);
    } finally {
      globalThis.indexedDB = saved;
    }
  });
});
