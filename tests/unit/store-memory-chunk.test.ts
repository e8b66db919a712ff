import 'fake-indexeddb/auto';
import { afterEach, describe, expect, it, vi } from 'vitest';

// memory-store.ts is a chunk of its own in the SDK build. These tests make its import fail, as a
// copy of dist/sdk without that file would.
describe('in-memory store chunk missing', () => {
  afterEach(() => {
    vi.doUnmock('../../src/store/memory-store.js');
    vi.resetModules();
  });

  async function withoutMemoryStore() {
    vi.resetModules();
    vi.doMock('../../src/store/memory-store.js', () => {
      throw new Error('Failed to fetch dynamically imported module: aisle.worker.memory-store.js');
    });
    return import('../../src/store/open-store.js');
  }

  it('openStore rejects with AISLE_NOT_FOUND', async () => {
    const { openStore } = await withoutMemoryStore();
    const failure = await openStore({ storage: 'memory' }).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'AISLE_NOT_FOUND' });
    expect((failure as Error).message).toMatch(/^Loading the code of the in-memory store failed: .+; deploy every file of dist\/sdk next to aisle\.js\.$/);
    // Vitest wraps the error of the mock factory in its own, which becomes the cause.
    expect(String((failure as Error).cause)).toMatch(/mocking a module/);
  });

  it('still opens IndexedDB without it', async () => {
    const { openStore } = await withoutMemoryStore();
    const store = await openStore({ dbName: `memory-chunk-${Math.random()}` });
    expect(store.mode).toBe('indexeddb');
    store.close();
  });
});
