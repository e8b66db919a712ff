/**
 * Vite config of the demo storefront. `npm start` runs it as a dev server (scripts/start.ts adds
 * the /config.json route); `npm run build:demo` writes the static site to dist/demo.
 *
 * The page imports the SDK's public entry (src/client/index.ts) from source, so the demo always
 * runs the SDK of this checkout, worker included.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const demoRoot = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: demoRoot,
  base: './',
  publicDir: 'public',
  // The SDK starts its ranking worker as an ES module worker.
  worker: { format: 'es' },
  // onnxruntime-web locates its .wasm files relative to its own module; pre-bundling moves it.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: {
    outDir: fileURLToPath(new URL('../dist/demo', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // ONNX Runtime's wasm is large by nature; the warning would only repeat that on every build.
    chunkSizeWarningLimit: 20_000,
  },
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1', port: 4173, strictPort: true },
});
