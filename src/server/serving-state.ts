/**
 * The state the routes serve from, swappable while the server runs. Each request leases the
 * snapshot that is current when it starts and uses only that one, so a request never mixes the
 * catalog of one models directory with the FAISS index of another. A swap makes the new snapshot
 * current at once. The old one is freed (FAISS index, text search worker, query encoder) when its
 * last lease is released, so no request in flight loses its index.
 */
import { AisleError } from '../core/errors.js';
import type { ServerState } from './state.js';

/** Frees the native and worker resources of a state. Call once no request uses it. */
export async function disposeServerState(state: ServerState): Promise<void> {
  // Optional, so states built by hand in tests without live counters can be freed too. Shared
  // counters belong to the state that lent them.
  if (state.ownsLive !== false) await state.live?.close();
  await state.text.close();
  await state.queryEncoder?.close();
  await state.itemContent?.close();
  state.textVectors?.dispose();
  state.ann.dispose();
}

interface Snapshot {
  state: ServerState;
  leases: number;
  retired: boolean;
  /** Settles once the state is freed; set when the snapshot is retired. */
  disposed?: Promise<void>;
  resolveDisposed?: () => void;
}

/** A state borrowed by one request. Call `release()` when the request is done; later calls do nothing. */
export interface StateLease {
  readonly state: ServerState;
  release(): void;
}

/** The current ServerState plus the retired ones that requests still use. */
export class ServingState {
  private current: Snapshot;
  private readonly draining = new Set<Snapshot>();
  private readonly onDisposeError: (error: unknown) => void;
  private closed = false;

  /** `onDisposeError` receives failures of freeing a retired state, which no caller awaits. */
  constructor(initial: ServerState, onDisposeError: (error: unknown) => void = () => {}) {
    this.current = { state: initial, leases: 0, retired: false };
    this.onDisposeError = onDisposeError;
  }

  /** The state new requests get. Read it for reporting only; routes use `use()` or `acquire()`. */
  get state(): ServerState {
    return this.current.state;
  }

  /** Number of retired states that still have requests in flight. */
  get drainingCount(): number {
    return this.draining.size;
  }

  /** Leases the current state. The lease keeps it alive after a swap until `release()`. */
  acquire(): StateLease {
    const snapshot = this.current;
    snapshot.leases += 1;
    let released = false;
    return {
      state: snapshot.state,
      release: () => {
        if (released) return;
        released = true;
        snapshot.leases -= 1;
        if (snapshot.retired && snapshot.leases === 0) this.dispose(snapshot);
      },
    };
  }

  /** Runs `work` with a lease on the current state and releases it when `work` settles. */
  async use<T>(work: (state: ServerState) => Promise<T> | T): Promise<T> {
    const lease = this.acquire();
    try {
      return await work(lease.state);
    } finally {
      lease.release();
    }
  }

  /**
   * Makes `next` the state of every request that starts from now on. Resolves once the previous
   * state is freed, which waits for the requests that still use it. After `close()` it frees
   * `next` instead and rejects.
   */
  async swap(next: ServerState): Promise<void> {
    if (this.closed) {
      await disposeServerState(next);
      throw new AisleError('AISLE_DESTROYED', 'Swapping in a new models directory failed: the server is closed.');
    }
    const previous = this.current;
    this.current = { state: next, leases: 0, retired: false };
    previous.retired = true;
    previous.disposed = new Promise((resolve) => (previous.resolveDisposed = resolve));
    this.draining.add(previous);
    if (previous.leases === 0) this.dispose(previous);
    await previous.disposed;
  }

  /** Frees the current state and waits for retired ones. Call after the HTTP server stopped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const pending = [...this.draining].map((snapshot) => snapshot.disposed);
    await disposeServerState(this.current.state);
    await Promise.all(pending);
  }

  private dispose(snapshot: Snapshot): void {
    disposeServerState(snapshot.state)
      .catch(this.onDisposeError)
      .finally(() => {
        this.draining.delete(snapshot);
        snapshot.resolveDisposed?.();
      });
  }
}
