/**
 * In-memory EventStore: the fallback when IndexedDB is missing (some private modes, Node) or
 * fails to open. Same behaviour as IdbStore, but everything is lost when the worker ends.
 */
import type { AisleEvent } from '../core/types.js';
import { copyProfile, DEFAULT_EVENT_CAP, type CacheEntry, type EventStore, type ProfileUpdate, type StoredProfile } from './types.js';

interface Slot {
  event: AisleEvent;
  seq: number;
}

/** EventStore kept in Maps and arrays of the worker. */
export class MemoryStore implements EventStore {
  readonly mode = 'memory' as const;
  readonly fallbackReason?: string;
  private readonly cap: number;
  private slots: Slot[] = [];
  private readonly ids = new Set<string>();
  private nextSeq = 0;
  private profile?: StoredProfile;
  private readonly cache = new Map<string, CacheEntry>();
  private readonly models = new Map<string, Uint8Array>();

  constructor(options: { cap?: number; fallbackReason?: string } = {}) {
    this.cap = options.cap ?? DEFAULT_EVENT_CAP;
    this.fallbackReason = options.fallbackReason;
  }

  async addEvent(event: AisleEvent, updateProfile?: ProfileUpdate): Promise<boolean> {
    if (this.ids.has(event.eventId)) return false;
    // Computed before any change, so a throwing update leaves both the events and the profile as they were.
    let profile = this.profile;
    if (updateProfile) profile = copyProfile(updateProfile(this.profile ? copyProfile(this.profile) : undefined));
    const slot = { event: { ...event }, seq: this.nextSeq++ };

    // Keep slots sorted by (timestamp, seq): find the insertion point from the end, because
    // events almost always arrive in time order.
    let at = this.slots.length;
    while (at > 0 && this.slots[at - 1].event.timestamp > event.timestamp) at--;
    this.slots.splice(at, 0, slot);
    this.ids.add(event.eventId);

    while (this.slots.length > this.cap) {
      const evicted = this.slots.shift();
      if (evicted) this.ids.delete(evicted.event.eventId);
    }
    this.profile = profile;
    return true;
  }

  async listEvents(): Promise<AisleEvent[]> {
    return this.slots.map((slot) => ({ ...slot.event }));
  }

  async getProfile(): Promise<StoredProfile | undefined> {
    return this.profile ? copyProfile(this.profile) : undefined;
  }

  async putProfile(profile: StoredProfile): Promise<void> {
    this.profile = copyProfile(profile);
  }

  async updateProfile(update: ProfileUpdate): Promise<StoredProfile> {
    this.profile = copyProfile(update(this.profile ? copyProfile(this.profile) : undefined));
    return copyProfile(this.profile);
  }

  async getCache<T>(key: string): Promise<CacheEntry<T> | undefined> {
    const entry = this.cache.get(key);
    return entry ? (structuredClone(entry) as CacheEntry<T>) : undefined;
  }

  async putCache<T>(entry: CacheEntry<T>): Promise<void> {
    this.cache.set(entry.key, structuredClone(entry));
  }

  async getModel(sha256: string): Promise<Uint8Array | undefined> {
    return this.models.get(sha256)?.slice();
  }

  async putModel(sha256: string, bytes: Uint8Array): Promise<void> {
    this.models.set(sha256, bytes.slice());
  }

  async deleteModel(sha256: string): Promise<void> {
    this.models.delete(sha256);
  }

  async clear(): Promise<void> {
    this.slots = [];
    this.ids.clear();
    this.profile = undefined;
    this.cache.clear();
    this.models.clear();
  }

  close(): void {}
}
