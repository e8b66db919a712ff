/**
 * The retrieval of filtered searches (src/server/tag-filter.ts) on small made-up lists, where
 * the best allowed hits are known by hand.
 */
import { describe, expect, it } from 'vitest';
import { DEEPEN_FACTOR, deepenedHits, filteredVectorHits, taggedItems, type ListHit } from '../../src/server/tag-filter.js';

// A list of `size` hits whose score falls with the index: hit i has score size − i.
function list(size: number): { read: (k: number) => Promise<ListHit[]>; reads: number[] } {
  const reads: number[] = [];
  const read = async (k: number) => {
    reads.push(k);
    return Array.from({ length: Math.min(k, size) }, (_, index) => ({ index, score: size - index }));
  };
  return { read, reads };
}

describe('taggedItems', () => {
  it('keeps items with every tag', () => {
    const items = [
      { tags: ['red', 'wool'] },
      { tags: ['red'], predictedTags: [['wool', 0.5]] as Array<[string, number]> },
      { tags: ['red'], predictedTags: [['wool', 0.49]] as Array<[string, number]> },
      { tags: ['wool'] },
    ];
    expect([...taggedItems(items, ['red', 'wool'])]).toEqual([0, 1]);
    expect([...taggedItems(items, [])]).toEqual([0, 1, 2, 3]);
  });
});

describe('deepenedHits', () => {
  it('reads deeper until enough allowed hits come back', async () => {
    const { read, reads } = list(1000);
    const allowed = new Set([5, 150, 700, 900]);
    expect((await deepenedHits(read, allowed, 3, 1000)).map((hit) => hit.index)).toEqual([5, 150, 700]);
    // 3 reads none of them, 24 reads 5, 192 adds 150, and the whole list adds 700 and 900.
    expect(reads).toEqual([3, 3 * DEEPEN_FACTOR, 3 * DEEPEN_FACTOR ** 2, 1000]);
  });

  it('stops at the end of the list', async () => {
    const { read, reads } = list(20);
    expect((await deepenedHits(read, new Set([3, 40]), 5, 1000)).map((hit) => hit.index)).toEqual([3]);
    // The first read of 5 is full, the second (40) comes back with 20, so the list is exhausted.
    expect(reads).toEqual([5, 40]);
  });
});

describe('filteredVectorHits', () => {
  const score = (index: number) => -index;

  it('scores a small allowed set exactly', async () => {
    const { read, reads } = list(1000);
    const hits = await filteredVectorHits(read, score, (index) => index !== 7, new Set([900, 7, 40]), 5, 1000);
    expect(hits).toEqual([{ index: 40, score: -40 }, { index: 900, score: -900 }]);
    expect(reads).toEqual([]);
  });

  it('reads a large allowed set from the index', async () => {
    const { read, reads } = list(100);
    const allowed = new Set(Array.from({ length: 50 }, (_, i) => 2 * i + 1));
    const hits = await filteredVectorHits(read, score, () => true, allowed, 3, 100);
    expect(hits.map((hit) => hit.index)).toEqual([1, 3, 5]);
    expect(reads).toEqual([3, 24]);
  });
});
