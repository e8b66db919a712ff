/**
 * The engine's models and how they become usable. Loading has two stages:
 * 1. manifest and verified bytes (from the device cache or the companion), then the ranker
 *    compiled to JavaScript, so recommend() and rank() return ranked results within
 *    milliseconds of a page load;
 * 2. ONNX Runtime sessions on the chosen backend (about 0.7 s to compile the wasm on a 2-core
 *    machine), which then run the user tower. The ranker then runs on whichever of the two
 *    scored TIMING_ROWS candidates faster, timed once here.
 * When the JavaScript compile fails (a ranker graph outside its subset), calls wait for stage 2,
 * as they did before stage 1 existed. When stage 2 fails, the JavaScript ranker keeps scoring.
 */
import type { RankerRequest } from '../client/protocol.js';
import type { Degraded, Manifest } from '../core/types.js';
import { FEATURE_COUNT } from '../core/features.js';
import { mulberry32 } from '../core/random.js';
import { TIMING_ROWS, type BackendSelection } from '../runtime/backend.js';
import type { FetchLike } from '../runtime/fetch.js';
import { JsRanker } from '../runtime/js-ranker.js';
import type { ModelRunner } from '../runtime/model-runner.js';
import type { EventStore } from '../store/types.js';
import { loadModelFiles, type RunnerFactory } from './models.js';
import { createTaskScheduler, RankerBatcher, type BatcherStats, type TaskScheduler } from './ranker-batcher.js';
import { withDeadline } from './deadline.js';
import { degradedFrom } from './scoring.js';

/** Code that scores candidates: ONNX Runtime or the ranker compiled to JavaScript. */
export type RankerRuntime = 'ort' | 'js';

/** Milliseconds from the start of loading to the end of each stage that finished. */
export interface LoadTimes {
  /** Manifest and verified model bytes. */
  files?: number;
  /** The ranker compiled to JavaScript. */
  jsRanker?: number;
  /** ONNX Runtime sessions created and the backend chosen. */
  ort?: number;
}

/** Median milliseconds of one ranker run over TIMING_ROWS candidates, per runtime timed. */
export type RankerTimings = Partial<Record<RankerRuntime, number>>;

/**
 * Largest difference between a JavaScript and an ONNX Runtime score, relative to max(1, |score|),
 * at which the JavaScript ranker may replace ONNX Runtime. Float32 rounding gives about 1e-6
 * (measured on the demo rankers against onnxruntime-node and ORT-web's wasm and WebGPU backends).
 */
export const RANKER_AGREEMENT_TOLERANCE = 1e-4;

/**
 * Timed runs per ranker, after one warm-up run. A run takes about a millisecond, and a busy
 * machine adds pauses of tens of milliseconds to single runs, so the median of 9 is taken.
 */
const TIMING_REPEATS = 9;

/**
 * Maximum time ONNX Runtime waits to start once the JavaScript ranker is ready, unless the engine
 * starts it earlier with startOrt(). Loading it takes about a second of CPU (ORT was ready 1.0 to
 * 1.4 s after model loading began in the browser benchmark on a 2-core machine), which would
 * slow the page's first result down if it ran at the same time.
 */
export const ORT_START_DELAY_MS = 1000;

/** Inputs of the ModelSet constructor. */
export interface ModelSetOptions {
  manifestUrl: string;
  fetch: FetchLike;
  store: EventStore;
  timeoutMs: number;
  createRunner: RunnerFactory;
  /** Join the ONNX Runtime ranker runs of concurrent calls into one run. */
  coalesce: boolean;
  /** Ranker runtime to use: 'auto' picks by timing, 'js' and 'ort' pin one. */
  ranker: RankerRequest;
  /** Clock in milliseconds for the load times; defaults to performance.now(). */
  now?: () => number;
}

/** The serving models of one engine and the state of their loading. */
export class ModelSet {
  manifest?: Manifest;
  runner?: ModelRunner;
  selection?: BackendSelection;
  /** Reason the model set is not (fully) usable, if it is not. */
  issue?: Degraded;
  /** Settles when ONNX Runtime's sessions are ready or failed to load; never rejects. */
  readonly ready: Promise<void>;
  /** Settles as soon as some ranker can score, or when loading failed; never rejects. */
  readonly rankerReady: Promise<void>;
  /** When each loading stage finished. */
  readonly loadTimes: LoadTimes = {};
  /** Timings that chose the ranker runtime; empty until ONNX Runtime is ready. */
  rankerTimings: RankerTimings = {};
  /** Largest relative difference between the two rankers' scores on the timing matrix. */
  rankerDifference?: number;

  private jsRanker?: JsRanker;
  private useJs = true;
  private releaseOrt!: () => void;
  private readonly ortReleased = new Promise<void>((resolve) => (this.releaseOrt = resolve));
  private disposed = false;
  private readonly scheduler?: TaskScheduler;
  private readonly batcher: RankerBatcher;

  constructor(private readonly options: ModelSetOptions) {
    this.scheduler = options.coalesce ? createTaskScheduler() : undefined;
    // Only an ORT run has a fixed cost (a message to the ORT worker, a session run) to share.
    const joinRuns = () => this.rankerRuntime() === 'ort';
    this.batcher = new RankerBatcher((features, rows, featureCount) => this.runRanker(features, rows, featureCount), this.scheduler, joinRuns);
    let markRankerReady!: () => void;
    this.rankerReady = new Promise<void>((resolve) => (markRankerReady = resolve));
    this.ready = this.load(markRankerReady);
  }

  /** Returns the ranker for scoring, or undefined while no ranker is loaded. */
  ranker(): Pick<ModelRunner, 'runRanker'> | undefined {
    if (!this.runner && !this.jsRanker) return undefined;
    return { runRanker: (features, rows, featureCount) => this.batcher.rank(features, rows, featureCount) };
  }

  /**
   * Lets ONNX Runtime start loading now rather than after ORT_START_DELAY_MS: the engine calls it
   * once the page has its first result, or when a call needs the user tower.
   */
  startOrt(): void {
    this.releaseOrt();
  }

  /** Returns which code scores candidates now, or null when none can. */
  rankerRuntime(): RankerRuntime | null {
    if (this.jsRanker && (this.useJs || !this.runner)) return 'js';
    return this.runner ? 'ort' : null;
  }

  /** Returns the scoring requests so far and the model runs that served them. */
  rankerStats(): BatcherStats {
    return this.batcher.counters();
  }

  /** Waits for loading to settle, then frees the sessions. A deferred ORT start is skipped. */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.scheduler?.close();
    this.releaseOrt();
    await this.ready;
    await this.runner?.dispose();
  }

  private async load(markRankerReady: () => void): Promise<void> {
    const now = this.options.now ?? (() => performance.now());
    const start = now();
    try {
      const { manifest, bytes } = await loadModelFiles({ ...this.options, onManifest: (loaded) => (this.manifest = loaded) });
      this.loadTimes.files = now() - start;
      this.jsRanker = this.options.ranker === 'ort' ? undefined : compileRanker(bytes.ranker);
      if (this.jsRanker) this.loadTimes.jsRanker = now() - start;
      markRankerReady();
      // Without a JavaScript ranker every call waits for ORT, so it starts at once.
      if (this.jsRanker) await this.ortStart();
      if (this.disposed) return;
      const { runner, selection } = await this.options.createRunner(bytes, manifest);
      if (this.disposed) {
        await runner.dispose();
        return;
      }
      if (this.jsRanker) await this.chooseRanker(this.jsRanker, runner, now);
      this.runner = runner;
      this.selection = selection;
      this.loadTimes.ort = now() - start;
      if (selection?.reason) this.issue = { code: 'AISLE_MODEL_LOAD_FAILED', reason: selection.reason };
    } catch (error) {
      this.issue = degradedFrom(error, 'AISLE_MODEL_LOAD_FAILED');
    } finally {
      markRankerReady();
    }
  }

  /** Resolves when startOrt() was called or ORT_START_DELAY_MS passed. */
  private async ortStart(): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const delay = new Promise<void>((resolve) => (timer = setTimeout(resolve, ORT_START_DELAY_MS)));
    await Promise.race([this.ortReleased, delay]);
    clearTimeout(timer);
  }

  private async runRanker(features: Float32Array, rows: number, featureCount: number): Promise<Float32Array> {
    if (this.rankerRuntime() !== 'ort') return this.jsRanker!.run(features, rows, featureCount);
    try {
      // A run that never settles (a lost GPU device, a stuck ORT worker) would hold every later call.
      return await withDeadline(this.runner!.runRanker(features, rows, featureCount), this.options.timeoutMs, `The ${this.runner!.backend} ranker run`);
    } catch (error) {
      // A failed ORT run (such as a crashed ORT worker) moves scoring to JavaScript for good.
      if (!this.jsRanker) throw error;
      this.useJs = true;
      this.issue = degradedFrom(error, 'AISLE_MODEL_RUN_FAILED');
      return this.jsRanker.run(features, rows, featureCount);
    }
  }

  /**
   * Compares and times both rankers on the same matrix (features in [-1, 1)), and keeps the
   * faster unless their scores differ by more than RANKER_AGREEMENT_TOLERANCE, when ONNX Runtime
   * stays the reference. A failed ONNX Runtime run keeps the JavaScript ranker, and so does a
   * 'js' request, for which the comparison is only reported.
   */
  private async chooseRanker(js: JsRanker, runner: ModelRunner, now: () => number): Promise<void> {
    const random = mulberry32(TIMING_ROWS);
    const features = Float32Array.from({ length: TIMING_ROWS * FEATURE_COUNT }, () => 2 * random() - 1);
    try {
      this.rankerDifference = largestDifference(js.run(features, TIMING_ROWS, FEATURE_COUNT), await runner.runRanker(features, TIMING_ROWS, FEATURE_COUNT));
      const ort = await medianMs(() => runner.runRanker(features, TIMING_ROWS, FEATURE_COUNT), now);
      const jsMs = await medianMs(async () => js.run(features, TIMING_ROWS, FEATURE_COUNT), now);
      this.rankerTimings = { js: jsMs, ort };
      this.useJs = this.options.ranker === 'js' || (jsMs <= ort && this.rankerDifference <= RANKER_AGREEMENT_TOLERANCE);
    } catch {
      this.useJs = true;
    }
  }
}

/** Returns max |a - b| / max(1, |b|) over the entries; NaN anywhere gives Infinity. */
function largestDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let largest = 0;
  for (let i = 0; i < a.length; i++) {
    const difference = Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i]));
    largest = Number.isNaN(difference) ? Number.POSITIVE_INFINITY : Math.max(largest, difference);
  }
  return largest;
}

/** Returns the median duration of TIMING_REPEATS runs of `run`, after one warm-up run. */
async function medianMs(run: () => Promise<unknown>, now: () => number): Promise<number> {
  await run();
  const samples: number[] = [];
  for (let i = 0; i < TIMING_REPEATS; i++) {
    const start = now();
    await run();
    samples.push(now() - start);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

/** Returns the ranker compiled to JavaScript, or undefined when its graph is outside the subset. */
function compileRanker(bytes: Uint8Array): JsRanker | undefined {
  try {
    return JsRanker.fromOnnx(bytes, FEATURE_COUNT);
  } catch {
    // Scoring then waits for ONNX Runtime, which runs any graph.
    return undefined;
  }
}
