/**
 * The ONNX Runtime host: a second worker, started by the engine's worker from the same script,
 * that creates the sessions and runs the models. Creating the first ORT-web session blocks its
 * thread for about half a second on a 2-core machine, because V8 compiles the wasm functions
 * lazily, on their first call. In a separate thread that time never delays a call of the page.
 *
 * The engine's worker calls the host through comlink with the `OrtHostApi` below; every method
 * returns a Reply, so coded errors cross the thread boundary.
 */
import * as Comlink from 'comlink';
import { toReply, type Reply } from '../client/protocol.js';
import { AisleError } from '../core/errors.js';
import type { TowerInput } from '../core/sequence.js';
import type { Manifest } from '../core/types.js';
import { selectBackend, type BackendRequest, type BackendSelection } from '../runtime/backend.js';
import type { ModelBytes, OrtModelRunner } from '../runtime/model-runner.js';
import type { Backend } from '../runtime/ort.js';
import { loadOrtWeb } from '../runtime/ort.js';

/** Worker name that makes the worker script start as the ORT host instead of the engine. */
export const ORT_HOST_NAME = 'aisle-ort';

/** Output of one model run in the host, with the backend state after it. */
export interface HostRunOutput {
  values: Float32Array;
  backend: Backend;
  fallbackReason?: string;
}

/** The methods of the ORT host. */
export interface OrtHostApi {
  /** Creates the sessions on the backend that `request` and the timings pick. */
  init(request: BackendRequest, bytes: ModelBytes, manifest: Manifest): Promise<Reply<BackendSelection>>;
  runTower(input: TowerInput, seqLen: number, dim: number): Promise<Reply<HostRunOutput>>;
  runRanker(features: Float32Array, rows: number, featureCount: number): Promise<Reply<HostRunOutput>>;
  dispose(): Promise<Reply<void>>;
}

/** The host side: one runner per host worker. */
class OrtHost implements OrtHostApi {
  private runner?: OrtModelRunner;

  init(request: BackendRequest, bytes: ModelBytes, manifest: Manifest): Promise<Reply<BackendSelection>> {
    return toReply(async () => {
      if (this.runner) throw new AisleError('AISLE_INTERNAL', 'OrtHost.init: the host already has sessions; start one host per engine.');
      const { runner, selection } = await selectBackend({ request, loadOrt: loadOrtWeb, bytes, manifest });
      this.runner = runner;
      return selection;
    });
  }

  runTower(input: TowerInput, seqLen: number, dim: number): Promise<Reply<HostRunOutput>> {
    return this.run((runner) => runner.runTower(input, seqLen, dim));
  }

  runRanker(features: Float32Array, rows: number, featureCount: number): Promise<Reply<HostRunOutput>> {
    return this.run((runner) => runner.runRanker(features, rows, featureCount));
  }

  dispose(): Promise<Reply<void>> {
    return toReply(async () => {
      await this.runner?.dispose();
      this.runner = undefined;
    });
  }

  private async run(call: (runner: OrtModelRunner) => Promise<Float32Array>): Promise<Reply<HostRunOutput>> {
    const reply = await toReply(async () => {
      if (!this.runner) throw new AisleError('AISLE_MODEL_LOAD_FAILED', 'Running a model failed: the ORT host has no sessions yet.');
      const values = await call(this.runner);
      return { values, backend: this.runner.backend, fallbackReason: this.runner.fallbackReason };
    });
    // The output buffer moves to the engine's worker instead of being copied.
    return reply.ok ? Comlink.transfer(reply, [reply.value.values.buffer]) : reply;
  }
}

/** Serves the ORT host API on this worker's message port. */
export function exposeOrtHost(): void {
  Comlink.expose(new OrtHost());
}
