/**
 * Adapter for RecBole atomic files as UniSRec publishes its Amazon downstream datasets
 * (e.g. Industrial & Scientific): `<Name>.{train,valid,test}.inter`, `<Name>.item2index`,
 * `<Name>.user2index` and `<Name>.text`.
 *
 * The .inter files hold every prefix → next item row of a user (history truncated to the last
 * 50 items). Each user's full sequence is rebuilt by chaining rows: start from the row with a
 * one-item history, then repeatedly take the row whose history equals the last (up to 50) items
 * rebuilt so far and append its target. The result is checked against the test row. Item indices
 * are the item2index integers, the public item id is the ASIN, and the user is the reviewer id
 * from user2index. There are no timestamps, only the order.
 */
import { join } from 'node:path';
import type { ItemMeta } from '../../core/types.js';
import type { Dataset, UserSequence } from './dataset.js';
import { dataError, listDirectory, parseIntField, readDataFile, splitLines } from './files.js';
import { learnCategoryRoot, parseItemText, splitCategoryPaths } from './recbole-text.js';

/** Maximum history length per row in the UniSRec .inter files. */
const MAX_ROW_HISTORY = 50;

/** Finds the base name `<Name>` of a RecBole dataset in a directory listing, or undefined. */
export function findRecBoleName(names: readonly string[]): string | undefined {
  const test = names.find((name) => name.endsWith('.test.inter'));
  if (test === undefined) return undefined;
  const base = test.slice(0, -'.test.inter'.length);
  return names.includes(`${base}.item2index`) ? base : undefined;
}

/** Loads a RecBole/UniSRec dataset from `dir`; `name` defaults to 'amazon-<name in lower case>'. */
export async function loadRecBole(dir: string, name?: string): Promise<Dataset> {
  const names = await listDirectory(dir);
  const base = findRecBoleName(names);
  if (base === undefined) throw dataError(dir, 'RecBole files <Name>.test.inter and <Name>.item2index', `files ${JSON.stringify(names)}`);

  const itemIds = await readIndexFile(dir, `${base}.item2index`);
  const userIds = names.includes(`${base}.user2index`) ? await readIndexFile(dir, `${base}.user2index`) : [];
  const rows: InterRow[] = [];
  for (const split of ['train', 'valid', 'test']) {
    const file = `${base}.${split}.inter`;
    if (!names.includes(file)) throw dataError(join(dir, file), `the ${split} split of ${base}`, 'no such file');
    rows.push(...parseInterRows(await readDataFile(dir, file), join(dir, file), split === 'test'));
  }

  const texts = names.includes(`${base}.text`) ? await readTextFile(dir, `${base}.text`) : new Map<string, string>();
  const { items, itemText } = buildCatalog(itemIds, texts);
  const sequences = rebuildSequences(rows, userIds, itemIds.length, join(dir, base));
  return {
    name: name ?? `amazon-${base.toLowerCase()}`,
    items,
    itemText,
    sequences,
    hasTimestamps: false,
    orderNote: 'Chronological order as published (sorted by review time); no timestamps.',
  };
}

interface InterRow {
  user: number;
  history: number[];
  target: number;
  isTest: boolean;
}

/** Reads `key \t index` lines into an array indexed by the integer. */
async function readIndexFile(dir: string, file: string): Promise<string[]> {
  const path = join(dir, file);
  const ids: string[] = [];
  splitLines(await readDataFile(dir, file)).forEach((line, i) => {
    const [key, value] = line.split('\t');
    const index = parseIntField(value, path, i + 1, 'index');
    if (!key || index < 0 || ids[index] !== undefined) throw dataError(path, `a unique 'id \\t index' pair on line ${i + 1}`, JSON.stringify(line));
    ids[index] = key;
  });
  const hole = ids.findIndex((id) => id === undefined);
  if (hole >= 0 || ids.length === 0) throw dataError(path, 'indices 0..n-1 without gaps', hole >= 0 ? `no entry for index ${hole}` : 'no entries');
  return ids;
}

async function readTextFile(dir: string, file: string): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  for (const line of splitLines(await readDataFile(dir, file)).slice(1)) {
    const tab = line.indexOf('\t');
    if (tab > 0) texts.set(line.slice(0, tab), line.slice(tab + 1).trim());
  }
  return texts;
}

function parseInterRows(text: string, path: string, isTest: boolean): InterRow[] {
  return splitLines(text)
    .slice(1)
    .map((line, i) => {
      const [user, history, target] = line.split('\t');
      const lineNumber = i + 2;
      const historyIds = (history ?? '').trim().split(' ').filter(Boolean);
      return {
        user: parseIntField(user, path, lineNumber, 'user_id'),
        history: historyIds.map((id) => parseIntField(id, path, lineNumber, 'item id')),
        target: parseIntField(target, path, lineNumber, 'target item id'),
        isTest,
      };
    });
}

function buildCatalog(itemIds: readonly string[], texts: ReadonlyMap<string, string>): { items: ItemMeta[]; itemText: string[] } {
  const itemText = itemIds.map((id) => texts.get(id) ?? '');
  const root = learnCategoryRoot(itemText);
  const parsed = itemText.map((text) => parseItemText(text, root));
  const entries = splitCategoryPaths(parsed.map((part) => part.path));
  const items = itemIds.map((id, i): ItemMeta => {
    const { title, path, brand } = parsed[i];
    const tags = [...entries[i], ...(brand ? [brand] : [])];
    return {
      id,
      ...(title ? { title } : {}),
      ...(path ? { category: path } : {}),
      ...(brand ? { brand } : {}),
      tags,
    };
  });
  return { items, itemText };
}

/** Rebuilds each user's full sequence from the prefix rows (see the file header). */
function rebuildSequences(rows: readonly InterRow[], userIds: readonly string[], nItems: number, path: string): UserSequence[] {
  const byUser = new Map<number, InterRow[]>();
  for (const row of rows) {
    for (const item of [...row.history, row.target]) {
      if (item < 0 || item >= nItems) throw dataError(path, `item indices in 0..${nItems - 1}`, `${item} for user ${row.user}`);
    }
    const list = byUser.get(row.user) ?? [];
    list.push(row);
    byUser.set(row.user, list);
  }
  return [...byUser.keys()]
    .sort((a, b) => a - b)
    .map((user) => ({ user: userIds[user] ?? String(user), items: Int32Array.from(chainRows(byUser.get(user) as InterRow[], path)) }));
}

function chainRows(rows: readonly InterRow[], path: string): number[] {
  const byHistory = new Map<string, InterRow[]>();
  for (const row of rows) {
    const key = row.history.join(' ');
    byHistory.set(key, [...(byHistory.get(key) ?? []), row]);
  }
  const first = rows.find((row) => row.history.length === 1);
  const test = rows.find((row) => row.isTest);
  if (first === undefined || test === undefined) throw dataError(path, `a one-item row and a test row for user ${rows[0].user}`, 'neither or one of them');

  const sequence = [first.history[0]];
  for (let used = 0; used < rows.length; used++) {
    const next = byHistory.get(sequence.slice(-MAX_ROW_HISTORY).join(' '))?.shift();
    if (next === undefined) break;
    sequence.push(next.target);
  }
  const tail = [...test.history, test.target].join(' ');
  if (sequence.length !== rows.length + 1 || sequence.slice(-test.history.length - 1).join(' ') !== tail) {
    throw dataError(path, `rows of user ${test.user} that chain into one sequence ending with the test row`, `a chain of ${sequence.length} items for ${rows.length} rows`);
  }
  return sequence;
}
