/**
 * The ranker's arithmetic floor: its floating-point operations for a batch of candidates,
 * counted from the ONNX graph of the served ranker, over the FLOP rate the browser reaches on
 * each runtime. Two rates are measured in a Chromium page:
 * - ORT-web's CPU wasm build (1 thread, as pages that are not cross-origin isolated run it):
 *   a MatMul of two MATMUL_SIZE² float32 matrices;
 * - plain JavaScript: the same product in the loop form of the JavaScript ranker (row by row,
 *   float64 sums over float32 arrays).
 * The floor of a runtime is flops / rate. The end-to-end latency divided by it shows how much of
 * a call is arithmetic and how much is everything else (messages, features, sorting).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FEATURE_COUNT } from '../../src/core/features.js';
import { JsRanker } from '../../src/runtime/js-ranker.js';
import { DType, GraphBuilder } from '../../src/training/onnx/graph.js';
import type { BrowserBenchEnv, Log } from './browser-environment.js';
import { newBenchContext } from './browser-environment.js';

/** Side of the square matrices of the ORT-web rate probe. */
export const MATMUL_SIZE = 512;
/** Side of the square matrices of the JavaScript rate probe (slower, so smaller). */
export const JS_MATMUL_SIZE = 192;

/** FLOP count of the ranker and the measured rates. */
export interface FloorResult {
  flopsPerCandidate: number;
  /** Measured GFLOP/s of ORT-web wasm on a large MatMul. */
  ortGflops: number;
  /** Measured GFLOP/s of the JavaScript loop. */
  jsGflops: number;
}

/** Counts the ranker's FLOPs and measures both rates. */
export async function measureFloor(env: BrowserBenchEnv, log: Log): Promise<FloorResult> {
  const rankerBytes = new Uint8Array(readFileSync(join(env.modelsDir, env.manifest.models.ranker.file)));
  const flopsPerCandidate = JsRanker.fromOnnx(rankerBytes, FEATURE_COUNT).flopsPerRow;
  const model = Array.from(matMulModel());

  const context = await newBenchContext(env.browser);
  try {
    const page = await context.newPage();
    await page.goto(`${env.site.url}/blank.html`);
    const rates = await page.evaluate(
      async ({ model, size, jsSize }) => {
        const ort = await import('/ort-dist/ort.wasm.min.mjs' as string);
        ort.env.wasm.numThreads = 1;
        const session = await ort.InferenceSession.create(new Uint8Array(model), { executionProviders: ['wasm'] });
        const a = Float32Array.from({ length: size * size }, (_, i) => ((i * 7919) % 1000) / 1000 - 0.5);
        const feeds = { a: new ort.Tensor('float32', a, [size, size]), b: new ort.Tensor('float32', a.slice().reverse(), [size, size]) };
        await session.run(feeds);
        const ortTimes: number[] = [];
        for (let i = 0; i < 7; i++) {
          const start = performance.now();
          await session.run(feeds);
          ortTimes.push(performance.now() - start);
        }
        await session.release();

        const left = a.subarray(0, jsSize * jsSize);
        const right = a.slice(0, jsSize * jsSize).reverse();
        const out = new Float32Array(jsSize * jsSize);
        const sums = new Float64Array(jsSize);
        const jsTimes: number[] = [];
        for (let repeat = 0; repeat < 4; repeat++) {
          const start = performance.now();
          for (let r = 0; r < jsSize; r++) {
            sums.fill(0);
            for (let k = 0; k < jsSize; k++) {
              const value = left[r * jsSize + k];
              const offset = k * jsSize;
              for (let c = 0; c < jsSize; c++) sums[c] += value * right[offset + c];
            }
            out.set(sums, r * jsSize);
          }
          jsTimes.push(performance.now() - start);
        }
        ortTimes.sort((x, y) => x - y);
        jsTimes.sort((x, y) => x - y);
        // The first JavaScript repeat runs before the JIT optimized the loop, so the median of the rest counts.
        return { ortMs: ortTimes[3], jsMs: jsTimes[2] };
      },
      { model, size: MATMUL_SIZE, jsSize: JS_MATMUL_SIZE },
    );
    const ortGflops = (2 * MATMUL_SIZE ** 3) / (rates.ortMs * 1e6);
    const jsGflops = (2 * JS_MATMUL_SIZE ** 3) / (rates.jsMs * 1e6);
    log(`browser: ranker ${flopsPerCandidate} FLOP per candidate; ORT-web wasm MatMul ${ortGflops.toFixed(2)} GFLOP/s, JavaScript loop ${jsGflops.toFixed(2)} GFLOP/s`);
    return { flopsPerCandidate, ortGflops, jsGflops };
  } finally {
    await context.close();
  }
}

/** Builds an ONNX model computing a · b for two float32 inputs of MATMUL_SIZE². */
function matMulModel(): Uint8Array {
  const g = new GraphBuilder('matmul_rate');
  const a = g.input('a', DType.float, [MATMUL_SIZE, MATMUL_SIZE]);
  const b = g.input('b', DType.float, [MATMUL_SIZE, MATMUL_SIZE]);
  g.output(g.matMul(a, b), 'product', DType.float, [MATMUL_SIZE, MATMUL_SIZE]);
  return g.toBytes();
}
