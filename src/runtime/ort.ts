/**
 * The ONNX Runtime surface the runtime uses, and the loader that picks the ORT-web build. The
 * CPU build (`onnxruntime-web/wasm`, ~3.7 MB gzip of wasm) is the default. The WebGPU build is
 * imported only when WebGPU is requested or probed, because its wasm is about twice as large.
 */
import type * as OrtWeb from 'onnxruntime-web';

/** The part of an ONNX Runtime module that sessions need; onnxruntime-node satisfies it too. */
export type OrtModule = Pick<typeof OrtWeb, 'InferenceSession' | 'Tensor' | 'env'>;
export type OrtSession = OrtWeb.InferenceSession;
export type OrtTensor = OrtWeb.Tensor;

/** Execution backends of the worker. */
export type Backend = 'wasm' | 'webgpu';

/** An ORT module together with the execution provider names for each backend it offers. */
export interface LoadedOrt {
  ort: OrtModule;
  /** Execution provider list to pass to InferenceSession.create for each backend. */
  providers: Partial<Record<Backend, string[]>>;
}

/** Loads an ORT build able to run `backend`; injected in Node tests. */
export type OrtLoader = (backend: Backend) => Promise<LoadedOrt>;

// Folder of the ORT-web .mjs and .wasm files relative to this module, defined by the SDK build
// (vite.sdk.config.ts). Elsewhere ORT-web finds them next to its own module.
declare const __AISLE_ORT_DIR__: string | undefined;
const ORT_DIR = typeof __AISLE_ORT_DIR__ === 'string' ? __AISLE_ORT_DIR__ : undefined;

/**
 * Returns the absolute URL of the folder ORT-web loads its .mjs and .wasm files from in the SDK
 * build, or undefined where ORT-web finds them next to its own module (tests, Vite dev).
 */
export function ortFilesFolder(): string | undefined {
  return ORT_DIR === undefined ? undefined : new URL(ORT_DIR, import.meta.url).href;
}

/** Loads ORT-web in a browser or worker: the CPU-only build for wasm, the WebGPU build otherwise. */
export const loadOrtWeb: OrtLoader = async (backend) => {
  const ort = backend === 'webgpu' ? await import('onnxruntime-web/webgpu') : await import('onnxruntime-web/wasm');
  const folder = ortFilesFolder();
  if (folder !== undefined) ort.env.wasm.wasmPaths = folder;
  configureWasm(ort);
  // The WebGPU build also contains the CPU kernels, so one module can time both backends.
  return backend === 'webgpu' ? { ort, providers: { webgpu: ['webgpu'], wasm: ['wasm'] } } : { ort, providers: { wasm: ['wasm'] } };
};

function configureWasm(ort: OrtModule): void {
  // Threads need SharedArrayBuffer, which browsers give only to cross-origin isolated pages
  // (COOP same-origin and COEP require-corp). ORT-web needs numThreads set to use them.
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
  const cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  ort.env.wasm.numThreads = isolated ? Math.max(1, Math.min(4, cores)) : 1;
}
