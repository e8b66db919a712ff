/**
 * Sizes of what a page downloads, from the SDK build (dist/sdk) and the models directory:
 * raw bytes and gzip -9 bytes of every file, as a server that compresses would send them.
 *
 * Groups:
 * - `sdk`: the JavaScript every page runs on the wasm path: the ESM entry, the worker entry, every
 *   chunk either imports statically (found in the built code, so no chunk the first result
 *   needs can be left out), and ONNX Runtime Web's JavaScript for the CPU build, which the ORT
 *   worker loads after the first answer;
 * - `wasm`: ORT's CPU wasm;
 * - `webgpu`: the files loaded only when WebGPU is requested or probed;
 * - `iife`: the script-tag entry, an alternative to the ESM entry;
 * - `adaptation`: the adaptation code and TensorFlow.js, loaded only when `createAisle({ adaptation })` is on;
 * - `onDemand`: the other chunks, loaded on first use. On the page these are the observers of
 *   observeExposure() and the experiment code (when the companion lists experiments or the device
 *   keeps an exposed list). In the worker they are explain(), the query encoder of search(), the
 *   in-memory store (storage 'memory', or IndexedDB failed), and the check of the ORT files after
 *   ORT failed to load;
 * - `models`: the manifest and the two served models.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
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
  /** Chunks loaded on first use (observeExposure(), experiments, explain(), search()'s query encoder, the in-memory store, a failed ORT load). */
  onDemand: SizeGroup;
  models: SizeGroup;
  /** sdk + wasm + models, gzip bytes. */
  firstVisitGzipBytes: number;
}

/** Entry files of the ESM build: the page's module and the worker script it starts. */
const ENTRIES = ['aisle.js', 'aisle.worker.js'];

/** Returns whether `path` is ORT-web's CPU build, which the ORT worker imports after the first result. */
function isOrtCpuScript(path: string): boolean {
  return (path.includes('.ort.wasm.') || path.startsWith('ort/')) && !path.includes('asyncify') && /\.m?js$/.test(path);
}

/** `import … from "./file"` and `export … from "./file"` in built code; `import("./file")` does not match. */
const STATIC_IMPORT = /\b(?:import|export)\s*(?:[^"'`()]*?\bfrom\s*)?["'`]\.\/([^"'`]+)["'`]/g;

/** Returns the relative paths of the chunks that `code` imports statically. */
export function staticImportsOf(code: string): string[] {
  return [...code.matchAll(STATIC_IMPORT)].map((match) => match[1]);
}

/**
 * Returns the files every page loads: the entries, ORT-web's CPU scripts and every file they
 * import statically, directly or through other chunks.
 */
function loadedOnEveryPage(root: string, paths: readonly string[]): Set<string> {
  const found = new Set<string>();
  const pending = [...ENTRIES, ...paths.filter(isOrtCpuScript)];
  while (pending.length > 0) {
    const path = pending.pop()!;
    if (found.has(path)) continue;
    found.add(path);
    // Import paths are relative to the importing file, and a dist/sdk path is relative to root.
    for (const imported of staticImportsOf(readFileSync(join(root, path), 'utf8'))) pending.push(posix.join(posix.dirname(path), imported));
  }
  return found;
}

/** Returns the group of a dist/sdk file, or undefined for source maps and other files. */
function groupOf(path: string, everyPage: ReadonlySet<string>): keyof Omit<SizeReport, 'models' | 'firstVisitGzipBytes'> | undefined {
  if (path.endsWith('.map')) return undefined;
  if (path === 'aisle.iife.js') return 'iife';
  if (everyPage.has(path)) return 'sdk';
  if (path.includes('asyncify') || path.includes('.webgpu.')) return 'webgpu';
  if (path.endsWith('.wasm')) return 'wasm';
  if (path.includes('tf-trainer') || path.includes('session-adapter')) return 'adaptation';
  if (path.endsWith('.js') || path.endsWith('.mjs')) return 'onDemand';
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
  const paths = readdirSync(SDK_DIR, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(SDK_DIR, join(entry.parentPath, entry.name)));
  const everyPage = loadedOnEveryPage(SDK_DIR, paths);
  for (const path of paths) {
    const bucket = groupOf(path, everyPage);
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
