/**
 * Creates the in-memory store for openStore and FallbackStore. memory-store.ts is imported on first
 * use, so in the SDK it is a chunk of its own that only workers without IndexedDB (storage
 * 'memory', a failed open or write) download.
 */
import { AisleError } from '../core/errors.js';
import type { EventStore } from './types.js';

/** Options of the in-memory store, as MemoryStore takes them. */
export interface MemoryStoreOptions {
  cap?: number;
  fallbackReason?: string;
}

/** Loads memory-store.ts and creates a MemoryStore. Rejects with AISLE_NOT_FOUND when the chunk cannot be loaded. */
export async function createMemoryStore(options: MemoryStoreOptions): Promise<EventStore> {
  let loaded: typeof import('./memory-store.js');
  try {
    loaded = await import('./memory-store.js');
  } catch (error) {
    throw new AisleError('AISLE_NOT_FOUND', `Loading the code of the in-memory store failed: ${error instanceof Error ? error.message : String(error)}; deploy every file of dist/sdk next to aisle.js.`, { cause: error });
  }
  return new loaded.MemoryStore(options);
}
