/**
 * The companion's text search and rank fusion, without HTTP: BM25 through MiniSearch, query
 * normalization, the result cache and reciprocal rank fusion.
 */
import { describe, expect, it } from 'vitest';
import type { CatalogFileEntry } from '../../src/core/model-dir.js';
import { reciprocalRankFusion, RRF_K } from '../../src/server/fusion.js';
import { MAX_QUERY_WORDS, TextSearch, tokenize } from '../../src/server/text-search.js';
import { TextSearchClient } from '../../src/server/text-search-client.js';
import type { Worker } from 'node:worker_threads';

function item(id: string, title: string, extra: Partial<CatalogFileEntry> = {}): CatalogFileEntry {
  return { id, title, stats: { popularity: 0, trending: 0 }, ...extra };
}

const ITEMS: CatalogFileEntry[] = [
  item('a', 'Red Velvet Lipstick', { category: 'Lipstick', brand: 'Rosewood' }),
  item('b', 'Blue Denim Jacket', { category: 'Jackets', brand: 'Northline' }),
  item('c', 'Café Crème Foundation', { category: 'Foundation', tags: ['matte', 'vegan'] }),
  item('d', 'Waterproof Mascara', { category: 'Mascara', brand: 'Rosewood' }),
];

describe('tokenize', () => {
  it('applies NFKC and lowercase', () => {
    expect(tokenize('ＲＥＤ Velvet')).toEqual(['red', 'velvet']);
    expect(tokenize('ﬁne')).toEqual(['fine']);
  });

  it('splits scripts without spaces', () => {
    expect(tokenize('红色口红')).toEqual(['红色', '口红']);
    expect(tokenize('ลิปสติกสีแดง')).toEqual(['ลิปสติก', 'สี', 'แดง']);
    expect(tokenize('Привет, МИР')).toEqual(['привет', 'мир']);
    expect(tokenize("Crème don't 3.5mm")).toEqual(['creme', 'don', 't', '3', '5mm']);
  });

  it('drops emoji and punctuation', () => {
    expect(tokenize('💄 lip-stick!!')).toEqual(['lip', 'stick']);
    expect(tokenize('💄✨ ... ')).toEqual([]);
  });
});

describe('TextSearch', () => {
  const search = new TextSearch(ITEMS);

  it('ranks title matches first', () => {
    const hits = search.search('velvet lipstick', 10);
    expect(hits[0].index).toBe(0);
    expect(hits.every((hit) => Number.isFinite(hit.score) && hit.score > 0)).toBe(true);
  });

  it('searches brand, category and tags', () => {
    expect(search.search('rosewood', 10).map((hit) => hit.index).sort()).toEqual([0, 3]);
    expect(search.search('vegan', 10).map((hit) => hit.index)).toEqual([2]);
    expect(search.search('jackets', 10).map((hit) => hit.index)).toEqual([1]);
  });

  it('matches accents, prefixes and typos', () => {
    expect(search.search('CAFÉ', 10)[0].index).toBe(2);
    expect(search.search('cafe\u0301', 10)[0].index).toBe(2);
    expect(search.search('waterpr', 10)[0].index).toBe(3);
    expect(search.search('mascra', 10)[0].index).toBe(3);
    expect(search.search('mascarq', 10)[0].index).toBe(3);
  });

  it('limits results to k', () => {
    expect(search.search('rosewood', 1)).toHaveLength(1);
  });

  it('returns nothing for queries without words', () => {
    expect(search.search('', 10)).toEqual([]);
    expect(search.search('🙂🙂', 10)).toEqual([]);
  });

  it('scores emoji-only and empty items zero', () => {
    const withEmpty = new TextSearch([item('e', '💄✨'), item('f', ''), item('g', '红色口红 Lip tint'), item('h', 'ลิปสติกสีแดง')]);
    const hits = withEmpty.search('口红 lip ลิปสติก', 10);
    expect(hits.map((hit) => hit.index).sort()).toEqual([2, 3]);
    for (const hit of hits) expect(Number.isFinite(hit.score) && hit.score > 0).toBe(true);
    expect(withEmpty.search('💄', 10)).toEqual([]);
  });

  it('caches results without aliasing', () => {
    const first = search.search('denim', 10);
    first[0].score = -1;
    const second = search.search('denim', 10);
    expect(second[0].index).toBe(1);
    expect(second[0].score).toBeGreaterThan(0);
  });

  it('ignores words past the limit', () => {
    const padding = Array.from({ length: MAX_QUERY_WORDS }, () => 'zzz').join(' ');
    expect(search.search(`${padding} denim`, 10)).toEqual([]);
    expect(search.search(`denim ${padding}`, 10)[0].index).toBe(1);
  });
});

describe('TextSearchClient', () => {
  it('matches the inline search', async () => {
    const inline = new TextSearch(ITEMS);
    const client = await TextSearchClient.start(ITEMS);
    try {
      for (const query of ['velvet lipstick', 'rosewood', 'mascra', 'CAFÉ', '💄', '']) {
        expect(await client.search(query, 10)).toEqual(inline.search(query, 10));
      }
    } finally {
      await client.close();
    }
  });

  it('restarts a stopped worker', async () => {
    const stops: Error[] = [];
    const client = await TextSearchClient.start(ITEMS, (error) => stops.push(error));
    try {
      // Terminating the worker from outside simulates a crash.
      const worker = (client as unknown as { worker: Worker }).worker;
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      await worker.terminate();
      await exited;
      expect(stops).toHaveLength(1);
      expect((await client.search('denim', 10))[0].index).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('rejects searches after close', async () => {
    const client = await TextSearchClient.start(ITEMS);
    await client.close();
    await expect(client.search('denim', 10)).rejects.toMatchObject({ code: 'AISLE_INTERNAL' });
  });
});

describe('reciprocalRankFusion', () => {
  it('sums reciprocal ranks across lists', () => {
    const fused = reciprocalRankFusion([[5, 7], [7, 9]], 10);
    expect(fused.map((hit) => hit.index)).toEqual([7, 5, 9]);
    expect(fused[0].score).toBeCloseTo(1 / (RRF_K + 2) + 1 / (RRF_K + 1), 12);
    expect(fused[1].score).toBeCloseTo(1 / (RRF_K + 1), 12);
    expect(fused[2].score).toBeCloseTo(1 / (RRF_K + 2), 12);
  });

  it('keeps first-seen order on ties and truncates to k', () => {
    expect(reciprocalRankFusion([[1, 2], [3, 4]], 3).map((hit) => hit.index)).toEqual([1, 3, 2]);
  });

  it('returns nothing for empty lists', () => {
    expect(reciprocalRankFusion([[], []], 5)).toEqual([]);
  });
});
