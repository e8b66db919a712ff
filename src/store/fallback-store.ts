/**
 * An IndexedDB store that moves to memory when a write of events or profile fails (a full quota,
 * a database closed by another tab's upgrade), so tracking keeps working for the rest of the
 * session. The reason stays readable as `fallbackReason` for info().
 */
import { AisleError } from '../core/errors.js';
import type { AisleEvent } from '../core/types.js';
import { createMemoryStore } from './memory-fallback.js';
import type { CacheEntry, EventStore, ProfileUpdate, StorageMode, StoredProfile } from './types.js';

/** EventStore that wraps a primary store and falls back to a MemoryStore on a failed write. */
export class FallbackStore implements EventStore {
  private current: EventStore;
  /** The move to memory, shared by the writes that fail while it runs, so that they all land in one store. */
  private moving?: Promise<void>;

  constructor(
    private readonly primary: EventStore,
    private readonly cap?: number,
  ) {
    this.current = primary;
  }

  get mode(): StorageMode {
    return this.current.mode;
  }

  get fallbackReason(): string | undefined {
    return this.current.fallbackReason;
  }

  get notice(): string | undefined {
    return this.current.notice ?? this.primary.notice;
  }

  async addEvent(event: AisleEvent, updateProfile?: ProfileUpdate): Promise<boolean> {
    return this.write((store) => store.addEvent(event, updateProfile));
  }

  listEvents(): Promise<AisleEvent[]> {
    return this.current.listEvents();
  }

  getProfile(): Promise<StoredProfile | undefined> {
    return this.current.getProfile();
  }

  async putProfile(profile: StoredProfile): Promise<void> {
    await this.write((store) => store.putProfile(profile));
  }

  updateProfile(update: ProfileUpdate): Promise<StoredProfile> {
    return this.write((store) => store.updateProfile(update));
  }

  // Caches and model bytes are optional copies, so their failures do not move the store.
  getCache<T>(key: string): Promise<CacheEntry<T> | undefined> {
    return this.current.getCache<T>(key);
  }

  putCache<T>(entry: CacheEntry<T>): Promise<void> {
    return this.current.putCache(entry);
  }

  getModel(sha256: string): Promise<Uint8Array | undefined> {
    return this.current.getModel(sha256);
  }

  putModel(sha256: string, bytes: Uint8Array): Promise<void> {
    return this.current.putModel(sha256, bytes);
  }

  deleteModel(sha256: string): Promise<void> {
    return this.current.deleteModel(sha256);
  }

  /** Erases the current store, and after a fallback also what the primary store still holds. */
  async clear(): Promise<void> {
    await this.current.clear();
    if (this.current !== this.primary) await this.primary.clear();
  }

  close(): void {
    this.current.close();
    if (this.current !== this.primary) this.primary.close();
  }

  /** Runs a write; on a storage failure of the primary store, copies what it can to memory and retries there. */
  private async write<T>(run: (store: EventStore) => Promise<T>): Promise<T> {
    try {
      return await run(this.current);
    } catch (error) {
      if (this.current.mode === 'memory' || !(error instanceof AisleError) || error.code !== 'AISLE_STORAGE_FAILED') throw error;
      this.moving ??= this.moveToMemory(error);
      await this.moving;
      return run(this.current);
    }
  }

  private async moveToMemory(error: AisleError): Promise<void> {
    const previous = this.current;
    const memory = await createMemoryStore({ cap: this.cap, fallbackReason: `${error.message} Events are kept in memory for the rest of this session.` });
    const events = await previous.listEvents().catch(() => []);
    for (const event of events) await memory.addEvent(event);
    const profile = await previous.getProfile().catch(() => undefined);
    if (profile) await memory.putProfile(profile);
    // The primary stays open, so clear() can still erase what it holds.
    this.current = memory;
  }
}
