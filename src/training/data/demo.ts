/**
 * The demo store: a deterministic generator of a catalog and shopper histories (seeded PRNG, the
 * same options give the same Dataset on every machine), and its files.
 *
 * Files written by `writeDemoStore(dir)` and read back by `loadDataset(dir)`. A store's own data
 * uses the same layout under the names `catalog.json` and `events.jsonl` (STORE_FILES), with
 * `"format": "aisle-store"`:
 * - `demo-catalog.json`: `{ "format": "aisle-demo-store", "version": 1, "name", "orderNote", "items": ItemMeta[] }`,
 *   items in item-index order;
 * - `demo-events.jsonl`: one event per line, `{ "user", "item", "type", "timestamp" }`, with the
 *   public item id, a SequenceEventType and milliseconds since the Unix epoch, each user's
 *   events oldest first.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AisleError } from '../../core/errors.js';
import { SEQUENCE_EVENT_TYPES, type ItemMeta, type SequenceEventType } from '../../core/types.js';
import type { Dataset, UserSequence } from './dataset.js';
import { generateBrands, generateItems, type DemoItem } from './demo-catalog.js';
import { drawTaste, generateHistory, indexCatalog } from './demo-shoppers.js';
import { dataError, readDataFile, splitLines } from './files.js';
import { createRandom } from '../../core/random.js';

/** File names of a demo store directory. */
export const DEMO_FILES = { catalog: 'demo-catalog.json', events: 'demo-events.jsonl' } as const;

/** File names of a store's own catalog and event log, in the demo store's layout. */
export const STORE_FILES = { catalog: 'catalog.json', events: 'events.jsonl' } as const;

const CATALOG_FORMATS = ['aisle-store', 'aisle-demo-store'];

/** Options of `generateDemoStore`. */
export interface DemoStoreOptions {
  /** Catalog size (default 3000). */
  items?: number;
  /** Number of shoppers, one sequence each (default 4000). */
  shoppers?: number;
  /** PRNG seed (default 42). */
  seed?: number;
}

const ORDER_NOTE = 'Generated events with distinct, increasing timestamps per shopper; no ties.';

/** Generates the demo store as a Dataset named 'demo'. */
export function generateDemoStore(options: DemoStoreOptions = {}): Dataset {
  const itemCount = options.items ?? 3000;
  const shopperCount = options.shoppers ?? 4000;
  for (const [name, value] of [['items', itemCount], ['shoppers', shopperCount]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new AisleError('AISLE_INVALID_ARGUMENT', `generateDemoStore: ${name} must be a positive integer, got ${value}.`);
    }
  }

  const random = createRandom(options.seed ?? 42);
  const brands = generateBrands(random);
  const items = generateItems(random, brands, itemCount);
  const catalog = indexCatalog(items, brands);
  const width = Math.max(4, String(shopperCount).length);
  const sequences = Array.from({ length: shopperCount }, (_, s): UserSequence => {
    const events = generateHistory(random, catalog, drawTaste(random, catalog));
    return {
      user: `s${String(s + 1).padStart(width, '0')}`,
      items: Int32Array.from(events, (event) => event.item),
      types: events.map((event) => event.type),
      timestamps: Float64Array.from(events, (event) => event.timestamp),
    };
  });
  return { name: 'demo', items: items.map((item) => item.meta), itemText: items.map(itemText), sequences, hasTimestamps: true, orderNote: ORDER_NOTE };
}

function itemText(item: DemoItem): string {
  return `${item.meta.title}. ${item.meta.category}. ${item.meta.brand}.`;
}

/** Writes a Dataset (the demo store by default) as demo-catalog.json and demo-events.jsonl in `dir`. */
export async function writeDemoStore(dir: string, dataset: Dataset = generateDemoStore()): Promise<void> {
  await mkdir(dir, { recursive: true });
  const catalog = { format: 'aisle-demo-store', version: 1, name: dataset.name, orderNote: dataset.orderNote, items: dataset.items };
  await writeFile(join(dir, DEMO_FILES.catalog), `${JSON.stringify(catalog)}\n`);

  const lines: string[] = [];
  for (const sequence of dataset.sequences) {
    sequence.items.forEach((item, i) => {
      const type = sequence.types?.[i] ?? 'view';
      lines.push(JSON.stringify({ user: sequence.user, item: dataset.items[item].id, type, timestamp: sequence.timestamps?.[i] ?? i }));
    });
  }
  await writeFile(join(dir, DEMO_FILES.events), lines.length > 0 ? `${lines.join('\n')}\n` : '');
}

/**
 * Reads a demo store directory. Events are grouped by user in order of first appearance and
 * sorted by a stable sort on timestamp, so ties keep their line order. Item text is
 * 'Title. Category. Brand.'.
 */
export async function readDemoStore(dir: string, files: { catalog: string; events: string } = DEMO_FILES): Promise<Dataset> {
  const catalogPath = join(dir, files.catalog);
  const catalog = parseCatalog(await readDataFile(dir, files.catalog), catalogPath);
  const index = new Map(catalog.items.map((item, i) => [item.id, i]));
  const byUser = new Map<string, StoredEvent[]>();
  for (const event of parseEvents(await readDataFile(dir, files.events), join(dir, files.events), index)) {
    const list = byUser.get(event.user) ?? [];
    list.push(event);
    byUser.set(event.user, list);
  }

  const sequences = [...byUser.entries()].map(([user, events]): UserSequence => {
    const sorted = [...events].sort((a, b) => a.timestamp - b.timestamp);
    return {
      user,
      items: Int32Array.from(sorted, (event) => event.item),
      types: sorted.map((event) => event.type),
      timestamps: Float64Array.from(sorted, (event) => event.timestamp),
    };
  });
  const itemText = catalog.items.map((item) => [item.title, item.category, item.brand].filter(Boolean).map((part) => `${part}.`).join(' '));
  return { name: catalog.name, items: catalog.items, itemText, sequences, hasTimestamps: true, orderNote: catalog.orderNote };
}

interface StoredEvent {
  user: string;
  item: number;
  type: SequenceEventType;
  timestamp: number;
}

function parseCatalog(text: string, path: string): { name: string; orderNote: string; items: ItemMeta[] } {
  let parsed: { format?: unknown; name?: unknown; orderNote?: unknown; items?: unknown };
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw dataError(path, 'a JSON demo catalog', 'invalid JSON', error);
  }
  if (!CATALOG_FORMATS.includes(String(parsed?.format)) || !Array.isArray(parsed.items)) {
    throw dataError(path, `{ "format": "aisle-store", "items": [...] }`, `format ${JSON.stringify(parsed?.format ?? null)}`);
  }
  const bad = parsed.items.findIndex((item: { id?: unknown } | null) => typeof item?.id !== 'string');
  if (bad >= 0) throw dataError(path, 'an item with a string id', `items[${bad}] = ${JSON.stringify(parsed.items[bad])}`);
  return { name: String(parsed.name ?? 'demo'), orderNote: String(parsed.orderNote ?? ''), items: parsed.items as ItemMeta[] };
}

function parseEvents(text: string, path: string, index: ReadonlyMap<string, number>): StoredEvent[] {
  return splitLines(text).map((line, i) => {
    let event: { user?: unknown; item?: unknown; type?: unknown; timestamp?: unknown };
    try {
      event = JSON.parse(line);
    } catch (error) {
      throw dataError(path, `a JSON event on line ${i + 1}`, JSON.stringify(line.slice(0, 80)), error);
    }
    const item = index.get(String(event.item));
    const typeOk = (SEQUENCE_EVENT_TYPES as readonly unknown[]).includes(event.type);
    if (typeof event.user !== 'string' || item === undefined || !typeOk || typeof event.timestamp !== 'number' || !Number.isFinite(event.timestamp)) {
      throw dataError(path, `{ user, item (a catalog id), type (${SEQUENCE_EVENT_TYPES.join('|')}), timestamp (ms) } on line ${i + 1}`, JSON.stringify(line.slice(0, 120)));
    }
    return { user: event.user, item, type: event.type as SequenceEventType, timestamp: event.timestamp };
  });
}
