/**
 * Sizes of what a page downloads, from the SDK build (dist/sdk) and the models directory:
 * raw bytes and gzip -9 bytes of every file, as a server that compresses would send them.
 *
 * Groups:
 * - `sdk`: the JavaScript a page runs on the wasm path (the ESM entry, the worker chunks and
 *   ONNX Runtime Web's JavaScript for the CPU build);
 * - `wasm`: ORT's CPU wasm;
 * - `webgpu`: the files loaded only when WebGPU is requested or probed;
 * - `iife`: the script-tag entry, an alternative to the ESM entry;
 * - `adaptation`: the TensorFlow.js chunk, loaded only when `createAisle({ adaptation })` is on;
 * - `onDemand`: worker chunks loaded on the first explain() or search();
 * - `models`: the manifest and the two served models.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Manifest } from '../../src/core/types.js';
import { SDK_DIR } from './browser-site.js';

/** One file and its sizes. */
export interface SizedFile {
  path: string;
  bytes: number;
  gzipBytes: number;
}

/** Files and totals of one group. */
export interface SizeGroup {
  files: SizedFile[];
  bytes: number;
  gzipBytes: number;
}

/** Every group, plus the sum a first visit on the wasm path downloads. */
export interface SizeReport {
  sdk: SizeGroup;
  wasm: SizeGroup;
  webgpu: SizeGroup;
  iife: SizeGroup;
  adaptation: SizeGroup;
  /** Worker chunks loaded on the first explain() or search(). */
  onDemand: SizeGroup;
  models: SizeGroup;
  /** sdk + wasm + models, gzip bytes. */
  firstVisitGzipBytes: number;
}

/** Returns the group of a dist/sdk file, or undefined for source maps and other files. */
function groupOf(path: string): keyof Omit<SizeReport, 'models' | 'firstVisitGzipBytes'> | undefined {
  if (path.endsWith('.map')) return undefined;
  if (path === 'aisle.iife.js') return 'iife';
  if (path.includes('tf-trainer')) return 'adaptation';
  // Chunks the worker imports on first use of explain() or search(), not on page load.
  if (path.includes('.explain-') || path.includes('.js-query-encoder-')) return 'onDemand';
  if (path.includes('asyncify') || path.includes('.webgpu.')) return 'webgpu';
  if (path.endsWith('.wasm')) return 'wasm';
  if (path.endsWith('.js') || path.endsWith('.mjs')) return 'sdk';
  return undefined;
}

function sized(root: string, path: string): SizedFile {
  const content = readFileSync(join(root, path));
  return { path, bytes: content.length, gzipBytes: gzipSync(content, { level: 9 }).length };
}

function group(files: SizedFile[]): SizeGroup {
  return { files, bytes: files.reduce((sum, file) => sum + file.bytes, 0), gzipBytes: files.reduce((sum, file) => sum + file.gzipBytes, 0) };
}

/** Measures the current build in dist/sdk and the models of `modelsDir`. */
export function measureSizes(modelsDir: string): SizeReport {
  const buckets: Record<string, SizedFile[]> = { sdk: [], wasm: [], webgpu: [], iife: [], adaptation: [], onDemand: [] };
  for (const entry of readdirSync(SDK_DIR, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = relative(SDK_DIR, join(entry.parentPath, entry.name));
    const bucket = groupOf(path);
    if (bucket) buckets[bucket].push(sized(SDK_DIR, path));
  }

  const manifest = JSON.parse(readFileSync(join(modelsDir, 'manifest.json'), 'utf8')) as Manifest;
  const modelFiles = ['manifest.json', manifest.models.userTower.file, manifest.models.ranker.file].filter((file) => statSync(join(modelsDir, file)).isFile());
  const models = group(modelFiles.map((file) => sized(modelsDir, file)));

  const report = {
    sdk: group(buckets.sdk),
    wasm: group(buckets.wasm),
    webgpu: group(buckets.webgpu),
    iife: group(buckets.iife),
    adaptation: group(buckets.adaptation),
    onDemand: group(buckets.onDemand),
    models,
    firstVisitGzipBytes: 0,
  };
  report.firstVisitGzipBytes = report.sdk.gzipBytes + report.wasm.gzipBytes + report.models.gzipBytes;
  return report;
}

/** Returns the model bytes the manifest lists for the browser: user tower plus ranker. */
export function servedModelBytes(report: SizeReport): number {
  return report.models.files.filter((file) => file.path.endsWith('.onnx')).reduce((sum, file) => sum + file.bytes, 0);
}
