/**
 * Messages between the companion's main thread and its text search worker.
 */
import type { ItemText, TextHit } from './text-search.js';

/** workerData of the text search worker: the item text to index, in catalog order. */
export interface TextWorkerData {
  items: ItemText[];
}

/** A request from the main thread: a search, or items to add; `id` pairs it with its reply. */
export type TextSearchRequest =
  | { type: 'search'; id: number; query: string; k: number }
  | { type: 'add'; id: number; first: number; items: ItemText[] };

/** A message from the worker: ready after the index is built, then one reply per request. */
export type TextWorkerMessage =
  | { type: 'ready' }
  | { type: 'result'; id: number; hits: TextHit[] }
  | { type: 'added'; id: number }
  | { type: 'error'; id: number; message: string };
