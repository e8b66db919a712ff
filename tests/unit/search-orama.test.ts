import * as orama from '@orama/orama';
import { describe, expect, it } from 'vitest';
import { createRandom } from '../../src/core/random.js';
import type { ItemMeta } from '../../src/core/types.js';
import { searchMetrics } from '../../src/training/search/evaluate-search.js';
import { loadOrama, ORAMA_METHODS, OramaPeer } from '../../src/training/search/orama-peer.js';
import type { SearchQuery } from '../../src/training/search/queries.js';

const DIM = 8;

const items: ItemMeta[] = [
  { id: 'a', title: 'Gorilla Glue Waterproof Polyurethane', category: 'Adhesives', brand: 'Gorilla', tags: ['glue'] },
  { id: 'b', title: 'Epoxy Adhesive Clear Syringe', category: 'Adhesives', brand: 'Loctite', tags: ['epoxy'] },
  { id: 'c', title: 'Duct Tape Silver Roll', category: 'Tape', brand: 'Gorilla', tags: ['tape'] },
  { id: 'd', title: 'Sanding Disc Assortment', category: 'Abrasives', brand: '3M', tags: ['sanding'] },
  { id: 'e', title: 'Nitrile Gloves Powder Free', category: 'Safety', brand: 'Medline', tags: ['gloves'] },
  { id: 'f', title: 'Safety Goggles Anti Fog', category: 'Safety', brand: 'Uvex', tags: ['goggles'] },
  { id: 'g', title: 'Digital Caliper Stainless', category: 'Measuring', brand: 'Mitutoyo', tags: ['caliper'] },
  { id: 'h', title: 'Beaker Set Borosilicate Glass', category: 'Lab', brand: 'Pyrex', tags: ['beaker'] },
  { id: 'i', title: 'Pipette Tips Sterile', category: 'Lab', brand: 'Eppendorf', tags: ['pipette'] },
  { id: 'j', title: 'Magnetic Stirrer Hotplate', category: 'Lab', brand: 'Thermo', tags: ['stirrer'] },
  { id: 'k', title: 'Petri Dishes Polystyrene', category: 'Lab', brand: 'Corning', tags: ['petri'] },
  { id: 'l', title: 'Microscope Slides Frosted', category: 'Lab', brand: 'Fisher', tags: ['slides'] },
];

function unit(values: number[]): Float32Array {
  const norm = Math.hypot(...values);
  return Float32Array.from(values, (value) => value / norm);
}

// Random unit item vectors. Each query vector is its target's vector plus noise, as from an
// encoder that maps a title near its item.
function vectorsFor(count: number, seed: number): { itemVectors: Float32Array; near: (index: number) => Float32Array } {
  const random = createRandom(seed);
  const itemVectors = new Float32Array(count * DIM);
  for (let i = 0; i < count; i++) itemVectors.set(unit(Array.from({ length: DIM }, () => random.next() - 0.5)), i * DIM);
  const near = (index: number) => unit(Array.from(itemVectors.subarray(index * DIM, (index + 1) * DIM), (value) => value + 0.2 * (random.next() - 0.5)));
  return { itemVectors, near };
}

describe('OramaPeer', () => {
  it('finds an exact title first in every mode', async () => {
    const { itemVectors, near } = vectorsFor(items.length, 3);
    const peer = await OramaPeer.build(orama, items, itemVectors, DIM);
    for (const target of [0, 3, 7, 11]) {
      const title = items[target].title as string;
      expect((await peer.fullText(title, 10))[0], title).toBe(target);
      expect((await peer.vector(near(target), 10))[0], title).toBe(target);
      expect((await peer.hybrid(title, near(target), 10))[0], title).toBe(target);
      expect((await peer.hybrid(title, near(target), 10, { text: 0.3, vector: 0.7 }))[0], title).toBe(target);
    }
  });

  it('returns every item as a vector hit', async () => {
    const { itemVectors, near } = vectorsFor(items.length, 5);
    const peer = await OramaPeer.build(orama, items, itemVectors, DIM);
    // Orama's default minimum cosine 0.8 would keep only the few items close to the query, and
    // about half of these random vectors point away from it.
    const hits = await peer.vector(near(2), 100);
    expect(hits).toHaveLength(items.length);
    expect(new Set(hits).size).toBe(items.length);
    expect(hits[0]).toBe(2);
  });

  it('skips items without a text vector', async () => {
    const { itemVectors, near } = vectorsFor(items.length, 7);
    itemVectors.fill(0, 4 * DIM, 5 * DIM);
    const peer = await OramaPeer.build(orama, items, itemVectors, DIM);
    const hits = await peer.vector(near(4), 100);
    expect(hits).not.toContain(4);
    expect((await peer.fullText('Nitrile Gloves', 10))[0]).toBe(4);
  });

  it('rejects vectors of the wrong size', async () => {
    const { itemVectors } = vectorsFor(items.length, 9);
    await expect(OramaPeer.build(orama, items, itemVectors.subarray(DIM), DIM)).rejects.toThrow(/vectors has 88 values, expected 12 items × dim 8 = 96/);
    const peer = await OramaPeer.build(orama, items, itemVectors, DIM);
    await expect(peer.vector(new Float32Array(DIM - 1), 10)).rejects.toThrow(/query vector has 7 values, expected dim 8/);
  });

  it('evaluates one query set into named rows', async () => {
    const { itemVectors, near } = vectorsFor(items.length, 11);
    const peer = await OramaPeer.build(orama, items, itemVectors, DIM);
    const targets = [1, 4, 6, 9];
    const queries: SearchQuery[] = targets.map((target, user) => ({ text: items[target].title as string, target, user }));
    const vectors = { vectors: targets.map(near), encodeMs: 0.5 };
    const rows = await peer.evaluate('clean', queries, vectors, { bm25: 0.3, vector: 0.7 }, 100, searchMetrics);

    expect(rows.map((row) => row.method)).toEqual([...ORAMA_METHODS]);
    expect(rows.map((row) => row.method)).toEqual(['orama-fulltext', 'orama-vector', 'orama-hybrid', 'orama-hybrid-tuned']);
    for (const row of rows) {
      expect(row.queries).toBe('clean');
      expect(row.count).toBe(4);
      expect(row['Recall@10'], row.method).toBe(1);
      expect(row['NDCG@10'], row.method).toBe(1);
      expect(Number.isFinite(row.msPerQuery)).toBe(true);
    }
    // Vector and hybrid rows include the query encoding time, because only they encode the query.
    for (const row of rows.slice(1)) expect(row.msPerQuery, row.method).toBeGreaterThanOrEqual(0.5);
  });
});

describe('loadOrama', () => {
  it('loads the installed package', async () => {
    const lines: string[] = [];
    const loaded = await loadOrama((line) => lines.push(line));
    expect(typeof loaded?.search).toBe('function');
    expect(lines).toEqual([]);
  });

  it('logs one line when the package is missing', async () => {
    const lines: string[] = [];
    const missing = Object.assign(new Error("Cannot find package '@orama/orama'"), { code: 'ERR_MODULE_NOT_FOUND' });
    const loaded = await loadOrama((line) => lines.push(line), () => Promise.reject(missing));
    expect(loaded).toBeUndefined();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/@orama\/orama is not installed, so the Orama rows are skipped/);
  });

  it('throws other import failures', async () => {
    const broken = new SyntaxError('Unexpected token');
    await expect(loadOrama(() => {}, () => Promise.reject(broken))).rejects.toBe(broken);
  });
});
