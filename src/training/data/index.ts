/**
 * `loadDataset(pathOrName)`: one entry point for every dataset format. The format is detected by
 * the files in the directory:
 *
 * | files present | format | adapter |
 * |---|---|---|
 * | `catalog.json` + `events.jsonl` | a store's own data (`"format": "aisle-store"`) | `readDemoStore` |
 * | `demo-catalog.json` + `demo-events.jsonl` | demo store | `readDemoStore` |
 * | `<Name>.txt` + `<Name>_item2attributes.json` | S3-Rec (Amazon Beauty) | `loadS3Rec` |
 * | `<Name>.test.inter` + `<Name>.item2index` | RecBole / UniSRec (Amazon Scientific) | `loadRecBole` |
 * | `u.data` + `u.item` | MovieLens-100K | `loadMovieLens` |
 * | `train-item-views.csv` or `sample_train-item-views.csv` | DIGINETICA | `loadDiginetica` |
 *
 * The literal name 'demo' generates the demo store in memory with its default options.
 */
import { basename, resolve } from 'node:path';
import type { Dataset } from './dataset.js';
import { DEMO_FILES, STORE_FILES, generateDemoStore, readDemoStore } from './demo.js';
import { findDigineticaViews, loadDiginetica } from './diginetica.js';
import { directoryError, listDirectory } from './files.js';
import { loadMovieLens } from './movielens.js';
import { findRecBoleName, loadRecBole } from './recbole.js';
import { findS3RecFiles, loadS3Rec } from './s3rec.js';

export type { Dataset, LeaveOneOutUser, UserSequence } from './dataset.js';

/** Dataset formats that `loadDataset` recognizes. */
export type DatasetFormat = 'store' | 'demo' | 's3rec' | 'recbole' | 'movielens' | 'diginetica';

/** Returns the format of a directory listing, or undefined when no format matches. */
export function detectFormat(names: readonly string[]): DatasetFormat | undefined {
  if (names.includes(STORE_FILES.catalog) && names.includes(STORE_FILES.events)) return 'store';
  if (names.includes(DEMO_FILES.catalog) && names.includes(DEMO_FILES.events)) return 'demo';
  if (findS3RecFiles(names)) return 's3rec';
  if (findRecBoleName(names)) return 'recbole';
  if (names.includes('u.data') && names.includes('u.item')) return 'movielens';
  if (findDigineticaViews(names)) return 'diginetica';
  return undefined;
}

const EXPECTED =
  'one of: catalog.json + events.jsonl; demo-catalog.json + demo-events.jsonl; <Name>.txt + <Name>_item2attributes.json; <Name>.test.inter + <Name>.item2index; u.data + u.item; train-item-views.csv or sample_train-item-views.csv';

/**
 * Loads the dataset in directory `pathOrName`, or generates the demo store for the literal 'demo'.
 * The dataset name is the directory's base name (the demo store keeps its own name).
 * Throws AisleError AISLE_DATA_INVALID naming the path, what was expected and what was found.
 */
export async function loadDataset(pathOrName: string): Promise<Dataset> {
  if (pathOrName === 'demo') return generateDemoStore();

  const dir = resolve(pathOrName);
  const names = await listDirectory(dir);
  const name = basename(dir);
  switch (detectFormat(names)) {
    case 'store':
      return { ...(await readDemoStore(dir, STORE_FILES)), name };
    case 'demo':
      return readDemoStore(dir);
    case 's3rec':
      return loadS3Rec(dir, name);
    case 'recbole':
      return loadRecBole(dir, name);
    case 'movielens':
      return loadMovieLens(dir, name);
    case 'diginetica':
      return loadDiginetica(dir, name);
    default:
      throw directoryError(dir, `the files of a known format, ${EXPECTED}`, names.length === 0 ? 'an empty directory' : `files ${names.slice(0, 12).join(', ')}`);
  }
}
