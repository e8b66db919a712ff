/**
 * Query vectors in the worker: the query encoder (query_encoder.onnx, run by JsQueryEncoder)
 * turns the search text into a vector on the device, so the companion does not have to encode
 * it. The model is fetched on the first search, in the background: searches that come before it
 * is ready, or after it failed to load, send the text alone and the companion encodes it.
 */
import type { Manifest } from '../core/types.js';
import type { FetchLike } from '../runtime/fetch.js';
import type { JsQueryEncoder } from '../runtime/js-query-encoder.js';
import { loadModelBytes } from '../runtime/model-bytes.js';
import type { EventStore } from '../store/types.js';
import { MODEL_FETCH_TIMEOUT_MS } from './models.js';

/** Source of the encoder's model file. */
export interface QueryVectorOptions {
  manifestUrl: string;
  fetch: FetchLike;
  store: EventStore;
  timeoutMs: number;
}

/** State of the encoder, for info(). */
export type QueryEncoderState = 'none' | 'loading' | 'ready' | 'failed';

/** Loads the query encoder once and encodes search texts. */
export class QueryVectors {
  private encoder?: JsQueryEncoder;
  private loading?: Promise<void>;
  private failure?: string;

  constructor(private readonly options: QueryVectorOptions) {}

  /** 'none' before the first search or when the models have no query encoder. */
  get state(): QueryEncoderState {
    if (this.encoder) return 'ready';
    if (this.failure !== undefined) return 'failed';
    return this.loading ? 'loading' : 'none';
  }

  /** Reason the encoder failed to load, when it did. */
  get error(): string | undefined {
    return this.failure;
  }

  /**
   * Returns the text's vector when the encoder is ready. Otherwise starts loading it (once) and
   * returns null, so this search goes out with its text alone.
   */
  encode(manifest: Manifest | undefined, text: string): Float32Array | null {
    if (this.encoder) return this.encoder.encode(text);
    const entry = manifest?.models.queryEncoder;
    if (entry && !this.loading && this.failure === undefined) {
      const source = { ...this.options, timeoutMs: Math.max(this.options.timeoutMs, MODEL_FETCH_TIMEOUT_MS) };
      // The encoder's code is loaded with its model, so pages that never search skip both.
      this.loading = Promise.all([loadModelBytes(entry, source), import('../runtime/js-query-encoder.js')]).then(
        ([bytes, { JsQueryEncoder }]) => {
          this.encoder = JsQueryEncoder.fromOnnx(bytes, entry.file);
        },
      ).catch((error: unknown) => {
        this.failure = error instanceof Error ? error.message : String(error);
      });
    }
    return null;
  }

  /** Resolves once a load started by `encode` has settled (for tests and warm-up). */
  async settled(): Promise<void> {
    await this.loading;
  }

  /** Forgets the encoder (after forget() erased the stored models). */
  clear(): void {
    this.encoder = undefined;
    this.loading = undefined;
    this.failure = undefined;
  }
}
