/** One ONNX Runtime session with runs serialized through a promise chain. */
import { AisleError } from '../core/errors.js';
import type { Backend, OrtSession, OrtTensor } from './ort.js';

/** A loaded model on one backend. */
export class ModelSession {
  // Runs are chained so that at most one is in flight per session: the WebGPU execution
  // provider rejects a run that starts while another is pending on the same session, and the
  // wasm build shares one heap between runs.
  private tail: Promise<unknown> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly session: OrtSession,
    /** Model name used in messages, such as "ranker". */
    readonly name: string,
    readonly backend: Backend,
  ) {}

  /** Runs the model after every earlier run of this session has settled. */
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>> {
    const result = this.tail.then(() => this.runNow(feeds));
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** Waits for pending runs, then frees the session's native memory. Safe to call twice. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.tail;
    await this.session.release();
  }

  private async runNow(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>> {
    if (this.disposed) throw new AisleError('AISLE_DESTROYED', `Running the ${this.name} failed: its session was disposed.`);
    try {
      return await this.session.run(feeds);
    } catch (error) {
      throw new AisleError('AISLE_MODEL_RUN_FAILED', `Running the ${this.name} on ${this.backend} failed: ${error instanceof Error ? error.message : String(error)}.`, { cause: error });
    }
  }
}
