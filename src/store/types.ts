/**
 * The device storage contract of the worker. Two implementations exist: `IdbStore` (IndexedDB
 * through idb, survives reloads) and `MemoryStore` (the fallback when IndexedDB is missing or
 * fails to open). The engine uses only the `EventStore` interface.
 */
import { copyAdaptation, type AdaptationState } from '../core/adaptation.js';
import type { AisleEvent } from '../core/types.js';

/** Storage backend in use. */
export type StorageMode = 'indexeddb' | 'memory';

/** Default number of events kept on the device; older events are evicted first. */
export const DEFAULT_EVENT_CAP = 1000;

/** The long-term profile that survives reloads. */
export interface StoredProfile {
  /** Last user vector from the user tower, dim D, or null before the first sequence event. */
  userVector: Float32Array | null;
  /** Increases whenever the user vector changes; cached candidates carry the version they were made for. */
  vectorVersion: number;
  /**
   * sha256 of the user tower that computed userVector. When the device loads another tower (a new
   * model set, or an experiment variant's), the vector is computed again from the stored events.
   * Absent in profiles stored before it was recorded, which are computed again once.
   */
  userTower?: string;
  /** Number of stored events per event type, over the life of the profile (evictions included). */
  counts: Record<string, number>;
  /** Milliseconds since the Unix epoch of the last change. */
  updatedAt: number;
  /** The shopper's learned correction of the ranker, when adaptation is on and has learned. */
  adaptation?: AdaptationState;
}

/** One cached value with its expiry and the user-vector version it was computed for. */
export interface CacheEntry<T = unknown> {
  key: string;
  value: T;
  /** Milliseconds since the Unix epoch after which the entry is stale. */
  expiresAt: number;
  vectorVersion: number;
}

/**
 * Computes the profile that an event causes from the stored one (undefined before the first
 * write). It runs inside the event's transaction, so it must be synchronous and must not throw.
 */
export type ProfileUpdate = (stored: StoredProfile | undefined) => StoredProfile;

/** Storage of events, profile, caches and model bytes on the device. */
export interface EventStore {
  readonly mode: StorageMode;
  /** Reason the store runs in memory when IndexedDB was requested; undefined otherwise. */
  readonly fallbackReason?: string;
  /** Last storage problem that the store recovered from, such as a full quota; for info(). */
  readonly notice?: string;

  /**
   * Adds an event unless one with the same eventId is stored, together with the profile that
   * `updateProfile` computes: both are written or neither is. Evicts the oldest events (by
   * timestamp) beyond the cap. Returns false for a duplicate, which leaves the profile as it was.
   */
  addEvent(event: AisleEvent, updateProfile?: ProfileUpdate): Promise<boolean>;
  /** Returns copies of the stored events, oldest first by timestamp (insertion order breaks ties). */
  listEvents(): Promise<AisleEvent[]>;

  getProfile(): Promise<StoredProfile | undefined>;
  putProfile(profile: StoredProfile): Promise<void>;
  /**
   * Replaces the stored profile with what `update` computes from it, in one read-modify-write
   * transaction, so a change of one field never undoes another tab's change of another field.
   * Returns the profile written.
   */
  updateProfile(update: ProfileUpdate): Promise<StoredProfile>;

  getCache<T>(key: string): Promise<CacheEntry<T> | undefined>;
  putCache<T>(entry: CacheEntry<T>): Promise<void>;

  /** Returns the stored bytes of a model file by its sha256 (lowercase hex), or undefined. */
  getModel(sha256: string): Promise<Uint8Array | undefined>;
  putModel(sha256: string, bytes: Uint8Array): Promise<void>;
  deleteModel(sha256: string): Promise<void>;

  /** Erases every store: events, profile, cache and models. */
  clear(): Promise<void>;
  close(): void;
}

/** Returns a deep copy of a profile, so callers never hold the stored object. */
export function copyProfile(profile: StoredProfile): StoredProfile {
  return {
    userVector: profile.userVector ? profile.userVector.slice() : null,
    vectorVersion: profile.vectorVersion,
    ...(profile.userTower === undefined ? {} : { userTower: profile.userTower }),
    counts: { ...profile.counts },
    updatedAt: profile.updatedAt,
    ...(profile.adaptation ? { adaptation: copyAdaptation(profile.adaptation) } : {}),
  };
}
