import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEQUENCE_EVENT_TYPES } from '../../src/core/types.js';
import type { Dataset } from '../../src/training/data/dataset.js';
import { DEMO_CATEGORIES } from '../../src/training/data/demo-catalog.js';
import { DEMO_FILES, generateDemoStore, writeDemoStore } from '../../src/training/data/demo.js';
import { loadDataset } from '../../src/training/data/index.js';

/** Plain-array form of a dataset, so toEqual compares typed arrays by value. */
function plain(dataset: Dataset): unknown {
  return { ...dataset, sequences: dataset.sequences.map((s) => ({ ...s, items: [...s.items], timestamps: s.timestamps && [...s.timestamps] })) };
}

describe('generateDemoStore', () => {
  const store = generateDemoStore({ seed: 42 });

  it('has the default sizes', () => {
    expect(store.items).toHaveLength(3000);
    expect(store.sequences).toHaveLength(4000);
    expect(store.items[0].id).toBe('p0001');
    expect(store.items[2999].id).toBe('p3000');
    expect(store.sequences[0].user).toBe('s0001');
    expect(store.hasTimestamps).toBe(true);
  });

  it('same seed gives identical output', () => {
    expect(plain(generateDemoStore({ items: 200, shoppers: 100, seed: 7 }))).toEqual(plain(generateDemoStore({ items: 200, shoppers: 100, seed: 7 })));
  });

  it('different seed gives other output', () => {
    const a = generateDemoStore({ items: 200, shoppers: 100, seed: 7 });
    const b = generateDemoStore({ items: 200, shoppers: 100, seed: 8 });
    expect(a.items.map((item) => item.title)).not.toEqual(b.items.map((item) => item.title));
    expect(plain(a)).not.toEqual(plain(b));
  });

  it('items have readable metadata', () => {
    const categories = new Set(DEMO_CATEGORIES.map((category) => category.name));
    const brands = new Set(store.items.map((item) => item.brand));
    expect(new Set(store.items.map((item) => item.category))).toEqual(categories);
    expect(categories.size).toBe(12);
    expect(brands.size).toBe(40);
    for (const item of store.items) {
      expect(item.title?.startsWith(`${item.brand} `)).toBe(true);
      expect(item.title).toMatch(/^[A-Z][A-Za-z &-]+ [A-Z][A-Za-z-]+ [A-Za-z -]+, [A-Za-z0-9 .]+$/);
      expect(item.price).toBeGreaterThanOrEqual(2.99);
      expect(item.image).toBeUndefined();
      expect(item.tags).toHaveLength(5);
    }
    expect(store.itemText[0]).toBe(`${store.items[0].title}. ${store.items[0].category}. ${store.items[0].brand}.`);
  });

  it('prices follow category medians', () => {
    const median = (name: string): number => {
      const prices = store.items.filter((item) => item.category === name).map((item) => item.price as number).sort((a, b) => a - b);
      return prices[Math.floor(prices.length / 2)];
    };
    expect(median('Sports watches')).toBeGreaterThan(4 * median('Coffee'));
    expect(median('Running shoes')).toBeGreaterThan(3 * median('Running socks'));
  });

  it('histories are valid and mostly views', () => {
    const counts = new Map<string, number>();
    let events = 0;
    const short: string[] = [];
    const repeats: string[] = [];
    const unordered: string[] = [];
    for (const sequence of store.sequences) {
      if (sequence.items.length < 3) short.push(sequence.user);
      if (new Set(sequence.items).size !== sequence.items.length) repeats.push(sequence.user);
      const times = sequence.timestamps as Float64Array;
      if (times.some((time, i) => i > 0 && time <= times[i - 1])) unordered.push(sequence.user);
      for (const type of sequence.types ?? []) counts.set(type, (counts.get(type) ?? 0) + 1);
      events += sequence.items.length;
    }
    expect(short).toEqual([]);
    expect(repeats).toEqual([]);
    expect(unordered).toEqual([]);
    expect(new Set(counts.keys())).toEqual(new Set(SEQUENCE_EVENT_TYPES));
    expect((counts.get('view') as number) / events).toBeGreaterThan(0.5);
    expect(counts.get('purchase')).toBeGreaterThan(0);
  });

  it('consecutive items often share category', () => {
    let same = 0;
    let pairs = 0;
    for (const { items } of store.sequences) {
      for (let i = 1; i < items.length; i++) {
        pairs++;
        if (store.items[items[i]].category === store.items[items[i - 1]].category) same++;
      }
    }
    // 12 categories: random order would give about 1/12 of the pairs.
    expect(same / pairs).toBeGreaterThan(0.4);
  });

  it('rejects a bad size', () => {
    expect(() => generateDemoStore({ items: 0 })).toThrow(expect.objectContaining({ code: 'AISLE_INVALID_ARGUMENT' }));
  });
});

describe('demo store files', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aisle-demo-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips through loadDataset', async () => {
    const store = generateDemoStore({ items: 120, shoppers: 60, seed: 3 });
    await writeDemoStore(dir, store);
    expect(plain(await loadDataset(dir))).toEqual(plain(store));
  });

  it('writes one event per line', async () => {
    const lines = (await readFile(join(dir, DEMO_FILES.events), 'utf8')).trim().split('\n');
    expect(JSON.parse(lines[0])).toEqual({ user: 's0001', item: expect.stringMatching(/^p\d{4}$/), type: expect.any(String), timestamp: expect.any(Number) });
  });

  it('loads the literal demo', async () => {
    const store = await loadDataset('demo');
    expect(store.name).toBe('demo');
    expect(store.items).toHaveLength(3000);
  });

  it('rejects an unknown item id', async () => {
    await writeFile(join(dir, DEMO_FILES.events), '{"user":"s1","item":"nope","type":"view","timestamp":1}\n');
    await expect(loadDataset(dir)).rejects.toMatchObject({ code: 'AISLE_DATA_INVALID', message: expect.stringContaining('line 1') });
  });

  it('rejects a foreign catalog', async () => {
    await writeFile(join(dir, DEMO_FILES.catalog), '{"items": []}');
    await expect(loadDataset(dir)).rejects.toMatchObject({ code: 'AISLE_DATA_INVALID', message: expect.stringContaining(DEMO_FILES.catalog) });
  });
});

describe('store format files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'aisle-store-format-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads catalog.json and events.jsonl of a store', async () => {
    const catalog = {
      format: 'aisle-store',
      version: 1,
      items: [
        { id: 'mug-1', title: 'Blue mug', category: 'Mugs', brand: 'Acme', price: 12 },
        { id: 'tea-7', title: 'Green tea', category: 'Tea', brand: 'Leaf' },
      ],
    };
    const events = [
      { user: 'u1', item: 'tea-7', type: 'purchase', timestamp: 2000 },
      { user: 'u1', item: 'mug-1', type: 'view', timestamp: 1000 },
      { user: 'u2', item: 'mug-1', type: 'click', timestamp: 5000 },
    ];
    await writeFile(join(dir, 'catalog.json'), JSON.stringify(catalog));
    await writeFile(join(dir, 'events.jsonl'), events.map((event) => JSON.stringify(event)).join('\n'));

    const dataset = await loadDataset(dir);
    expect(dataset.name).toBe(dir.split('/').pop());
    expect(dataset.items.map((item) => item.id)).toEqual(['mug-1', 'tea-7']);
    expect(dataset.itemText[0]).toBe('Blue mug. Mugs. Acme.');
    expect(dataset.sequences).toHaveLength(2);
    expect(Array.from(dataset.sequences[0].items)).toEqual([0, 1]);
    expect(dataset.sequences[0].types).toEqual(['view', 'purchase']);
    expect(Array.from(dataset.sequences[0].timestamps ?? [])).toEqual([1000, 2000]);
    expect(dataset.hasTimestamps).toBe(true);
  });

  it('rejects an event naming an unknown item', async () => {
    await writeFile(join(dir, 'events.jsonl'), JSON.stringify({ user: 'u1', item: 'missing', type: 'view', timestamp: 1 }));
    await expect(loadDataset(dir)).rejects.toMatchObject({ code: 'AISLE_DATA_INVALID' });
  });
});
