/**
 * Messages between the companion's main thread and its text search worker.
 */
import type { ItemText, TextHit } from './text-search.js';

/** workerData of the text search worker: the item text to index, in catalog order. */
export interface TextWorkerData {
  items: ItemText[];
}

/** A search request from the main thread; `id` pairs it with its reply. */
export interface TextSearchRequest {
  id: number;
  query: string;
  k: number;
}

/** A message from the worker: ready after the index is built, then one reply per request. */
export type TextWorkerMessage =
  | { type: 'ready' }
  | { type: 'result'; id: number; hits: TextHit[] }
  | { type: 'error'; id: number; message: string };
