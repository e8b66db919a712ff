/**
 * Adapter for the S3-Rec sequence format (CIKM 2020 authors' release), used for Amazon Beauty:
 * - `<Name>.txt`: one user per line, `user_id item_1 … item_n`, items already in time order;
 * - `<Name>_item2attributes.json`: `{ "item_id": [attribute_id, …] }`, attribute ids only (no names).
 *
 * Items are indexed in ascending numeric id order, and the public item id is the file's id as a
 * string. Attributes become tags `a<id>` (e.g. 'a173'), and the item text is those tags joined by
 * spaces because the files carry no titles. There are no timestamps, only the order.
 */
import { join } from 'node:path';
import type { ItemMeta } from '../../core/types.js';
import type { Dataset, UserSequence } from './dataset.js';
import { dataError, indexIds, listDirectory, readDataFile, splitLines } from './files.js';

/** File names of one S3-Rec dataset in a directory. */
export interface S3RecFiles {
  sequences: string;
  attributes: string;
}

/** Finds `<Name>.txt` and its `<Name>_item2attributes.json` in a directory listing, or undefined. */
export function findS3RecFiles(names: readonly string[]): S3RecFiles | undefined {
  const attributes = names.find((name) => name.endsWith('_item2attributes.json'));
  if (attributes === undefined) return undefined;
  const sequences = `${attributes.slice(0, -'_item2attributes.json'.length)}.txt`;
  if (!names.includes(sequences)) return undefined;
  return { sequences, attributes };
}

/** Loads an S3-Rec dataset from `dir`; `name` defaults to 'amazon-<name of the .txt file>'. */
export async function loadS3Rec(dir: string, name?: string): Promise<Dataset> {
  const files = findS3RecFiles(await listDirectory(dir));
  if (files === undefined) {
    throw dataError(dir, 'an S3-Rec dataset (<Name>.txt and <Name>_item2attributes.json)', 'no such pair of files');
  }
  const rows = parseSequenceRows(await readDataFile(dir, files.sequences), join(dir, files.sequences));
  const attributes = parseAttributes(await readDataFile(dir, files.attributes), join(dir, files.attributes));

  const allIds = rows.flatMap((row) => row.items).concat(Object.keys(attributes));
  const index = indexIds(allIds, 'numeric');
  const items: ItemMeta[] = [...index.keys()].map((id) => ({ id, tags: (attributes[id] ?? []).map((a) => `a${a}`) }));
  const sequences: UserSequence[] = rows.map((row) => ({
    user: row.user,
    items: Int32Array.from(row.items, (id) => index.get(id) as number),
  }));

  const baseName = files.sequences.replace(/\.txt$/, '').toLowerCase();
  return {
    name: name ?? `amazon-${baseName}`,
    items,
    itemText: items.map((item) => (item.tags ?? []).join(' ')),
    sequences,
    hasTimestamps: false,
    orderNote: 'Order as given in the file (sorted by review time by the publisher); no timestamps.',
  };
}

interface SequenceRow {
  user: string;
  items: string[];
}

function parseSequenceRows(text: string, path: string): SequenceRow[] {
  return splitLines(text).map((line, i) => {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 2 || fields.some((field) => !/^\d+$/.test(field))) {
      throw dataError(path, `'user_id item_id …' with integer ids on line ${i + 1}`, JSON.stringify(line.slice(0, 80)));
    }
    return { user: fields[0], items: fields.slice(1) };
  });
}

function parseAttributes(text: string, path: string): Record<string, number[]> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw dataError(path, 'a JSON object { item_id: [attribute_id, …] }', 'invalid JSON', error);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw dataError(path, 'a JSON object { item_id: [attribute_id, …] }', Array.isArray(parsed) ? 'an array' : typeof parsed);
  }
  for (const [id, value] of Object.entries(parsed)) {
    if (!Array.isArray(value) || value.some((a) => !Number.isInteger(a))) {
      throw dataError(path, `a list of integer attribute ids for item ${id}`, JSON.stringify(value).slice(0, 80));
    }
  }
  return parsed as Record<string, number[]>;
}
