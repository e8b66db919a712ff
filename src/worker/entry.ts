/**
 * Entry of the dedicated module worker: opens the store, creates the Engine and exposes it to
 * the page through comlink. Every method returns a Reply, so errors keep their code.
 *
 * The same script also runs the ONNX Runtime host (ort-host.ts): the engine starts it as a
 * second worker named ORT_HOST_NAME, and the name decides the role.
 */
import * as Comlink from 'comlink';
import { toReply, type AisleInfo, type ProfileView, type RankResultReply, type RecommendOptions, type Reply, type RequestContext, type ResolvedOptions, type SearchOptions, type TrackResult, type WorkerApi } from '../client/protocol.js';
import { AisleError } from '../core/errors.js';
import type { Explanation } from '../core/explanation.js';
import type { AisleEventInput, ItemMeta, Manifest, RankResult } from '../core/types.js';
import { selectBackend, type BackendRequest } from '../runtime/backend.js';
import type { ModelBytes } from '../runtime/model-runner.js';
import { loadOrtWeb, ortFilesFolder } from '../runtime/ort.js';
import { openStore } from '../store/open-store.js';
import { Engine } from './engine.js';
import { ItemMetaSender } from './meta-sender.js';
import { exposeOrtHost, ORT_HOST_NAME } from './ort-host.js';
import { createRemoteRunner, startOrtHost } from './remote-runner.js';
import { openTabChannel } from './tab-channel.js';

/** The object the worker exposes; one engine per worker. */
class WorkerHost implements WorkerApi {
  private engine?: Engine;
  private readonly metaSender = new ItemMetaSender();

  init(options: ResolvedOptions): Promise<Reply<AisleInfo>> {
    return toReply(async () => {
      if (this.engine) throw new AisleError('AISLE_INVALID_ARGUMENT', 'init(): the worker already hosts an engine; create one worker per createAisle() call.');
      const store = await openStore({ storage: options.storage, dbName: options.dbName, cap: options.maxEvents });
      this.engine = await Engine.create(options, {
        fetch: (input, init) => globalThis.fetch(input, init),
        store,
        // A memory store is private to this worker, so only IndexedDB engines share notices.
        channel: store.mode === 'indexeddb' ? openTabChannel(options.dbName) : undefined,
        createRunner: (bytes, manifest) => createRunner(options.backend, bytes, manifest),
      });
      // The models are still loading; the page does not wait for them here.
      return this.engine.currentInfo();
    });
  }

  track(event: AisleEventInput): Promise<Reply<TrackResult>> {
    return toReply(() => this.get().track(event));
  }

  recommend(options: RecommendOptions): RankResultReply {
    return this.rankReply(() => this.get().recommend(options));
  }

  rank(items: string[], context?: RequestContext): RankResultReply {
    return this.rankReply(() => this.get().rank(items, context));
  }

  search(query: string, options?: SearchOptions): RankResultReply {
    return this.rankReply(() => this.get().search(query, options));
  }

  profile(): Promise<Reply<ProfileView>> {
    return toReply(() => this.get().profile());
  }

  forget(): Promise<Reply<void>> {
    return toReply(async () => {
      try {
        await this.get().forget();
      } finally {
        this.metaSender.clear();
      }
    });
  }

  info(): Promise<Reply<AisleInfo>> {
    return toReply(() => this.get().info());
  }

  destroy(): Promise<Reply<void>> {
    return toReply(async () => this.engine?.destroy());
  }

  explain(itemId: string): Promise<Reply<Explanation>> {
    return toReply(() => this.get().explain(itemId));
  }

  itemMetas(ids: string[]): Promise<Reply<Array<ItemMeta | null>>> {
    return toReply(async () => this.metaSender.lookup(ids));
  }

  // Replies are posted in the order they are encoded, which is the order the page stores them in.
  private rankReply(call: () => Promise<RankResult>): RankResultReply {
    return toReply(async () => this.metaSender.encode(await call()));
  }

  private get(): Engine {
    if (!this.engine) throw new AisleError('AISLE_WORKER_FAILED', 'The Aisle worker received a call before init(); use createAisle() to start it.');
    return this.engine;
  }
}

/**
 * Creates the model runner in the ORT host worker, or in this thread where a worker cannot start
 * a worker or the host fails (the sessions then block this thread while they are created).
 */
async function createRunner(request: BackendRequest, bytes: ModelBytes, manifest: Manifest) {
  const host = startOrtHost(import.meta.url);
  if (host) {
    try {
      return await createRemoteRunner(host, request, bytes, manifest);
    } catch {
      host.terminate();
    }
  }
  try {
    return await selectBackend({ request, loadOrt: loadOrtWeb, bytes, manifest });
  } catch (error) {
    // Loaded only here, because the checks of the ORT files are needed only when ORT failed.
    const { explainOrtFailure } = await import('../runtime/ort-files.js');
    // Without an adapter a 'webgpu' or 'auto' request loads the wasm build, so its files come first.
    throw await explainOrtFailure(error, ortFilesFolder(), request === 'wasm' ? ['wasm'] : ['wasm', 'webgpu'], (url) => globalThis.fetch(url));
  }
}

if ((globalThis as { name?: string }).name === ORT_HOST_NAME) exposeOrtHost();
else Comlink.expose(new WorkerHost());
