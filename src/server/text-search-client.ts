/**
 * Main-thread side of the text search worker. Searches run one at a time in the worker, so a slow
 * query delays other text searches but not ANN retrieval or item lookups on the main thread.
 */
import { Worker } from 'node:worker_threads';
import { AisleError } from '../core/errors.js';
import { type ItemText, type TextHit, tokenize } from './text-search.js';
import type { TextSearchRequest, TextWorkerData, TextWorkerMessage } from './text-search-protocol.js';

const WORKER_URL = new URL('./text-search-worker.mjs', import.meta.url);

interface Pending {
  resolve: (hits: TextHit[]) => void;
  reject: (error: unknown) => void;
}

/** Text search served by a worker thread; restarted on the next search if it crashes. */
export class TextSearchClient {
  private readonly items: ItemText[];
  private worker: Worker | undefined;
  private ready: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;
  private readonly onStopped: (error: Error) => void;

  private constructor(items: readonly ItemText[], onStopped: (error: Error) => void) {
    this.onStopped = onStopped;
    // Only the indexed fields cross to the worker, which keeps the structured clone small.
    this.items = items.map(({ title, category, brand, tags }) => ({ title, category, brand, tags }));
  }

  /**
   * Starts the worker and resolves once its index is built; rejects if the worker fails to start.
   * `onStopped` is called with the reason whenever a running worker crashes or exits.
   */
  static async start(items: readonly ItemText[], onStopped: (error: Error) => void = () => {}): Promise<TextSearchClient> {
    const client = new TextSearchClient(items, onStopped);
    await client.ensureWorker();
    return client;
  }

  /** Returns up to k best matches of the query, best first; an empty list when it has no words. */
  async search(query: string, k: number): Promise<TextHit[]> {
    if (tokenize(query).length === 0) return [];
    if (this.closed) throw new AisleError('AISLE_INTERNAL', 'Text search failed: the search worker was closed with the server.');

    await this.ensureWorker();
    const id = this.nextId++;
    return new Promise<TextHit[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const request: TextSearchRequest = { type: 'search', id, query, k };
      this.worker?.postMessage(request);
    });
  }

  /**
   * Indexes items appended to the catalog. They are kept here too, so a restarted worker
   * indexes them again.
   */
  async add(items: readonly ItemText[]): Promise<void> {
    if (this.closed) throw new AisleError('AISLE_INTERNAL', 'Text search failed: the search worker was closed with the server.');
    const first = this.items.length;
    const copies = items.map(({ title, category, brand, tags }) => ({ title, category, brand, tags }));
    this.items.push(...copies);
    // A worker started from here on already has the items in its workerData.
    const started = this.worker !== undefined;
    await this.ensureWorker();
    if (!started) return;
    const id = this.nextId++;
    await new Promise<TextHit[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const request: TextSearchRequest = { type: 'add', id, first, items: copies };
      this.worker?.postMessage(request);
    });
  }

  /** Stops the worker; pending searches reject. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
    this.failPending(new AisleError('AISLE_INTERNAL', 'Text search failed: the search worker was closed with the server.'));
  }

  private ensureWorker(): Promise<void> {
    if (this.worker && this.ready) return this.ready;

    const data: TextWorkerData = { items: this.items };
    const worker = new Worker(WORKER_URL, { workerData: data });
    this.worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      worker.on('message', (message: TextWorkerMessage) => {
        if (message.type === 'ready') resolve();
        else this.settle(message);
      });
      worker.once('error', (error) => {
        reject(error);
        this.onWorkerStopped(worker, error);
      });
      worker.once('exit', (code) => {
        const error = new Error(`the search worker exited with code ${code}`);
        reject(error);
        // close() terminates the worker on purpose: that exit is not a failure to report.
        if (!this.closed) this.onWorkerStopped(worker, error);
      });
    });
    return this.ready;
  }

  private settle(message: Exclude<TextWorkerMessage, { type: 'ready' }>): void {
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.type === 'result') pending.resolve(message.hits);
    else if (message.type === 'added') pending.resolve([]);
    else pending.reject(new AisleError('AISLE_INTERNAL', `Text search failed in the search worker: ${message.message}`));
  }

  private onWorkerStopped(worker: Worker, cause: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.ready = undefined;
    this.onStopped(cause);
    this.failPending(new AisleError('AISLE_INTERNAL', `Text search failed: ${cause.message}. The worker restarts on the next search.`, { cause }));
  }

  private failPending(error: AisleError): void {
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
  }
}
