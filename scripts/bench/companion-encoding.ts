/**
 * Encoding cost of a /v1/candidates body (k items plus the popular list), in this process, before
 * and after each change of the hot path. "before" runs the code the route ran before item texts
 * were cached: Catalog.toWire with core's portable base64 codec, then JSON.stringify of the body.
 * Also reports the bytes a more compact vector encoding would save, which the wire format does
 * not offer yet.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { gzipSync } from 'node:zlib';

import { MODEL_FILES } from '../../src/core/model-dir.js';
import { createRandom } from '../../src/core/random.js';
import type { ItemWire } from '../../src/core/types.js';
import { encodeVector } from '../../src/core/vector.js';
import { type Catalog, loadCatalog, POPULAR_LIST_SIZE } from '../../src/server/catalog.js';
import { ItemJsonCache, JsonBody, PopularSnapshot } from '../../src/server/item-json.js';
import { parseManifest } from '../../src/server/manifest.js';

/** One way of encoding the body, timed. */
export interface EncodingStep {
  step: string;
  /** Median milliseconds to encode one body. */
  ms: number;
}

/** Encoding measurements on one catalog. */
export interface EncodingReport {
  catalog: string;
  items: number;
  k: number;
  /** Bytes of one body (UTF-8), the same for every step. */
  bodyBytes: number;
  /** Bytes of the base64 vectors in that body. */
  vectorBytes: number;
  /** Bytes after gzip level 6, and the milliseconds gzip took, for a proxy that compresses. */
  gzipBytes: number;
  gzipMs: number;
  steps: EncodingStep[];
  /** Bytes of one body if vectors were sent as float16 or as int8 with a float32 scale (base64 both). */
  compactBodyBytes: { float16: number; int8: number };
}

/** Builds the wire item as Catalog.toWire did before vectors used Node's base64. */
function legacyToWire(catalog: Catalog, index: number): ItemWire {
  const { stats, neighbors, tags, ...meta } = catalog.items[index];
  const wire: ItemWire = { ...meta, vector: encodeVector(catalog.vector(index)), stats: { ...stats } };
  if (tags) wire.tags = [...tags];
  if (neighbors) wire.neighbors = neighbors.map(([id, score]) => [id, score]);
  return wire;
}

interface Hit {
  index: number;
  score: number;
}

function objectBody(catalog: Catalog, hits: readonly Hit[], toWire: (index: number) => ItemWire): string {
  return JSON.stringify({
    items: hits.map((hit) => ({ ...toWire(hit.index), annScore: hit.score })),
    popular: catalog.popular(POPULAR_LIST_SIZE).map(toWire),
    index: { type: 'bench', version: 'bench', ntotal: catalog.size },
  });
}

/** Builds the body as the route does now, from cached item bytes. */
function bytesBody(catalog: Catalog, hits: readonly Hit[], items: ItemJsonCache, popular: PopularSnapshot): Buffer {
  const index = JSON.stringify({ type: 'bench', version: 'bench', ntotal: catalog.size });
  const body = new JsonBody().text('{"items":').array(hits, (part, hit) => items.appendWith(part, hit.index, 'annScore', hit.score));
  return body.text(',"popular":').bytes(popular.bytes(POPULAR_LIST_SIZE)).text(`,"index":${index}}`).toBuffer();
}

/** Returns the median milliseconds of fn over about budgetMs of repeated calls (at least 5). */
function timeMedian(fn: (iteration: number) => void, budgetMs: number): number {
  const times: number[] = [];
  const started = performance.now();
  for (let i = 0; i < 5 || performance.now() - started < budgetMs; i++) {
    const t = performance.now();
    fn(i);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function randomHits(catalog: Catalog, k: number, seed: number): Hit[] {
  const random = createRandom(seed);
  return Array.from({ length: k }, (_, rank) => ({ index: random.int(catalog.size), score: 0.9 - rank / (10 * k) }));
}

/** Reads the catalog of a models directory as the companion does. */
export async function readCatalog(modelsDir: string): Promise<Catalog> {
  const path = join(modelsDir, MODEL_FILES.manifest);
  return loadCatalog(modelsDir, parseManifest(JSON.parse(await readFile(path, 'utf8')), path));
}

/**
 * Times the body encoding steps on a catalog: before (legacy), with Node's base64 only, from an
 * item bytes cache that misses on every item (cold), and from one that hits on every item (warm).
 */
export function benchEncoding(name: string, catalog: Catalog, k: number, budgetMs: number): EncodingReport {
  const hitSets = Array.from({ length: 64 }, (_, i) => randomHits(catalog, k, 1000 + i));
  const hitsOf = (iteration: number): Hit[] => hitSets[iteration % hitSets.length];

  const legacy = objectBody(catalog, hitsOf(0), (index) => legacyToWire(catalog, index));
  const warmItems = new ItemJsonCache(catalog);
  const warmPopular = new PopularSnapshot(catalog, warmItems);
  const bytes = bytesBody(catalog, hitsOf(0), warmItems, warmPopular);
  if (!isDeepStrictEqual(JSON.parse(bytes.toString()), JSON.parse(legacy))) throw new Error(`benchEncoding: the body built from cached bytes of ${name} differs from the legacy body`);

  const steps: EncodingStep[] = [
    { step: 'before: toWire (portable base64) + JSON.stringify', ms: timeMedian((i) => objectBody(catalog, hitsOf(i), (index) => legacyToWire(catalog, index)), budgetMs) },
    { step: 'Node base64: toWire + JSON.stringify', ms: timeMedian((i) => objectBody(catalog, hitsOf(i), (index) => catalog.toWire(index)), budgetMs) },
    {
      step: 'cached item bytes, every item a miss',
      ms: timeMedian((i) => {
        const items = new ItemJsonCache(catalog, { enabled: false });
        bytesBody(catalog, hitsOf(i), items, new PopularSnapshot(catalog, items));
      }, budgetMs),
    },
    { step: 'cached item bytes, every item a hit', ms: timeMedian(() => bytesBody(catalog, hitsOf(0), warmItems, warmPopular), budgetMs) },
  ];

  const bodyBytes = Buffer.byteLength(legacy);
  const vectorChars = encodeVector(catalog.vector(0)).length;
  const vectorCount = k + Math.min(POPULAR_LIST_SIZE, catalog.size);
  const base64Length = (bytes: number) => 4 * Math.ceil(bytes / 3);
  const gzipStarted = performance.now();
  const gzipBytes = gzipSync(legacy, { level: 6 }).length;
  const gzipMs = performance.now() - gzipStarted;

  return {
    catalog: name,
    items: catalog.size,
    k,
    bodyBytes,
    vectorBytes: vectorCount * vectorChars,
    gzipBytes,
    gzipMs,
    steps,
    compactBodyBytes: {
      float16: bodyBytes - vectorCount * (vectorChars - base64Length(2 * catalog.dim)),
      int8: bodyBytes - vectorCount * (vectorChars - base64Length(catalog.dim + 4)),
    },
  };
}
