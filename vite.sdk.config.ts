/**
 * Library build of the SDK: `dist/sdk/aisle.js` (ESM, the npm entry), `dist/sdk/aisle.iife.js`
 * (script tag, `window.Aisle`), the worker chunk `dist/sdk/aisle.worker.js`, and the ONNX
 * Runtime Web files in `dist/sdk/ort/`, which the worker loads on demand. Run `npm run build:sdk`.
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

/** Copies the ORT .mjs and .wasm files next to the bundle instead of inlining them. */
function copyOrtFiles(): Plugin {
  return {
    name: 'aisle-copy-ort-files',
    apply: 'build',
    generateBundle() {
      for (const file of ORT_FILES) this.emitFile({ type: 'asset', fileName: `${ORT_DIR}${file}`, source: readFileSync(join(ORT_DIST, file)) });
    },
  };
}

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
  plugins: [copyOrtFiles()],
  build: {
    outDir: 'dist/sdk',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    lib: {
      entry: 'src/client/index.ts',
      name: 'Aisle',
      formats: ['es', 'iife'],
      fileName: (format) => (format === 'es' ? 'aisle.js' : 'aisle.iife.js'),
    },
    // Vite leaves whitespace in an ES library build so that the bundler of the store minifies
    // it. Pages also import aisle.js as it is (from a CDN or an import map), so it ships minified.
    rolldownOptions: { output: { minify: { compress: true, mangle: true, codegen: true } } },
  },
  worker: {
    format: 'es',
    rollupOptions: {
      output: {
        entryFileNames: 'aisle.worker.js',
        chunkFileNames: 'aisle.worker.[name]-[hash].js',
      },
    },
  },
});
