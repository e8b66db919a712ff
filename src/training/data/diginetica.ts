/**
 * Adapter for DIGINETICA (CIKM Cup 2016) item views: `sample_train-item-views.csv` or
 * `train-item-views.csv` (`session_id;user_id;item_id;timeframe;eventdate`, column names matched
 * without case or underscores, that order when the header line is missing) and, when present,
 * `product-categories.csv` (`itemId;categoryId`).
 *
 * Each session is one sequence (the user is the session id). An event's time is midnight UTC of
 * `eventdate` plus `timeframe` milliseconds, and events are sorted by a stable sort on that time,
 * so ties keep their file order. Sessions with fewer than 3 events are dropped, and items are
 * kept as they are (no minimum count). Items are indexed in ascending numeric id order, the
 * category is the category id, and tags hold `c<categoryId>`. There is no item text, so the item
 * text is the tags joined by spaces.
 */
import { join } from 'node:path';
import type { ItemMeta } from '../../core/types.js';
import type { Dataset, UserSequence } from './dataset.js';
import { dataError, indexIds, listDirectory, parseIntField, readDataFile, splitLines } from './files.js';

/** Sessions with fewer events than this are dropped. */
export const MIN_SESSION_EVENTS = 3;

const VIEW_FILES = ['train-item-views.csv', 'sample_train-item-views.csv'];
const CATEGORY_FILE = 'product-categories.csv';

/** Returns the item-views file name found in a directory listing, or undefined. */
export function findDigineticaViews(names: readonly string[]): string | undefined {
  return VIEW_FILES.find((file) => names.includes(file));
}

/** Loads DIGINETICA item views from `dir` as session sequences. */
export async function loadDiginetica(dir: string, name = 'diginetica'): Promise<Dataset> {
  const names = await listDirectory(dir);
  const viewsFile = findDigineticaViews(names);
  if (viewsFile === undefined) throw dataError(dir, `one of ${VIEW_FILES.join(', ')}`, 'neither');
  const views = parseViews(await readDataFile(dir, viewsFile), join(dir, viewsFile));
  const categories = names.includes(CATEGORY_FILE) ? parseCategories(await readDataFile(dir, CATEGORY_FILE), join(dir, CATEGORY_FILE)) : new Map<string, string>();

  const bySession = new Map<string, View[]>();
  for (const view of views) {
    const list = bySession.get(view.session) ?? [];
    list.push(view);
    bySession.set(view.session, list);
  }
  const kept = [...bySession.entries()].filter(([, list]) => list.length >= MIN_SESSION_EVENTS);
  kept.sort((a, b) => Number(a[0]) - Number(b[0]));

  const index = indexIds(kept.flatMap(([, list]) => list.map((view) => view.item)), 'numeric');
  const items = [...index.keys()].map((id): ItemMeta => {
    const category = categories.get(id);
    return category === undefined ? { id, tags: [] } : { id, category, tags: [`c${category}`] };
  });
  const sequences = kept.map(([session, list]) => toSequence(session, list, index));
  return {
    name,
    items,
    itemText: items.map((item) => (item.tags ?? []).join(' ')),
    sequences,
    hasTimestamps: true,
    orderNote: 'Each session sorted by eventdate (UTC midnight) + timeframe ms with a stable sort, so ties keep their file order.',
  };
}

interface View {
  session: string;
  item: string;
  time: number;
}

/** Column order of the release, used when a copy of the file has no header line. */
const DEFAULT_COLUMNS = ['sessionid', 'userid', 'itemid', 'timeframe', 'eventdate'];

function parseViews(text: string, path: string): View[] {
  const lines = splitLines(text);
  const hasHeader = !/^\d/.test(lines[0] ?? '');
  // The sample names its columns session_id and item_id, the full release sessionId and itemId.
  const header = hasHeader ? lines[0].split(';').map((column) => column.toLowerCase().replace(/_/g, '')) : DEFAULT_COLUMNS;
  const columns = ['sessionid', 'itemid', 'timeframe', 'eventdate'].map((column) => header.indexOf(column));
  if (columns.some((column) => column < 0)) throw dataError(path, 'a header with session_id, item_id, timeframe and eventdate', JSON.stringify(lines[0] ?? ''));
  const [sessionColumn, itemColumn, frameColumn, dateColumn] = columns;
  const firstData = hasHeader ? 1 : 0;

  return lines.slice(firstData).map((line, i) => {
    const fields = line.split(';');
    const lineNumber = i + firstData + 1;
    const day = Date.parse(`${fields[dateColumn]}T00:00:00Z`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(fields[dateColumn] ?? '') || Number.isNaN(day)) {
      throw dataError(path, `an eventdate YYYY-MM-DD on line ${lineNumber}`, JSON.stringify(fields[dateColumn] ?? null));
    }
    return {
      session: String(parseIntField(fields[sessionColumn], path, lineNumber, 'session_id')),
      item: String(parseIntField(fields[itemColumn], path, lineNumber, 'item_id')),
      time: day + parseIntField(fields[frameColumn], path, lineNumber, 'timeframe'),
    };
  });
}

function parseCategories(text: string, path: string): Map<string, string> {
  const categories = new Map<string, string>();
  splitLines(text)
    .slice(1)
    .forEach((line, i) => {
      const [item, category] = line.split(';');
      categories.set(String(parseIntField(item, path, i + 2, 'itemId')), String(parseIntField(category, path, i + 2, 'categoryId')));
    });
  return categories;
}

function toSequence(session: string, views: View[], index: ReadonlyMap<string, number>): UserSequence {
  // Array.prototype.sort is stable (ES2019), so equal times keep their file order.
  const sorted = [...views].sort((a, b) => a.time - b.time);
  return {
    user: session,
    items: Int32Array.from(sorted, (view) => index.get(view.item) as number),
    timestamps: Float64Array.from(sorted, (view) => view.time),
  };
}
