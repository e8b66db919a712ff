/**
 * The engine's side of the ORT host (ort-host.ts): starts the host worker and wraps it in the
 * ModelRunner interface, so the engine runs the models there exactly as it would run them in its
 * own thread. Where a worker cannot start a worker, `startOrtHost` returns undefined and the
 * engine creates the sessions in its own thread, as before the host existed.
 */
import * as Comlink from 'comlink';
import { fromWireError, type Reply } from '../client/protocol.js';
import { AisleError } from '../core/errors.js';
import type { TowerInput } from '../core/sequence.js';
import type { Manifest } from '../core/types.js';
import type { BackendRequest, BackendSelection } from '../runtime/backend.js';
import type { ModelBytes, ModelRunner } from '../runtime/model-runner.js';
import type { Backend } from '../runtime/ort.js';
import { ORT_HOST_NAME, type HostRunOutput, type OrtHostApi } from './ort-host.js';

/** Maximum time for the host to create its sessions before the engine stops it. */
export const HOST_INIT_TIMEOUT_MS = 60_000;

/**
 * Starts the ORT host from `scriptUrl` (this worker's own script). A worker may only start a
 * worker from its own origin, so a script on another origin (a CDN) is started through a
 * same-origin blob module that imports it. Returns undefined where that fails.
 */
export function startOrtHost(scriptUrl: string): Worker | undefined {
  if (typeof Worker === 'undefined') return undefined;
  try {
    const url = new URL(scriptUrl);
    if (url.origin === globalThis.location?.origin) return new Worker(url, { type: 'module', name: ORT_HOST_NAME });
    const source = new Blob([`import ${JSON.stringify(url.href)};`], { type: 'text/javascript' });
    return new Worker(URL.createObjectURL(source), { type: 'module', name: ORT_HOST_NAME });
  } catch {
    return undefined;
  }
}

/** ModelRunner over an ORT host worker. */
export class RemoteModelRunner implements ModelRunner {
  backend: Backend;
  fallbackReason?: string;

  constructor(
    private readonly api: Comlink.Remote<OrtHostApi>,
    private readonly worker: Worker,
    private readonly failure: Promise<never>,
    backend: Backend,
  ) {
    this.backend = backend;
  }

  async runTower(input: TowerInput, seqLen: number, dim: number): Promise<Float32Array> {
    return this.output(await Promise.race([this.api.runTower(input, seqLen, dim), this.failure]));
  }

  async runRanker(features: Float32Array, rows: number, featureCount: number): Promise<Float32Array> {
    if (rows === 0) return new Float32Array(0);
    return this.output(await Promise.race([this.api.runRanker(features, rows, featureCount), this.failure]));
  }

  async dispose(): Promise<void> {
    // The host frees its sessions first. A host that does not reply within a second is stopped anyway.
    await Promise.race([this.api.dispose(), this.failure, new Promise((resolve) => setTimeout(resolve, 1000))]).catch(() => undefined);
    this.api[Comlink.releaseProxy]();
    this.worker.terminate();
  }

  private output(reply: Reply<HostRunOutput>): Float32Array {
    if (!reply.ok) throw fromWireError(reply.error);
    this.backend = reply.value.backend;
    this.fallbackReason = reply.value.fallbackReason;
    return reply.value.values;
  }
}

/**
 * Creates the sessions in the host worker and returns a runner on them. Rejects with the host's
 * coded error, with AISLE_WORKER_FAILED when the host script fails, or with AISLE_TIMEOUT.
 * The caller terminates the worker when this rejects.
 */
export async function createRemoteRunner(worker: Worker, request: BackendRequest, bytes: ModelBytes, manifest: Manifest): Promise<{ runner: RemoteModelRunner; selection: BackendSelection }> {
  const failure = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (event) => reject(new AisleError('AISLE_WORKER_FAILED', `The ONNX Runtime worker failed: ${event.message || 'its script could not be loaded'}.`)));
  });
  // A rejection without a handler yet would be reported as unhandled.
  failure.catch(() => undefined);
  const api = Comlink.wrap<OrtHostApi>(worker);

  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AisleError('AISLE_TIMEOUT', `The ONNX Runtime worker did not create its sessions within ${HOST_INIT_TIMEOUT_MS} ms.`)), HOST_INIT_TIMEOUT_MS);
  });
  try {
    const reply = await Promise.race([api.init(request, bytes, manifest), failure, timeout]);
    if (!reply.ok) throw fromWireError(reply.error);
    return { runner: new RemoteModelRunner(api, worker, failure, reply.value.backend), selection: reply.value };
  } catch (error) {
    api[Comlink.releaseProxy]();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
