/** Device storage of the worker: one EventStore interface, IndexedDB and in-memory implementations. */
export * from './types.js';
export { IdbStore, SCHEMA_VERSION, DEFAULT_DB_NAME, QUOTA_EVICTION_SHARE, upgradeSchema, type AisleDbSchema, type IdbStoreOptions } from './idb-store.js';
export { MemoryStore } from './memory-store.js';
export { FallbackStore } from './fallback-store.js';
export { openStore, type OpenStoreOptions } from './open-store.js';
