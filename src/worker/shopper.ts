/**
 * The shopper's state inside the worker: the history joined with item records, the seen and
 * carted ids, and the stored profile with the user vector and its version.
 */
import { SEQUENCE_EVENT_TYPES, type AisleEvent, type HistoryEntry, type ItemRecord, type SequenceEventType } from '../core/types.js';
import type { StoredProfile } from '../store/types.js';

/** History entries kept in memory; the tower reads the last seqLen, the features the last 50. */
export const HISTORY_LIMIT = 200;

/** Returns whether an event enters the user tower's sequence. */
export function isSequenceEvent(event: AisleEvent): event is AisleEvent & { type: SequenceEventType; itemId: string } {
  return event.itemId !== undefined && (SEQUENCE_EVENT_TYPES as readonly string[]).includes(event.type);
}

/** Returns an empty profile. */
export function emptyProfile(now: number): StoredProfile {
  return { userVector: null, vectorVersion: 0, counts: {}, updatedAt: now };
}

/** Mutable shopper state; the engine serializes every change. */
export class ShopperState {
  history: HistoryEntry[] = [];
  /** Ids of the items of every stored sequence event (not impressions), beyond the history limit too. */
  readonly seen = new Set<string>();
  profile: StoredProfile;
  /** Whether the history records of stored events were fetched; retried while false. */
  historyComplete = true;
  /** Whether events arrived that the user vector does not reflect yet (the models were loading). */
  vectorStale = false;

  constructor(now: number) {
    this.profile = emptyProfile(now);
  }

  /** Inserts an entry in time order and drops the oldest beyond HISTORY_LIMIT. */
  addEntry(entry: HistoryEntry): void {
    let at = this.history.length;
    while (at > 0 && this.history[at - 1].timestamp > entry.timestamp) at--;
    this.history.splice(at, 0, entry);
    if (this.history.length > HISTORY_LIMIT) this.history.splice(0, this.history.length - HISTORY_LIMIT);
  }

  /** Rebuilds the history from stored events and the item records that could be fetched. */
  rebuildHistory(events: readonly AisleEvent[], records: ReadonlyMap<string, ItemRecord>): void {
    this.history = [];
    for (const event of events) {
      if (!isSequenceEvent(event)) continue;
      const item = records.get(event.itemId);
      if (item) this.addEntry({ item, type: event.type, timestamp: event.timestamp });
    }
  }

  /**
   * Sets a new user vector, computed by the user tower with sha256 `userTower`, and bumps the
   * version when it moved, so caches made for the old vector stop matching. Returns whether it moved.
   */
  setUserVector(vector: Float32Array, now: number, userTower?: string): boolean {
    const old = this.profile.userVector;
    let moved = old === null || old.length !== vector.length;
    for (let i = 0; !moved && i < vector.length; i++) moved = Math.abs(vector[i] - old![i]) > 1e-6;
    if (moved) {
      this.profile = { ...this.profile, userVector: vector, vectorVersion: this.profile.vectorVersion + 1, updatedAt: now };
    }
    if (userTower !== undefined) this.profile = { ...this.profile, userTower };
    return moved;
  }
}
