/**
 * Picks the EventStore for the worker: IndexedDB when requested and available, otherwise the
 * in-memory store with the reason kept for `info()`.
 */
import { isAisleError } from '../core/errors.js';
import { FallbackStore } from './fallback-store.js';
import { IdbStore } from './idb-store.js';
import { createMemoryStore } from './memory-fallback.js';
import type { EventStore, StorageMode } from './types.js';

/** Options of `openStore`. */
export interface OpenStoreOptions {
  storage?: StorageMode;
  dbName?: string;
  /** Maximum number of events kept on the device. */
  cap?: number;
  blockedTimeoutMs?: number;
}

/**
 * Opens the requested store. A failed IndexedDB open falls back to memory, and so does a later
 * failed write of events or profile. Rejects only with AISLE_NOT_FOUND, when the code of the
 * in-memory store cannot be loaded (memory-fallback.ts).
 */
export async function openStore(options: OpenStoreOptions = {}): Promise<EventStore> {
  if (options.storage === 'memory') return createMemoryStore({ cap: options.cap });
  try {
    return new FallbackStore(await IdbStore.open({ dbName: options.dbName, cap: options.cap, blockedTimeoutMs: options.blockedTimeoutMs }), options.cap);
  } catch (error) {
    const reason = isAisleError(error) ? error.message : `Opening IndexedDB failed: ${String(error)}`;
    return createMemoryStore({ cap: options.cap, fallbackReason: reason });
  }
}
