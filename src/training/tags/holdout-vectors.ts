/**
 * Item vectors for the tags evaluation. The served item tower reads every item's tags as content
 * tokens, so its vectors carry the very attributes the evaluation hides. These vectors come from
 * towers trained on the catalog with the hidden items' attributes removed (`hideAttributes`):
 * a hidden item's vector then reflects only its title and its behaviour. Training the towers is
 * the slow step, so the vectors are kept in a cache directory and reused while the catalog, the
 * hidden set, the dim and the seed are unchanged.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { leaveOneOut } from '../data/split.js';
import { buildItemContent } from '../models/item-content.js';
import { allItemVectors, type ItemTowerWeights } from '../models/item-tower.js';
import { initTensorflow } from '../models/tf.js';
import { trainTowers } from '../models/train-towers.js';
import { SMALL_DATA_USERS, towerTrainingOptions } from '../train.js';
import { hideAttributes } from './holdout.js';

/** Options of `heldOutItemVectors`. */
export interface HeldOutVectorOptions {
  /** The catalog with the hidden items' attributes removed. */
  masked: Dataset;
  /** Number of hidden items, recorded with the cached vectors. */
  hiddenCount: number;
  /** Directory of the cached vectors. */
  cacheDir: string;
  /** Train again even when the cache matches. */
  retrain: boolean;
  towerMinutes?: number;
  seed: number;
  log: (line: string) => void;
}

/** The item vectors of the masked catalog, row-major [items, dim]. */
export interface HeldOutVectors {
  /** The item tower's vectors as it serves them: a hidden item's content is its title. */
  vectors: Float32Array;
  /** Every item's vector computed from its id and its title alone (`titleOnlyItemVectors`). */
  titleOnly: Float32Array;
  dim: number;
  info: CacheInfo;
}

/** Record of the settings behind the cached vectors. */
interface CacheInfo {
  dataset: string;
  items: number;
  hidden: number;
  dim: number;
  seed: number;
  towerMinutes: number | null;
  epochs: number;
  bestEpoch: number;
  seconds: number;
}

const VECTORS_FILE = 'item_vectors.f32';
const TITLE_ONLY_FILE = 'title_only_vectors.f32';
const INFO_FILE = 'info.json';

/** Returns row-major [items, dim] item vectors of the masked catalog, trained or read from the cache. */
export async function heldOutItemVectors(options: HeldOutVectorOptions): Promise<HeldOutVectors> {
  const { masked } = options;
  const users = leaveOneOut(masked);
  // The same dim rule as `aisle train`, so the vectors have the served vectors' shape.
  const dim = users.length < SMALL_DATA_USERS ? 32 : 64;
  const seqLen = users.length < SMALL_DATA_USERS ? 20 : 50;
  const wanted = { dataset: masked.name, items: masked.items.length, hidden: options.hiddenCount, dim, seed: options.seed, towerMinutes: options.towerMinutes ?? null };

  const cached = options.retrain ? undefined : await readCache(options.cacheDir, wanted);
  if (cached) {
    options.log(`tags: reusing the item vectors of the masked catalog in ${options.cacheDir} (trained ${cached.info.epochs} epochs)`);
    return { ...cached, dim };
  }

  options.log(`tags: training the towers on the catalog without the attributes of ${options.hiddenCount} hidden items`);
  await initTensorflow();
  const started = Date.now();
  const trained = await trainTowers(masked, users, towerTrainingOptions({ dim, seqLen, towerMinutes: options.towerMinutes, seed: options.seed, usesAges: masked.hasTimestamps, log: options.log }));
  const vectors = allItemVectors(trained.towers.item, trained.towers.content, masked.items.length);
  const titleOnly = titleOnlyItemVectors(trained.towers.item, masked);
  const info: CacheInfo = { ...wanted, epochs: trained.epochs.length, bestEpoch: trained.bestEpoch, seconds: (Date.now() - started) / 1000 };
  await mkdir(options.cacheDir, { recursive: true });
  await writeFile(join(options.cacheDir, VECTORS_FILE), littleEndianBytes(vectors));
  await writeFile(join(options.cacheDir, TITLE_ONLY_FILE), littleEndianBytes(titleOnly));
  await writeFile(join(options.cacheDir, INFO_FILE), `${JSON.stringify(info, null, 2)}\n`);
  return { vectors, titleOnly, dim, info };
}

/** Reads the cached vectors when their info matches `wanted`; undefined otherwise. */
async function readCache(dir: string, wanted: Omit<CacheInfo, 'epochs' | 'bestEpoch' | 'seconds'>): Promise<Omit<HeldOutVectors, 'dim'> | undefined> {
  let info: CacheInfo;
  let bytes: Buffer[];
  try {
    info = JSON.parse(await readFile(join(dir, INFO_FILE), 'utf8')) as CacheInfo;
    bytes = [await readFile(join(dir, VECTORS_FILE)), await readFile(join(dir, TITLE_ONLY_FILE))];
  } catch {
    return undefined;
  }
  const same = (Object.keys(wanted) as Array<keyof typeof wanted>).every((key) => info[key] === wanted[key]);
  if (!same || bytes.some((file) => file.length !== wanted.items * wanted.dim * 4)) return undefined;
  const [vectors, titleOnly] = bytes.map((file) => {
    const out = new Float32Array(wanted.items * wanted.dim);
    for (let i = 0; i < out.length; i++) out[i] = file.readFloatLE(i * 4);
    return out;
  });
  return { vectors, titleOnly, info };
}

function littleEndianBytes(vectors: Float32Array): Uint8Array {
  return new Uint8Array(vectors.buffer, vectors.byteOffset, vectors.byteLength);
}

/**
 * Computes every item's vector from its id embedding and its title alone, with no tag, category
 * or brand tokens. The tag model reads these: a hidden item's vector is of this kind anyway, and
 * computing the training items' vectors the same way keeps the model from reading tags out of the
 * tag tokens' share of the vector. A hidden or new item has no such share.
 */
export function titleOnlyItemVectors(tower: ItemTowerWeights, dataset: Dataset): Float32Array {
  const everyItem = new Set(dataset.items.map((_, index) => index));
  return allItemVectors(tower, buildItemContent(hideAttributes(dataset, everyItem)), dataset.items.length);
}
