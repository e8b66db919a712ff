/**
 * EventStore on IndexedDB through idb. The database survives reloads and is shared by every tab
 * of the origin, so IndexedDB (not the worker's memory) is the source of truth for events.
 *
 * Schema history (each version adds to the previous one, see `upgradeSchema`):
 * - v1: `events` (key eventId, index `byTime` on [timestamp, seq]) and `profile` (out-of-line
 *   keys: 'profile' and the event sequence counter 'nextSeq');
 * - v2: `cache` (key `key`) and `models` (key `sha256`, model bytes).
 */
import { openDB, type DBSchema, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import { AisleError } from '../core/errors.js';
import type { AisleEvent } from '../core/types.js';
import { copyProfile, DEFAULT_EVENT_CAP, type CacheEntry, type EventStore, type ProfileUpdate, type StoredProfile } from './types.js';

/** Current schema version of the Aisle database. */
export const SCHEMA_VERSION = 2;
/** Default database name. */
export const DEFAULT_DB_NAME = 'aisle';
/** Share of the stored events evicted (oldest first) when a write exceeds the storage quota. */
export const QUOTA_EVICTION_SHARE = 0.1;

type StoredEvent = AisleEvent & { seq: number };

/** idb schema of the Aisle database at SCHEMA_VERSION. */
export interface AisleDbSchema extends DBSchema {
  events: { key: string; value: StoredEvent; indexes: { byTime: [number, number] } };
  profile: { key: string; value: StoredProfile | number };
  cache: { key: string; value: CacheEntry };
  models: { key: string; value: { sha256: string; bytes: Uint8Array; storedAt: number } };
}

type UpgradeTransaction = IDBPTransaction<AisleDbSchema, StoreNames<AisleDbSchema>[], 'versionchange'>;

/**
 * Creates or migrates the object stores from `oldVersion` up to `newVersion`. Each step runs
 * only for databases older than it, so a v1 database keeps its events and profile when v2
 * adds stores. Exported so tests can build a database of an older version.
 */
export function upgradeSchema(db: IDBPDatabase<AisleDbSchema>, oldVersion: number, newVersion: number, _tx?: UpgradeTransaction): void {
  if (oldVersion < 1 && newVersion >= 1) {
    const events = db.createObjectStore('events', { keyPath: 'eventId' });
    events.createIndex('byTime', ['timestamp', 'seq']);
    db.createObjectStore('profile');
  }
  if (oldVersion < 2 && newVersion >= 2) {
    db.createObjectStore('cache', { keyPath: 'key' });
    db.createObjectStore('models', { keyPath: 'sha256' });
  }
}

/** Options of `IdbStore.open`. */
export interface IdbStoreOptions {
  dbName?: string;
  cap?: number;
  /** Milliseconds to wait for an upgrade blocked by another tab before giving up. */
  blockedTimeoutMs?: number;
}

/** EventStore on IndexedDB. Create it with `IdbStore.open`. */
export class IdbStore implements EventStore {
  readonly mode = 'indexeddb' as const;
  readonly fallbackReason = undefined;
  notice?: string;
  private closedReason?: string;

  private constructor(
    private readonly db: IDBPDatabase<AisleDbSchema>,
    private readonly cap: number,
  ) {}

  /**
   * Opens (creating or upgrading) the database. Rejects when IndexedDB is missing, the open
   * fails, or an upgrade stays blocked by another tab for `blockedTimeoutMs`.
   */
  static async open(options: IdbStoreOptions = {}): Promise<IdbStore> {
    if (typeof indexedDB === 'undefined') {
      throw new AisleError('AISLE_STORAGE_UNAVAILABLE', 'Opening device storage failed: IndexedDB is not available in this context (private mode or an old browser); events are kept in memory.');
    }
    const name = options.dbName ?? DEFAULT_DB_NAME;
    const blockedTimeoutMs = options.blockedTimeoutMs ?? 3000;
    let store: IdbStore | undefined;
    let blockedTimer: ReturnType<typeof setTimeout> | undefined;
    let rejectBlocked: (error: AisleError) => void = () => {};
    const blocked = new Promise<never>((_, reject) => {
      rejectBlocked = reject;
    });

    const open = openDB<AisleDbSchema>(name, SCHEMA_VERSION, {
      upgrade: (db, oldVersion, newVersion, tx) => upgradeSchema(db, oldVersion, newVersion ?? SCHEMA_VERSION, tx),
      blocked: () => {
        blockedTimer ??= setTimeout(() => {
          rejectBlocked(new AisleError('AISLE_STORAGE_UNAVAILABLE', `Opening IndexedDB database "${name}" at version ${SCHEMA_VERSION} stayed blocked for ${blockedTimeoutMs} ms by another tab with an older version; close the other tabs of this store.`));
        }, blockedTimeoutMs);
      },
      // Another tab wants a newer schema: close so its upgrade can run. This tab then reports
      // storage failures until it reloads with the new code.
      blocking: () => {
        if (!store) return;
        store.closedReason = `IndexedDB database "${name}" was closed because another tab opened a newer schema version; reload the page.`;
        store.db.close();
      },
    });
    try {
      const db = await Promise.race([open, blocked]);
      store = new IdbStore(db, options.cap ?? DEFAULT_EVENT_CAP);
      return store;
    } catch (error) {
      // An open that completes after the blocked timeout would leak a connection that keeps
      // blocking other tabs, so close it.
      open.then((db) => db.close(), () => undefined);
      if (error instanceof AisleError) throw error;
      throw new AisleError('AISLE_STORAGE_UNAVAILABLE', `Opening IndexedDB database "${name}" failed: ${messageOf(error)}; events are kept in memory.`, { cause: error });
    } finally {
      clearTimeout(blockedTimer);
    }
  }

  /**
   * Writes the event and its profile update in one transaction. When the write exceeds the
   * storage quota, the oldest QUOTA_EVICTION_SHARE of the events are evicted and the write is
   * retried once. A second failure rejects with AISLE_STORAGE_FAILED.
   */
  async addEvent(event: AisleEvent, updateProfile?: ProfileUpdate): Promise<boolean> {
    return this.guard('addEvent', async () => {
      try {
        return await this.writeEvent(event, updateProfile);
      } catch (error) {
        if (!isQuotaError(error)) throw error;
        const evicted = await this.evictOldest();
        this.notice = `IndexedDB addEvent failed with ${messageOf(error)}; the ${evicted} oldest events were evicted and the write was retried.`;
        return await this.writeEvent(event, updateProfile);
      }
    });
  }

  /**
   * Every await in here is on a request of `tx`, never on other work. IndexedDB commits a
   * transaction once it has no pending request at the end of a task, so an await on anything
   * else would split the event and its profile update into two commits.
   */
  private async writeEvent(event: AisleEvent, updateProfile?: ProfileUpdate): Promise<boolean> {
    const tx = this.db.transaction(['events', 'profile'], 'readwrite');
    // The failing request below reports the error, so the rejection of tx.done is only awaited on success.
    tx.done.catch(() => undefined);
    try {
      const events = tx.objectStore('events');
      const profile = tx.objectStore('profile');

      // Both the duplicate check and the write run in one transaction, so two tabs tracking
      // the same eventId at once still store it once.
      if ((await events.getKey(event.eventId)) !== undefined) {
        await tx.done;
        return false;
      }
      const seq = ((await profile.get('nextSeq')) as number | undefined) ?? 0;
      await profile.put(seq + 1, 'nextSeq');
      await events.put({ ...event, seq });
      if (updateProfile) {
        const stored = await profile.get('profile');
        const next = updateProfile(typeof stored === 'object' && stored !== null ? copyProfile(stored) : undefined);
        await profile.put(copyProfile(next), 'profile');
      }

      const excess = (await events.count()) - this.cap;
      if (excess > 0) {
        let cursor = await events.index('byTime').openCursor();
        for (let removed = 0; cursor && removed < excess; removed++) {
          await cursor.delete();
          cursor = await cursor.continue();
        }
      }
      await tx.done;
      return true;
    } catch (error) {
      // A request that throws (rather than fails) leaves the transaction active, so it would
      // commit the writes before it. Aborting keeps the event and the profile all or nothing.
      abortQuietly(tx);
      throw error;
    }
  }

  /** Deletes the oldest QUOTA_EVICTION_SHARE of the events (at least one) and returns how many. */
  private async evictOldest(): Promise<number> {
    const tx = this.db.transaction('events', 'readwrite');
    const events = tx.objectStore('events');
    const target = Math.max(1, Math.ceil((await events.count()) * QUOTA_EVICTION_SHARE));
    let removed = 0;
    let cursor = await events.index('byTime').openCursor();
    while (cursor && removed < target) {
      await cursor.delete();
      removed++;
      cursor = await cursor.continue();
    }
    await tx.done;
    return removed;
  }

  async listEvents(): Promise<AisleEvent[]> {
    return this.guard('listEvents', async () => {
      const rows = await this.db.getAllFromIndex('events', 'byTime');
      return rows.map(({ seq: _seq, ...event }) => event);
    });
  }

  async getProfile(): Promise<StoredProfile | undefined> {
    return this.guard('getProfile', async () => {
      const value = await this.db.get('profile', 'profile');
      return typeof value === 'object' && value !== null ? copyProfile(value) : undefined;
    });
  }

  async putProfile(profile: StoredProfile): Promise<void> {
    await this.guard('putProfile', () => this.db.put('profile', copyProfile(profile), 'profile'));
  }

  async updateProfile(update: ProfileUpdate): Promise<StoredProfile> {
    return this.guard('updateProfile', async () => {
      const tx = this.db.transaction('profile', 'readwrite');
      tx.done.catch(() => undefined);
      try {
        const stored = await tx.store.get('profile');
        const next = copyProfile(update(typeof stored === 'object' && stored !== null ? copyProfile(stored) : undefined));
        await tx.store.put(next, 'profile');
        await tx.done;
        return copyProfile(next);
      } catch (error) {
        abortQuietly(tx);
        throw error;
      }
    });
  }

  async getCache<T>(key: string): Promise<CacheEntry<T> | undefined> {
    return this.guard('getCache', async () => (await this.db.get('cache', key)) as CacheEntry<T> | undefined);
  }

  async putCache<T>(entry: CacheEntry<T>): Promise<void> {
    await this.guard('putCache', () => this.db.put('cache', entry as CacheEntry));
  }

  async getModel(sha256: string): Promise<Uint8Array | undefined> {
    return this.guard('getModel', async () => (await this.db.get('models', sha256))?.bytes);
  }

  async putModel(sha256: string, bytes: Uint8Array): Promise<void> {
    await this.guard('putModel', () => this.db.put('models', { sha256, bytes, storedAt: Date.now() }));
  }

  async deleteModel(sha256: string): Promise<void> {
    await this.guard('deleteModel', () => this.db.delete('models', sha256));
  }

  async clear(): Promise<void> {
    await this.guard('clear', async () => {
      const tx = this.db.transaction(['events', 'profile', 'cache', 'models'], 'readwrite');
      await Promise.all([tx.objectStore('events').clear(), tx.objectStore('profile').clear(), tx.objectStore('cache').clear(), tx.objectStore('models').clear(), tx.done]);
    });
  }

  close(): void {
    this.closedReason ??= 'The store was closed.';
    this.db.close();
  }

  /** Runs one operation and turns IndexedDB failures (quota, closed database) into AISLE_STORAGE_FAILED. */
  private async guard<T>(operation: string, run: () => Promise<T>): Promise<T> {
    if (this.closedReason) throw new AisleError('AISLE_STORAGE_FAILED', `IndexedDB ${operation} failed: ${this.closedReason}`);
    try {
      return await run();
    } catch (error) {
      throw new AisleError('AISLE_STORAGE_FAILED', `IndexedDB ${operation} failed: ${messageOf(error)}.`, { cause: error });
    }
  }
}

/** Returns whether an IndexedDB failure is a full storage quota (a DOMException named QuotaExceededError). */
function isQuotaError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  return (error as { name?: unknown }).name === 'QuotaExceededError';
}

function abortQuietly(tx: { abort(): void }): void {
  try {
    tx.abort();
  } catch {
    // Already committed or aborted: nothing is left to undo.
  }
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
