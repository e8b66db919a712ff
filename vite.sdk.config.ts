/**
 * Library build of the SDK: `vite build` builds two environments, one after the other.
 * - `client`, the ES build: `dist/sdk/aisle.js` (the npm entry) and the worker script
 *   `dist/sdk/aisle.worker.js` are two entries of one build. The code both import (comlink, the
 *   error catalog, the reply helpers of the protocol) is then one shared chunk, downloaded once.
 * - `iife`, the script-tag build `dist/sdk/aisle.iife.js` (`window.Aisle`), which starts the
 *   worker of the ES build next to it.
 * The ONNX Runtime Web files go to `dist/sdk/ort/`, which the worker loads on demand.
 * Run `npm run build:sdk`.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';

const require = createRequire(import.meta.url);
const ORT_DIST = dirname(require.resolve('onnxruntime-web/ort-wasm-simd-threaded.wasm'));
/** Folder of the ORT files, relative to the worker chunk. */
const ORT_DIR = 'ort/';
// The CPU build loads the plain files; the WebGPU build loads the asyncify variant.
const ORT_FILES = ['ort-wasm-simd-threaded.mjs', 'ort-wasm-simd-threaded.wasm', 'ort-wasm-simd-threaded.asyncify.mjs', 'ort-wasm-simd-threaded.asyncify.wasm'];
/** File name of the worker entry in dist/sdk. */
const WORKER_FILE = 'aisle.worker.js';
const WORKER_URL_MODULE = '\0aisle-worker-url';

/** Copies the ORT .mjs and .wasm files next to the bundle instead of inlining them. */
function copyOrtFiles(): Plugin {
  return {
    name: 'aisle-copy-ort-files',
    apply: 'build',
    applyToEnvironment: (environment) => environment.name === 'client',
    generateBundle() {
      for (const file of ORT_FILES) this.emitFile({ type: 'asset', fileName: `${ORT_DIR}${file}`, source: readFileSync(join(ORT_DIST, file)) });
    },
  };
}

/**
 * Resolves `import url from '../worker/entry.ts?worker&url'` (src/client/worker-start.ts) to the
 * URL of WORKER_FILE next to the SDK script, instead of letting Vite bundle the worker a second
 * time on its own. Vite dev servers (the demo) still bundle it with `?worker&url`.
 */
function workerEntryUrl(): Plugin {
  return {
    name: 'aisle-worker-entry-url',
    apply: 'build',
    // Before Vite's worker plugin, which would otherwise resolve the import.
    enforce: 'pre',
    resolveId(source) {
      return /\/worker\/entry\.ts\?worker&url$/.test(source) ? WORKER_URL_MODULE : undefined;
    },
    load(id) {
      if (id !== WORKER_URL_MODULE) return undefined;
      // A classic script has no import.meta, so the URL comes from the script element that runs.
      const base = this.environment.name === 'iife' ? "document.currentScript instanceof HTMLScriptElement && document.currentScript.src || document.baseURI" : 'import.meta.url';
      // A variable rather than a literal, so that Vite does not look for the file as an asset,
      // because this build writes it.
      return `const file = ${JSON.stringify(`./${WORKER_FILE}`)};\nexport default new URL(file, ${base}).href;`;
    },
  };
}

/**
 * Adds the worker script as a second entry of the ES build. Unlike the page's entry, which keeps
 * exactly its public exports, the worker's entry may export bindings to its lazily loaded chunks,
 * so the code those share with it stays in aisle.worker.js instead of extra chunks.
 */
function workerEntry(): Plugin {
  return {
    name: 'aisle-worker-entry',
    apply: 'build',
    applyToEnvironment: (environment) => environment.name === 'client',
    buildStart() {
      this.emitFile({ type: 'chunk', id: 'src/worker/entry.ts', fileName: WORKER_FILE, preserveSignature: 'allow-extension' });
    },
    generateBundle(_options, bundle) {
      // Each entry runs its own top-level code, so the page must never load the worker's entry
      // (it would expose a second engine on the page) and the worker never the page's.
      const page = bundle['aisle.js'];
      const worker = bundle[WORKER_FILE];
      if (page?.type !== 'chunk' || worker?.type !== 'chunk') this.error(`The SDK build has no aisle.js or ${WORKER_FILE} chunk.`);
      if (page.imports.includes(WORKER_FILE) || worker.imports.includes('aisle.js')) this.error(`aisle.js and ${WORKER_FILE} import each other; move the modules both need into a shared module.`);
    },
  };
}

/**
 * Names the chunks of the ES build after the entry that loads them: `aisle.*` for the page's,
 * `aisle.worker.*` for the worker's, `aisle.shared-*` for the code both import. The modules
 * each entry reaches, statically or not, are collected once the module graph is complete.
 */
function chunkNames(): { plugin: Plugin; fileName: (chunk: { moduleIds: readonly string[] }) => string } {
  const reached = { page: new Set<string>(), worker: new Set<string>() };
  const plugin: Plugin = {
    name: 'aisle-chunk-names',
    apply: 'build',
    applyToEnvironment: (environment) => environment.name === 'client',
    buildEnd() {
      const visit = (id: string, into: Set<string>) => {
        if (into.has(id)) return;
        into.add(id);
        const info = this.getModuleInfo(id);
        for (const next of [...(info?.importedIds ?? []), ...(info?.dynamicallyImportedIds ?? [])]) visit(next, into);
      };
      for (const id of this.getModuleIds()) {
        const info = this.getModuleInfo(id);
        if (!info?.isEntry) continue;
        visit(id, /\/src\/worker\/entry\.ts$/.test(id) ? reached.worker : reached.page);
      }
    },
  };
  const fileName = (chunk: { moduleIds: readonly string[] }) => {
    const page = chunk.moduleIds.some((id) => reached.page.has(id));
    // Rolldown's own helpers are in no module graph, and only worker chunks (ORT, TensorFlow.js) need them.
    const worker = chunk.moduleIds.some((id) => reached.worker.has(id)) || !page;
    if (page && worker) return 'aisle.shared-[hash].js';
    return page ? 'aisle.[name]-[hash].js' : 'aisle.worker.[name]-[hash].js';
  };
  return { plugin, fileName };
}

const chunks = chunkNames();

export default defineConfig({
  // Relative URLs, so the worker and ORT files are found next to the SDK wherever it is served.
  base: './',
  // ORT-web locates its files relative to its own module URL; pre-bundling would move it.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  // Library mode inlines every `new URL(file, import.meta.url)` asset as base64, which would put
  // the 14 MB (CPU) and 27 MB (WebGPU) wasm files inside JS. The extern-wasm builds of ORT-web
  // instead load them from env.wasm.wasmPaths, which the worker points at ORT_DIR.
  resolve: { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] },
  define: { __AISLE_ORT_DIR__: JSON.stringify(ORT_DIR) },
  plugins: [copyOrtFiles(), workerEntryUrl(), workerEntry(), chunks.plugin],
  // Builds every environment below, in order, with one `vite build`.
  builder: {},
  build: {
    outDir: 'dist/sdk',
    target: 'es2022',
    sourcemap: true,
  },
  environments: {
    client: {
      build: {
        emptyOutDir: true,
        lib: { entry: 'src/client/index.ts', formats: ['es'], fileName: () => 'aisle.js' },
        // Vite leaves whitespace in an ES library build so that the bundler of the store minifies
        // it. Pages also import aisle.js as it is (from a CDN or an import map), so it ships minified.
        // The license comments of the bundled libraries (comlink, ONNX Runtime, TensorFlow.js) stay.
        rolldownOptions: { output: { minify: { compress: true, mangle: true, codegen: true }, comments: { legal: true }, chunkFileNames: chunks.fileName } },
      },
    },
    iife: {
      consumer: 'client',
      build: {
        // The client environment emptied dist/sdk and wrote the worker this build starts.
        emptyOutDir: false,
        lib: { entry: 'src/client/index.ts', name: 'Aisle', formats: ['iife'], fileName: () => 'aisle.iife.js' },
        rolldownOptions: { output: { minify: { compress: true, mangle: true, codegen: true }, comments: { legal: true } } },
      },
    },
  },
});
