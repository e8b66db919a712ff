import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, detectFormat } from '../../src/training/data/index.js';
import { learnCategoryRoot, parseItemText, splitCategoryPaths } from '../../src/training/data/recbole-text.js';

let root: string;

/** Writes `files` into a new directory `name` under the test's temporary root. */
async function writeDir(name: string, files: Record<string, string | Buffer>): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) await writeFile(join(dir, file), content);
  return dir;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'aisle-data-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('S3-Rec adapter', () => {
  it('parses sequences and attribute tags', async () => {
    const dir = await writeDir('beauty-mini', {
      'Mini.txt': '1 1 2 3\n2 4 2 5 1\n3 10 2\n',
      'Mini_item2attributes.json': JSON.stringify({ 1: [173, 1], 2: [3], 3: [], 4: [5], 5: [6], 10: [7, 8] }),
    });
    const dataset = await loadDataset(dir);
    expect(dataset.name).toBe('beauty-mini');
    expect(dataset.items.map((item) => item.id)).toEqual(['1', '2', '3', '4', '5', '10']);
    expect(dataset.items[0]).toEqual({ id: '1', tags: ['a173', 'a1'] });
    expect(dataset.items[5].tags).toEqual(['a7', 'a8']);
    expect(dataset.itemText[0]).toBe('a173 a1');
    expect(dataset.itemText[2]).toBe('');
    expect(dataset.sequences.map((s) => s.user)).toEqual(['1', '2', '3']);
    expect(dataset.sequences.map((s) => [...s.items])).toEqual([[0, 1, 2], [3, 1, 4, 0], [5, 1]]);
    expect(dataset.sequences[0].timestamps).toBeUndefined();
    expect(dataset.hasTimestamps).toBe(false);
  });

  it('rejects a non-integer item id', async () => {
    const dir = await writeDir('beauty-bad-line', { 'Mini.txt': '1 1 2\n2 x 3\n', 'Mini_item2attributes.json': '{}' });
    await expect(loadDataset(dir)).rejects.toMatchObject({ code: 'AISLE_DATA_INVALID', message: expect.stringContaining('line 2') });
  });

  it('rejects invalid attribute JSON', async () => {
    const dir = await writeDir('beauty-bad-json', { 'Mini.txt': '1 1 2\n', 'Mini_item2attributes.json': '{"1": [1,' });
    await expect(loadDataset(dir)).rejects.toMatchObject({ code: 'AISLE_DATA_INVALID', message: expect.stringContaining('Mini_item2attributes.json') });
  });
});

/** RecBole rows of one user: every prefix → next item, history cut to the last 50, test row last. */
function interRows(user: number, sequence: number[]): { train: string[]; valid: string; test: string } {
  const row = (end: number): string => `${user}\t${sequence.slice(Math.max(0, end - 50), end).join(' ')}\t${sequence[end]}`;
  const train = sequence.slice(1, -2).map((_, i) => row(i + 1)).reverse();
  return { train, valid: row(sequence.length - 2), test: row(sequence.length - 1) };
}

describe('RecBole adapter', () => {
  const asins = Array.from({ length: 60 }, (_, i) => `B${String(i).padStart(9, '0')}`);
  const long = Array.from({ length: 55 }, (_, i) => (i * 7) % 60);
  const sequences = [[0, 1, 2, 3, 4], [5, 2, 1, 3], long];

  async function writeRecBole(name: string): Promise<string> {
    const rows = sequences.map((sequence, user) => interRows(user, sequence));
    const header = 'user_id:token\titem_id_list:token_seq\titem_id:token\n';
    const paths = ['Fasteners Screws', 'Fasteners Washers Flat Washers', 'Abrasives Sanding Rolls'];
    const texts = asins.map((asin, i) => `${asin}\tGadget ${i}, Blue. Industrial & Scientific ${paths[i % 3]}. Acme. `);
    texts[0] = `${asins[0]}\tMr. Widget No. 5, Blue. Industrial & Scientific Lab & Scientific Products Lab Tubes. Acme Co. Ltd. `;
    texts[1] = `${asins[1]}\tPlain Tape. . Tapeco. `;
    return writeDir(name, {
      'Sci.item2index': asins.map((asin, i) => `${asin}\t${i}`).join('\n'),
      'Sci.user2index': ['A1', 'A2', 'A3'].map((id, i) => `${id}\t${i}`).join('\n'),
      'Sci.train.inter': header + rows.flatMap((r) => r.train).join('\n'),
      'Sci.valid.inter': header + rows.map((r) => r.valid).join('\n'),
      'Sci.test.inter': header + rows.map((r) => r.test).join('\n'),
      'Sci.text': `item_id:token\ttext:token_seq\n${texts.join('\n')}\n`,
    });
  }

  it('rebuilds full sequences past 50 items', async () => {
    const dataset = await loadDataset(await writeRecBole('sci-mini'));
    expect(dataset.sequences.map((s) => s.user)).toEqual(['A1', 'A2', 'A3']);
    expect(dataset.sequences.map((s) => [...s.items])).toEqual(sequences);
    expect(dataset.items.map((item) => item.id)).toEqual(asins);
  });

  it('parses title, category and brand', async () => {
    const dataset = await loadDataset(join(root, 'sci-mini'));
    expect(dataset.items[0]).toMatchObject({ title: 'Mr. Widget No. 5, Blue', category: 'Lab & Scientific Products Lab Tubes', brand: 'Acme Co. Ltd' });
    expect(dataset.items[1]).toEqual({ id: asins[1], title: 'Plain Tape', brand: 'Tapeco', tags: ['Tapeco'] });
    expect(dataset.items[2]).toEqual({ id: asins[2], title: 'Gadget 2, Blue', category: 'Abrasives Sanding Rolls', brand: 'Acme', tags: ['Abrasives Sanding Rolls', 'Acme'] });
    expect(dataset.items[4]).toMatchObject({ category: 'Fasteners Washers Flat Washers', tags: ['Fasteners', 'Washers Flat Washers', 'Acme'] });
    expect(dataset.itemText[2]).toBe('Gadget 2, Blue. Industrial & Scientific Abrasives Sanding Rolls. Acme.');
  });

  it('rejects rows that do not chain', async () => {
    const dir = await writeRecBole('sci-broken');
    await writeFile(join(dir, 'Sci.valid.inter'), 'user_id:token\titem_id_list:token_seq\titem_id:token\n0\t0 1 2\t9\n1\t5 2\t1\n2\t1\t2\n');
    await expect(loadDataset(dir)).rejects.toMatchObject({ code: 'AISLE_DATA_INVALID' });
  });
});

describe('item text parser', () => {
  it('learns the shared category root', () => {
    const texts = ['A. Root Cat X. B.', 'C. Root Cat Y Z. D.', 'E. Root Cat X W. F.'];
    expect(learnCategoryRoot(texts)).toBe('Root Cat');
  });

  it('root leaves one path word', () => {
    expect(learnCategoryRoot(['A. Root Leaf. B.', 'C. Root Leaf. D.'])).toBe('Root');
  });

  it('uses the last root marker', () => {
    expect(parseItemText('Root Cat />. Root Cat Seals O-Rings. Seal Co. (STCC). ', 'Root Cat')).toEqual({ title: 'Root Cat />', path: 'Seals O-Rings', brand: 'Seal Co. (STCC)' });
  });

  it('splits paths where others branch', () => {
    const entries = splitCategoryPaths(['Fasteners Screws', 'Fasteners Washers Flat Washers', 'Fasteners Washers', 'Abrasives Sanding Rolls']);
    expect(entries[0]).toEqual(['Fasteners', 'Screws']);
    expect(entries[1]).toEqual(['Fasteners', 'Washers', 'Flat Washers']);
    expect(entries[3]).toEqual(['Abrasives Sanding Rolls']);
  });
});

describe('MovieLens adapter', () => {
  const flags = (on: number[]): string => Array.from({ length: 19 }, (_, g) => (on.includes(g) ? '1' : '0')).join('|');

  it('parses latin-1 titles, genres and ties', async () => {
    const items = [
      `1|Toy Story (1995)|01-Jan-1995||http://x|${flags([3, 4, 5])}`,
      `2|Café Society (1995)|01-Jan-1995||http://x|${flags([8])}`,
      `3|Four Rooms (1995)|01-Jan-1995||http://x|${flags([])}`,
    ].join('\n');
    const ratings = ['2\t1\t5\t100', '1\t2\t3\t70', '2\t3\t1\t50', '2\t2\t4\t100'].join('\n');
    const dataset = await loadDataset(await writeDir('ml-mini', { 'u.item': Buffer.from(items, 'latin1'), 'u.data': ratings }));

    expect(dataset.items[0]).toEqual({ id: '1', title: 'Toy Story (1995)', category: 'Animation', tags: ['Animation', "Children's", 'Comedy'] });
    expect(dataset.items[1].title).toBe('Café Society (1995)');
    expect(dataset.items[2]).toEqual({ id: '3', title: 'Four Rooms (1995)', tags: [] });
    expect(dataset.itemText[0]).toBe("Toy Story (1995). Animation. Children's. Comedy");
    expect(dataset.sequences.map((s) => s.user)).toEqual(['1', '2']);
    // User 2: item 3 at t=50, then items 1 and 2 tied at t=100 in file order.
    expect([...dataset.sequences[1].items]).toEqual([2, 0, 1]);
    expect([...(dataset.sequences[1].timestamps as Float64Array)]).toEqual([50_000, 100_000, 100_000]);
    expect(dataset.hasTimestamps).toBe(true);
  });

  it('rejects a rating of an unknown movie', async () => {
    const dir = await writeDir('ml-bad', { 'u.item': `1|A (1995)|||x|${flags([1])}`, 'u.data': '1\t1\t5\t10\n1\t9\t5\t11\n' });
    await expect(loadDataset(dir)).rejects.toMatchObject({ code: 'AISLE_DATA_INVALID', message: expect.stringContaining('item 9') });
  });
});

describe('DIGINETICA adapter', () => {
  it('parses sessions, times and categories', async () => {
    const views = [
      'session_id;user_id;item_id;timeframe;eventdate',
      '1;NA;300;2000;2016-05-09',
      '1;NA;100;1000;2016-05-09',
      '1;NA;200;1000;2016-05-09',
      '2;NA;100;5;2016-05-10',
      '2;NA;300;9;2016-05-10',
      '3;7;400;0;2016-01-03',
      '3;7;100;10;2016-01-03',
      '3;7;500;20;2016-01-03',
    ].join('\n');
    const categories = 'itemId;categoryId\n100;11\n200;12\n300;11\n400;13\n';
    const dataset = await loadDataset(await writeDir('digi-mini', { 'sample_train-item-views.csv': views, 'product-categories.csv': categories }));

    expect(dataset.items.map((item) => item.id)).toEqual(['100', '200', '300', '400', '500']);
    expect(dataset.items[0]).toEqual({ id: '100', category: '11', tags: ['c11'] });
    expect(dataset.items[4]).toEqual({ id: '500', tags: [] });
    expect(dataset.sequences.map((s) => s.user)).toEqual(['1', '3']);
    expect([...dataset.sequences[0].items]).toEqual([0, 1, 2]);
    const day = Date.UTC(2016, 4, 9);
    expect([...(dataset.sequences[0].timestamps as Float64Array)]).toEqual([day + 1000, day + 1000, day + 2000]);
    expect([...dataset.sequences[1].items]).toEqual([3, 0, 4]);
  });

  it('accepts camelCase column names', async () => {
    const views = ['sessionId;userId;itemId;timeframe;eventdate', '5;NA;20;3;2016-05-09', '5;NA;10;1;2016-05-09', '5;NA;30;2;2016-05-09'].join('\n');
    const dataset = await loadDataset(await writeDir('digi-camel', { 'train-item-views.csv': views }));
    expect(dataset.items.map((item) => item.id)).toEqual(['10', '20', '30']);
    expect([...dataset.sequences[0].items]).toEqual([0, 2, 1]);
  });

  it('reads a file without header', async () => {
    const dataset = await loadDataset(await writeDir('digi-no-header', { 'train-item-views.csv': '5;NA;20;3;2016-05-09\n5;NA;10;1;2016-05-09\n5;NA;30;2;2016-05-09\n' }));
    expect([...dataset.sequences[0].items]).toEqual([0, 2, 1]);
    expect(dataset.sequences[0].timestamps?.[0]).toBe(Date.UTC(2016, 4, 9) + 1);
  });

  it('rejects a bad eventdate', async () => {
    const dir = await writeDir('digi-bad', { 'sample_train-item-views.csv': 'session_id;user_id;item_id;timeframe;eventdate\n1;NA;3;0;May 9\n' });
    await expect(loadDataset(dir)).rejects.toMatchObject({ code: 'AISLE_DATA_INVALID', message: expect.stringContaining('line 2') });
  });
});

describe('loadDataset errors', () => {
  it('rejects a missing directory', async () => {
    const path = join(root, 'does-not-exist');
    await expect(loadDataset(path)).rejects.toMatchObject({ code: 'AISLE_DATA_INVALID', message: expect.stringContaining(path) });
  });

  it('rejects an empty directory', async () => {
    const dir = await writeDir('empty', {});
    await expect(loadDataset(dir)).rejects.toMatchObject({ code: 'AISLE_DATA_INVALID', message: expect.stringContaining('an empty directory') });
  });

  it('names the files it found', async () => {
    const dir = await writeDir('unknown', { 'notes.txt': 'hello' });
    await expect(loadDataset(dir)).rejects.toMatchObject({ code: 'AISLE_DATA_INVALID', message: expect.stringContaining('notes.txt') });
  });

  it('rejects a file path', async () => {
    const dir = await writeDir('plain-file', { 'u.data': '1\t1\t1\t1' });
    await expect(loadDataset(join(dir, 'u.data'))).rejects.toMatchObject({ code: 'AISLE_DATA_INVALID' });
  });

  it('detects each format by its files', () => {
    expect(detectFormat(['demo-catalog.json', 'demo-events.jsonl'])).toBe('demo');
    expect(detectFormat(['Beauty.txt', 'Beauty_item2attributes.json'])).toBe('s3rec');
    expect(detectFormat(['S.test.inter', 'S.item2index'])).toBe('recbole');
    expect(detectFormat(['u.data', 'u.item'])).toBe('movielens');
    expect(detectFormat(['sample_train-item-views.csv'])).toBe('diginetica');
    expect(detectFormat(['Beauty.txt'])).toBeUndefined();
  });
});
