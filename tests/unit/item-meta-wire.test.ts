/**
 * The item metadata that crosses the worker boundary once: the worker's ItemMetaSender leaves out
 * metadata the page already has, and the page's ItemMetaCache fills it in with fresh copies.
 */
import { describe, expect, it } from 'vitest';
import { ItemMetaCache, type MetaLookup } from '../../src/client/meta-cache.js';
import type { WireRankResult } from '../../src/client/protocol.js';
import { copyItemMeta, sameItemMeta } from '../../src/core/item-meta.js';
import type { ItemMeta, RankResult } from '../../src/core/types.js';
import { ItemMetaSender } from '../../src/worker/meta-sender.js';

function meta(id: string, extra: Partial<ItemMeta> = {}): ItemMeta {
  return { id, title: `Title ${id}`, category: 'Tea', brand: 'Foxglove', price: 4.5, tags: ['tea', id], predictedTags: [['herbal', 0.8]], ...extra };
}

function result(ids: string[], metas: Record<string, ItemMeta> = {}): RankResult {
  return { items: ids.map((id, i) => ({ id, score: 1 - i / 10, item: metas[id] ?? meta(id) })), tookMs: 1 };
}

/** Fails the test when the cache calls this lookup. */
const noLookup: MetaLookup = async (ids) => {
  throw new Error(`unexpected lookup of ${ids.join(', ')}`);
};

describe('copyItemMeta and sameItemMeta', () => {
  it('copies arrays deeply', () => {
    const original = meta('a', { image: 'a.jpg', url: '/a' });
    const copy = copyItemMeta(original);
    expect(copy).toEqual(original);
    copy.tags!.push('changed');
    copy.predictedTags![0][1] = 0.1;
    expect(original.tags).toEqual(['tea', 'a']);
    expect(original.predictedTags).toEqual([['herbal', 0.8]]);
  });

  it('keeps unset fields unset', () => {
    expect(Object.keys(copyItemMeta({ id: 'x' }))).toEqual(['id']);
  });

  it('compares every field', () => {
    const base = meta('a');
    expect(sameItemMeta(base, meta('a'))).toBe(true);
    expect(sameItemMeta(base, meta('a', { price: 4.6 }))).toBe(false);
    expect(sameItemMeta(base, meta('a', { tags: ['tea'] }))).toBe(false);
    expect(sameItemMeta(base, meta('a', { predictedTags: [['herbal', 0.7]] }))).toBe(false);
    expect(sameItemMeta(base, meta('a', { predictedTags: undefined }))).toBe(false);
    expect(sameItemMeta(base, meta('a', { url: '/a' }))).toBe(false);
    expect(sameItemMeta({ id: 'a', price: Number.NaN }, { id: 'a', price: Number.NaN })).toBe(true);
  });
});

describe('ItemMetaSender', () => {
  it('sends metadata once per id', () => {
    const sender = new ItemMetaSender();
    const first = sender.encode(result(['a', 'b']));
    expect(first.items.map((item) => item.cachedItem)).toEqual([undefined, undefined]);
    const second = sender.encode(result(['b', 'c', 'a']));
    expect(second.items).toEqual([
      { id: 'b', score: 1, cachedItem: true },
      { id: 'c', score: 0.9, item: meta('c') },
      { id: 'a', score: 0.8, cachedItem: true },
    ]);
  });

  it('sends changed metadata again', () => {
    const sender = new ItemMetaSender();
    sender.encode(result(['a']));
    const changed = meta('a', { price: 5 });
    expect(sender.encode(result(['a'], { a: changed })).items[0].item).toEqual(changed);
    expect(sender.encode(result(['a'], { a: changed })).items[0].cachedItem).toBe(true);
  });

  it('keeps items without metadata as they are', () => {
    const sender = new ItemMetaSender();
    const unknown = { items: [{ id: 'gone', score: Number.NEGATIVE_INFINITY }], tookMs: 0, degraded: { code: 'AISLE_NOT_FOUND', reason: 'none' } };
    expect(sender.encode(unknown)).toEqual(unknown);
  });

  it('evicts the entry stored first', () => {
    const sender = new ItemMetaSender(2);
    sender.encode(result(['a', 'b', 'c']));
    expect(sender.lookup(['a', 'b', 'c'])).toEqual([null, meta('b'), meta('c')]);
    expect(sender.encode(result(['a'])).items[0].cachedItem).toBeUndefined();
  });

  it('forgets everything on clear', () => {
    const sender = new ItemMetaSender();
    sender.encode(result(['a']));
    sender.clear();
    expect(sender.lookup(['a'])).toEqual([null]);
    expect(sender.encode(result(['a'])).items[0].item).toEqual(meta('a'));
  });
});

describe('ItemMetaCache', () => {
  it('fills in cached metadata', async () => {
    const sender = new ItemMetaSender();
    const cache = new ItemMetaCache();
    await cache.decode(sender.encode(result(['a', 'b'])), noLookup);
    const wire = sender.encode({ ...result(['b', 'a']), rankingId: 'r1' });
    expect(wire.items.every((item) => item.cachedItem)).toBe(true);
    const decoded = await cache.decode(wire, noLookup);
    expect(decoded).toEqual({ ...result(['b', 'a']), rankingId: 'r1' });
  });

  it('returns independent copies', async () => {
    const sender = new ItemMetaSender();
    const cache = new ItemMetaCache();
    const first = await cache.decode(sender.encode(result(['a'])), noLookup);
    first.items[0].item!.title = 'changed by the page';
    first.items[0].item!.tags!.push('changed');
    const second = await cache.decode(sender.encode(result(['a'])), noLookup);
    second.items[0].item!.predictedTags![0][0] = 'changed';
    const third = await cache.decode(sender.encode(result(['a'])), noLookup);
    expect(third.items[0].item).toEqual(meta('a'));
    expect(third.items[0].item).not.toBe(second.items[0].item);
  });

  it('fills a repeated id within one reply', async () => {
    const sender = new ItemMetaSender();
    const cache = new ItemMetaCache();
    const wire = sender.encode(result(['a', 'a']));
    expect(wire.items.map((item) => item.cachedItem)).toEqual([undefined, true]);
    const decoded = await cache.decode(wire, noLookup);
    expect(decoded.items.map((item) => item.item)).toEqual([meta('a'), meta('a')]);
  });

  it('asks the worker for ids it lacks', async () => {
    const sender = new ItemMetaSender();
    sender.encode(result(['a', 'b']));
    // The page never read that reply, so its cache is empty.
    const cache = new ItemMetaCache();
    const requested: string[][] = [];
    const lookup: MetaLookup = async (ids) => {
      requested.push(ids);
      return sender.lookup(ids);
    };
    const decoded = await cache.decode(sender.encode(result(['b', 'a', 'b'])), lookup);
    expect(requested).toEqual([['b', 'a']]);
    expect(decoded.items.map((item) => item.item)).toEqual([meta('b'), meta('a'), meta('b')]);
  });

  it('leaves out metadata nobody has', async () => {
    const cache = new ItemMetaCache();
    const wire: WireRankResult = { items: [{ id: 'a', score: 1, cachedItem: true }], tookMs: 0 };
    const decoded = await cache.decode(wire, async (ids) => ids.map(() => null));
    expect(decoded.items).toEqual([{ id: 'a', score: 1 }]);
    const failed = await cache.decode(wire, async () => Promise.reject(new Error('worker gone')));
    expect(failed.items).toEqual([{ id: 'a', score: 1 }]);
  });

  it('stays in step with the sender past its capacity', async () => {
    const sender = new ItemMetaSender(3);
    const cache = new ItemMetaCache(3);
    const lists = [['a', 'b'], ['c', 'a'], ['d', 'e'], ['a', 'c', 'e'], ['f', 'b', 'e']];
    for (const ids of lists) {
      const decoded = await cache.decode(sender.encode(result(ids)), noLookup);
      expect(decoded).toEqual(result(ids));
    }
  });

  it('forgets everything on clear', async () => {
    const sender = new ItemMetaSender();
    const cache = new ItemMetaCache();
    await cache.decode(sender.encode(result(['a'])), noLookup);
    cache.clear();
    const decoded = await cache.decode(sender.encode(result(['a'])), async (ids) => ids.map(() => null));
    expect(decoded.items).toEqual([{ id: 'a', score: 1 }]);
  });
});
