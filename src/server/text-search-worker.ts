/**
 * Body of the text search worker: builds the BM25 index from workerData and replies to search
 * requests. Runs in a worker thread because a query word found in most items keeps MiniSearch busy
 * for hundreds of milliseconds, which would stall every other route on the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { TextSearch } from './text-search.js';
import type { TextSearchRequest, TextWorkerData, TextWorkerMessage } from './text-search-protocol.js';

const port = parentPort;
if (!port) throw new Error('text-search-worker.ts must run in a worker thread');

const search = new TextSearch((workerData as TextWorkerData).items);
const send = (message: TextWorkerMessage) => port.postMessage(message);

port.on('message', (request: TextSearchRequest) => {
  try {
    if (request.type === 'add') {
      search.add(request.first, request.items);
      send({ type: 'added', id: request.id });
    } else {
      send({ type: 'result', id: request.id, hits: search.search(request.query, request.k) });
    }
  } catch (error) {
    send({ type: 'error', id: request.id, message: error instanceof Error ? error.message : String(error) });
  }
});
send({ type: 'ready' });
