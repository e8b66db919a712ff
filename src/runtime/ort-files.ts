/**
 * Explains a failed ONNX Runtime load by checking the files ORT-web fetches. A page served with
 * an SPA fallback returns index.html with HTTP 200 for an unknown path, and ORT-web then fails
 * with a bare CompileError or a MIME type error that names neither the URL nor the response.
 */
import { AisleError } from '../core/errors.js';
import type { FetchLike } from './fetch.js';
import type { Backend } from './ort.js';

/** The module and wasm file that ORT-web 1.30 loads from env.wasm.wasmPaths for each build. */
export const ORT_FILES: Record<Backend, { module: string; wasm: string }> = {
  wasm: { module: 'ort-wasm-simd-threaded.mjs', wasm: 'ort-wasm-simd-threaded.wasm' },
  webgpu: { module: 'ort-wasm-simd-threaded.asyncify.mjs', wasm: 'ort-wasm-simd-threaded.asyncify.wasm' },
};

/** The 4 bytes every WebAssembly binary starts with: "\0asm". */
const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/**
 * Fetches the ORT files of `backend` under `folder` and returns a message naming the first one
 * that is not what ORT-web needs (URL, HTTP status and content type), or undefined when both
 * look right.
 */
export async function checkOrtFiles(folder: string, backend: Backend, fetchFile: FetchLike): Promise<string | undefined> {
  const { module, wasm } = ORT_FILES[backend];
  const moduleUrl = new URL(module, folder).href;
  const wasmUrl = new URL(wasm, folder).href;
  const fix = `serve the files of dist/sdk/ort/ at ${folder}, the ort/ folder next to aisle.worker.js (the workerUrl option of createAisle() sets where that is)`;

  let response: Response;
  try {
    response = await fetchFile(moduleUrl);
  } catch (error) {
    return `fetching ${moduleUrl} failed: ${error instanceof Error ? error.message : String(error)}; ${fix}`;
  }
  const moduleType = response.headers.get('content-type') ?? 'none';
  await response.body?.cancel();
  if (!response.ok || !/javascript/i.test(moduleType)) {
    return `ONNX Runtime's module ${moduleUrl} returned HTTP ${response.status} with content type ${moduleType}, expected a JavaScript file; ${fix}`;
  }

  try {
    response = await fetchFile(wasmUrl);
  } catch (error) {
    return `fetching ${wasmUrl} failed: ${error instanceof Error ? error.message : String(error)}; ${fix}`;
  }
  const wasmType = response.headers.get('content-type') ?? 'none';
  const head = response.ok ? new Uint8Array(await response.arrayBuffer()).subarray(0, 4) : new Uint8Array(0);
  if (!response.ok) await response.body?.cancel();
  const isWasm = head.length === 4 && WASM_MAGIC.every((byte, i) => head[i] === byte);
  if (!response.ok || !isWasm || !/application\/wasm/i.test(wasmType)) {
    return `ONNX Runtime's wasm file ${wasmUrl} returned HTTP ${response.status} with content type ${wasmType}${response.ok && !isWasm ? ' and no WebAssembly header' : ''}, expected application/wasm; ${fix}`;
  }
  return undefined;
}

/**
 * Returns `error` as an AISLE_MODEL_LOAD_FAILED error whose message names the first bad ORT file
 * of `backends`, or `error` unchanged when the files look right or their folder is unknown.
 */
export async function explainOrtFailure(error: unknown, folder: string | undefined, backends: readonly Backend[], fetchFile: FetchLike): Promise<unknown> {
  if (folder === undefined) return error;
  let problem: string | undefined;
  for (const backend of backends) {
    problem ??= await checkOrtFiles(folder, backend, fetchFile).catch(() => undefined);
  }
  if (problem === undefined) return error;
  const original = error instanceof Error ? error.message : String(error);
  return new AisleError('AISLE_MODEL_LOAD_FAILED', `Loading ONNX Runtime failed because ${problem}. The JavaScript ranker keeps scoring, but the user vector is not updated. ONNX Runtime reported: ${original}`, { cause: error });
}
