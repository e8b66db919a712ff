import { describe, expect, it } from 'vitest';
import { CompanionClient } from '../../src/worker/companion.js';
import { ItemCatalog } from '../../src/worker/item-catalog.js';
import { buildCatalog, createFakeCompanion } from '../browser/fixtures/fake-companion.js';

function setup(capacity?: number) {
  const companion = createFakeCompanion({ catalog: buildCatalog(10, 4) });
  const client = new CompanionClient('http://companion.test', companion.fetch, () => 1000);
  return { catalog: new ItemCatalog(client, capacity), log: companion.log };
}

describe('ItemCatalog', () => {
  it('batches lookups of one tick', async () => {
    const { catalog, log } = setup();
    const [first, second] = await Promise.all([catalog.get(['item-1', 'item-2']), catalog.get(['item-2', 'item-3'])]);
    expect(log.paths).toEqual(['/v1/items']);
    expect([...first.keys()]).toEqual(['item-1', 'item-2']);
    expect([...second.keys()]).toEqual(['item-2', 'item-3']);
  });

  it('serves cached records without a request', async () => {
    const { catalog, log } = setup();
    await catalog.get(['item-1']);
    const again = await catalog.get(['item-1']);
    expect(again.get('item-1')?.vector).toHaveLength(4);
    expect(log.paths).toHaveLength(1);
  });

  it('does not refetch ids missing from the catalog', async () => {
    const { catalog, log } = setup();
    expect((await catalog.get(['ghost'])).size).toBe(0);
    expect((await catalog.get(['ghost'])).size).toBe(0);
    expect(log.paths).toHaveLength(1);
  });

  it('evicts the least recently used record', async () => {
    const { catalog, log } = setup(2);
    await catalog.get(['item-1', 'item-2']);
    await catalog.get(['item-1']);
    await catalog.get(['item-3']);
    expect(catalog.peek('item-2')).toBeUndefined();
    expect(catalog.peek('item-1')).toBeDefined();
    expect(log.paths).toHaveLength(2);
  });

  it('rejects when the companion fails', async () => {
    const companion = createFakeCompanion({ catalog: [], down: () => true });
    const catalog = new ItemCatalog(new CompanionClient('http://companion.test', companion.fetch, () => 1000));
    await expect(catalog.get(['item-1'])).rejects.toMatchObject({ code: 'AISLE_COMPANION_UNREACHABLE' });
  });
});
