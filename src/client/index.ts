/**
 * The Aisle SDK, the npm entry `aisle`. `createAisle()` starts a module Web Worker that hosts the
 * engine and returns an object of async calls. Every call that returns items resolves even when
 * the worker, the models, the companion or the storage fail, and then sets `degraded`.
 */
import * as Comlink from 'comlink';
import { AisleError } from '../core/errors.js';
import type { AisleEventInput, Degraded, RankResult } from '../core/types.js';
import { fromWireError, type AisleInfo, type AisleOptions, type ProfileView, type RecommendOptions, type Reply, type RequestContext, type ResolvedOptions, type SearchOptions, type TrackResult, type WireRankResult, type WorkerApi } from './protocol.js';
import { ItemMetaCache } from './meta-cache.js';
import { LiveEventSender, resolveLiveEventsOption, toLiveEvent, toMinute, type LiveEventsOptions } from './beacon.js';
import { CallStats, type AisleStats } from './call-stats.js';
import { AUTO_EXPOSURE_GRACE_MS, ExperimentClient, EXPERIMENTS_LOAD_MS, modelSetEndpoint, type ExperimentsView, type ExposureMode } from './experiments.js';
import { startWorker } from './worker-start.js';
import { DEFAULT_ADAPTATION, type AdaptationOptions } from '../core/adaptation-options.js';
import type { Explanation } from '../core/explanation.js';
import { observeExposure, type ExposureOptions, type ExposureTracker } from './exposure.js';

export type * from './protocol.js';
export type { AisleEvent, AisleEventInput, Degraded, EventType, ItemMeta, RankResult, ScoredItem } from '../core/types.js';
export { AisleError, ERROR_CATALOG, isAisleError, type AisleErrorCode } from '../core/errors.js';
export { DEFAULT_ADAPTATION, type AdaptationOptions } from '../core/adaptation-options.js';
export type { AdaptationState } from '../core/adaptation.js';
export type { Explanation, ExplanationFactor, ExplanationReason, ExplainedEvent, FactorContribution, ReasonKind } from '../core/explanation.js';
export { observeExposure, type ExposureOptions, type ExposureRecord, type ExposureTracker } from './exposure.js';
export type { LiveEventsOptions, LiveEventsStats } from './beacon.js';
export type { AisleStats, CallLatency } from './call-stats.js';
export type { ExperimentAssignment, ExperimentsView, ExposureMode } from './experiments.js';

/** Default time budget of one call, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 3000;

/** The SDK object that createAisle returns. */
export interface Aisle {
  /** Records a shopper event. Rejects with AISLE_INVALID_EVENT for a malformed event. */
  track(event: AisleEventInput): Promise<TrackResult>;
  /** Returns the top k items for the shopper, best first. */
  recommend(options: RecommendOptions): Promise<RankResult>;
  /** Returns the same item ids reordered for the shopper. */
  rank(items: string[], context?: RequestContext): Promise<RankResult>;
  /** Searches the catalog and reranks the hits for the shopper. */
  search(query: string, options?: SearchOptions): Promise<RankResult>;
  /** Returns everything stored about the shopper on this device. */
  profile(): Promise<ProfileView>;
  /** Erases everything stored about the shopper on this device. */
  forget(): Promise<void>;
  /** Returns the backend, model versions, storage mode and current degraded reasons. */
  info(): Promise<AisleInfo>;
  /** Returns latency percentiles per call, backend, candidate cache hit ratio, degraded counts and live event counters. */
  stats(): Promise<AisleStats>;
  /** Returns the device's experiment variants and the anonymous device id they come from. */
  experiments(): Promise<ExperimentsView>;
  /** Stops the worker; pending and later calls reject with AISLE_DESTROYED. */
  destroy(): Promise<void>;
  /**
   * Says which features and which of the shopper's recent events and searches raised an item.
   * Rejects with AISLE_NOT_FOUND for an id the catalog does not contain.
   */
  explain(itemId: string): Promise<Explanation>;
  /**
   * Records which items of `container` the shopper saw and sends them as impressions (see
   * ExposureOptions). When the list id is a `rankingId`, the first item seen also sends the
   * list's experiment exposure (see AisleOptions.experimentExposure).
   */
  observeExposure(container: Element, options?: ExposureOptions): ExposureTracker;
}

/** Starts the worker and the engine. Rejects only for invalid options. */
export async function createAisle(options: AisleOptions): Promise<Aisle> {
  const resolved = resolveOptions(options);
  const live = resolveLiveEventsOption(options.liveEvents);
  if (options.experiments !== undefined && typeof options.experiments !== 'boolean') throw invalidOption('experiments', options.experiments, 'true or false');
  const exposureMode = options.experimentExposure ?? 'auto';
  if (exposureMode !== 'auto' && exposureMode !== 'seen' && exposureMode !== 'returned') throw invalidOption('experimentExposure', exposureMode, "'auto', 'seen' or 'returned'");
  const client = new AisleClient(resolved, options.workerUrl, live, options.experiments === false ? null : exposureMode);
  await client.start();
  return client;
}

/** Applies defaults and checks the options of createAisle. */
export function resolveOptions(options: AisleOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) throw invalidOption('options', options, 'an object like { endpoint: "https://reco.example.com" }');
  const endpoint = resolveEndpoint(options.endpoint);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (typeof timeoutMs !== 'number' || !(timeoutMs >= 10 && timeoutMs <= 600_000)) throw invalidOption('timeoutMs', timeoutMs, 'milliseconds from 10 to 600000');
  const backend = options.backend ?? 'auto';
  if (!['auto', 'wasm', 'webgpu'].includes(backend)) throw invalidOption('backend', backend, "'auto', 'wasm' or 'webgpu'");
  const storage = options.storage ?? 'indexeddb';
  if (!['indexeddb', 'memory'].includes(storage)) throw invalidOption('storage', storage, "'indexeddb' or 'memory'");
  const maxEvents = options.maxEvents ?? 1000;
  if (!Number.isInteger(maxEvents) || maxEvents < 1 || maxEvents > 100_000) throw invalidOption('maxEvents', maxEvents, 'an integer from 1 to 100000');
  const coalesce = options.coalesce ?? true;
  if (typeof coalesce !== 'boolean') throw invalidOption('coalesce', coalesce, 'true or false');
  const ranker = options.ranker ?? 'auto';
  if (!['auto', 'js', 'ort'].includes(ranker)) throw invalidOption('ranker', ranker, "'auto', 'js' or 'ort'");
  const models = options.models === undefined ? `${endpoint}/models/manifest.json` : new URL(options.models, globalThis.location?.href).href;
  const adaptation = resolveAdaptation(options.adaptation);
  return { endpoint, models, storage, timeoutMs, backend, dbName: options.dbName ?? 'aisle', maxEvents, coalesce, ranker, ...(adaptation ? { adaptation } : {}) };
}

/** Returns the adaptation options with defaults, or null when adaptation is off. */
function resolveAdaptation(value: AisleOptions['adaptation']): AdaptationOptions | null {
  if (value === undefined || value === false) return null;
  if (value === true) return { ...DEFAULT_ADAPTATION };
  if (typeof value !== 'object' || value === null) throw invalidOption('adaptation', value, 'true, false or an object of adaptation options');
  const resolved = { ...DEFAULT_ADAPTATION, ...value };
  const ranges: Array<[keyof AdaptationOptions, number, number]> = [['learningRate', 0, 10], ['l2', 0, 10], ['skipWeight', 0, 10], ['skipAfterMs', 0, 86_400_000], ['maxCorrection', 0, 100]];
  for (const [name, min, max] of ranges) {
    const option = resolved[name];
    if (typeof option !== 'number' || !(option >= min && option <= max)) throw invalidOption(`adaptation.${name}`, option, `a number from ${min} to ${max}`);
  }
  for (const name of ['rankerFeatures', 'itemVector'] as const) {
    if (typeof resolved[name] !== 'boolean') throw invalidOption(`adaptation.${name}`, resolved[name], 'true or false');
  }
  return resolved;
}

/**
 * Returns the endpoint as an absolute URL without a trailing slash. Accepts an absolute http(s)
 * URL or, on a page, a path that starts with a single '/'; other relative forms would silently
 * resolve against the page's own path, so they are rejected.
 */
function resolveEndpoint(value: unknown): string {
  const expected = "an absolute http(s) URL of the companion service, such as \"https://reco.example.com\", or a path on this page's origin that starts with '/'";
  if (typeof value !== 'string' || value.trim() === '') throw invalidOption('endpoint', value, expected);
  const pagePath = value.startsWith('/') && !value.startsWith('//');
  let url: URL;
  try {
    url = pagePath ? new URL(value, globalThis.location?.href) : new URL(value);
  } catch {
    throw invalidOption('endpoint', value, expected);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidOption('endpoint', value, expected);
  return url.href.replace(/\/+$/, '');
}

function invalidOption(name: string, value: unknown, expected: string): AisleError {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new AisleError('AISLE_INVALID_ARGUMENT', `createAisle(): option ${name} must be ${expected}; got ${shown}.`);
}

interface PendingCall {
  reject(error: AisleError): void;
  fail(degraded: Degraded): void;
}

/** The page side of the SDK: comlink calls with a time budget, fallbacks and life cycle. */
class AisleClient implements Aisle {
  private worker?: Worker;
  private api?: Comlink.Remote<WorkerApi>;
  private workerIssue?: Degraded;
  private destroyed = false;
  private readonly pending = new Set<PendingCall>();
  /** Last personalized recommendation, served when the worker does not reply in time. */
  private lastRecommendation: RankResult['items'] = [];
  private readonly callStats = new CallStats();
  private readonly metaCache = new ItemMetaCache();
  private readonly liveEvents: LiveEventSender | null;
  private readonly experimentClient: ExperimentClient | null;
  /** Timers that send the 'auto' exposures of lists the page did not start watching. */
  private readonly exposureTimers = new Set<ReturnType<typeof setTimeout>>();

  constructor(
    private readonly options: ResolvedOptions,
    private readonly workerUrl: string | URL | undefined,
    live: Required<LiveEventsOptions> | null,
    /** Exposure mode of the experiments, or null to keep the device out of them. */
    private readonly exposureMode: ExposureMode | null,
  ) {
    this.liveEvents = live ? new LiveEventSender(options.endpoint, live) : null;
    const experimentClient = exposureMode ? new ExperimentClient(options.endpoint, options.dbName, experimentEnvironment(options.storage), exposureMode) : null;
    this.experimentClient = experimentClient;
    // In 'auto' mode a list the page never watched counts when the page is hidden, in the same beacon.
    if (this.liveEvents && experimentClient) this.liveEvents.beforeHide = () => experimentClient.dueExposures(true).map((event) => ({ ...event, time: toMinute(event.time) }));
  }

  async start(): Promise<void> {
    try {
      this.worker = startWorker(this.workerUrl);
    } catch (error) {
      this.workerIssue = { code: 'AISLE_WORKER_FAILED', reason: error instanceof Error ? error.message : String(error) };
      return;
    }
    this.worker.addEventListener('error', (event) => this.onWorkerFailure(`The Aisle worker failed: ${event.message || 'its script could not be loaded'}.`));
    this.worker.addEventListener('messageerror', () => this.onWorkerFailure('The Aisle worker sent a message the page could not read.'));
    this.api = Comlink.wrap<WorkerApi>(this.worker);
    // The variant can pick the model set, and the worker starts loading its models in init, so
    // the experiments load first (the worker script downloads meanwhile). A slow companion delays
    // createAisle() by at most EXPERIMENTS_LOAD_MS, and the page view then runs the default set
    // in no experiment. init opens the store and restores the profile; the models keep loading
    // in the worker after it returns.
    await this.experimentClient?.load(Math.min(this.options.timeoutMs, EXPERIMENTS_LOAD_MS));
    const modelSet = this.experimentClient?.modelSetVersion() ?? null;
    const options = modelSet === null ? this.options : withModelSet(this.options, modelSet);
    await this.call((api) => api.init(options), (degraded) => this.fallbackInfo(degraded)).catch((error: unknown) => {
      // The worker then has no engine, so the later calls degrade with this reason instead of calling it.
      this.workerIssue ??= { code: 'AISLE_WORKER_FAILED', reason: `Starting the Aisle engine failed: ${error instanceof Error ? error.message : String(error)}` };
    });
  }

  async track(event: AisleEventInput): Promise<TrackResult> {
    const eventId = typeof event?.eventId === 'string' ? event.eventId : '';
    const result = await this.measure('track', this.call((api) => api.track(event), (degraded) => ({ eventId, stored: false, degraded })));
    // A seen list's exposures go before the event itself, so the companion counts the exposure
    // first and the event as its outcome. They go even when the worker could not store the event.
    if (typeof event === 'object' && event !== null) {
      for (const exposure of this.experimentClient?.exposuresOn(event.type, event.listId) ?? []) this.liveEvents?.add({ ...exposure, time: toMinute(exposure.time) });
    }
    // Only events the worker validated and stored for the first time are counted live, so a
    // retried event (same eventId) counts once there too.
    if (result.stored && this.liveEvents) {
      const now = Date.now();
      const time = typeof event.timestamp === 'number' ? Math.min(event.timestamp, now) : now;
      const live = toLiveEvent(event.type, event.itemId, time, this.experimentClient?.outcomeRanking(event.type, event.itemId, event.listId));
      if (live) this.liveEvents.add(live);
    }
    return result;
  }

  async recommend(options: RecommendOptions): Promise<RankResult> {
    const k = typeof options?.k === 'number' ? options.k : 0;
    // The variant's settings apply unless the page set them for this call.
    const withVariant = typeof options === 'object' && options !== null && this.experimentClient ? { ...this.experimentClient.recommendDefaults(), ...options } : options;
    const result = await this.measure(
      'recommend',
      this.call(
        (api) => this.decoded(api, api.recommend(withVariant)),
        (degraded) => ({ items: this.lastRecommendation.slice(0, k), degraded, tookMs: 0 }),
      ),
    );
    if (!result.degraded) this.lastRecommendation = result.items;
    this.exposeResult(result);
    return result;
  }

  // Tags a returned list with a ranking id. Its exposures are queued now in 'returned' mode, when
  // the list is seen in 'seen' mode (track()), and in 'auto' mode also once the grace period
  // passed without observeExposure on it.
  private exposeResult(result: RankResult): void {
    if (result.items.length === 0) return;
    const exposure = this.experimentClient?.expose();
    if (!exposure) return;
    result.rankingId = exposure.rankingId;
    for (const event of exposure.exposures) this.liveEvents?.add({ ...event, time: toMinute(event.time) });
    if (this.exposureMode === 'auto' && this.liveEvents && !this.destroyed) {
      const timer = setTimeout(() => {
        this.exposureTimers.delete(timer);
        for (const event of this.experimentClient?.dueExposures() ?? []) this.liveEvents?.add({ ...event, time: toMinute(event.time) });
      }, AUTO_EXPOSURE_GRACE_MS);
      this.exposureTimers.add(timer);
    }
  }

  async experiments(): Promise<ExperimentsView> {
    return this.experimentClient?.view() ?? { deviceId: null, assignments: [] };
  }

  rank(items: string[], context?: RequestContext): Promise<RankResult> {
    const inputIds = Array.isArray(items) ? items.filter((id): id is string => typeof id === 'string') : [];
    return this.measure(
      'rank',
      this.call(
        (api) => this.decoded(api, api.rank(items, context)),
        (degraded) => ({ items: inputIds.map((id, i) => ({ id, score: 1 - i / inputIds.length })), degraded, tookMs: 0 }),
      ),
    );
  }

  search(query: string, options?: SearchOptions): Promise<RankResult> {
    const withVariant = this.withVariantFusion(options);
    return this.measure('search', this.call((api) => this.decoded(api, api.search(query, withVariant)), (degraded) => ({ items: [], degraded, tookMs: 0 })));
  }

  // The variant's fusion applies unless the call sets `fusion` or `weights`. The two count as one
  // setting, so a variant's weights never mix with the page's method.
  private withVariantFusion(options: SearchOptions | undefined): SearchOptions | undefined {
    if (!this.experimentClient || (options !== undefined && (typeof options !== 'object' || options === null))) return options;
    if (options?.fusion !== undefined || options?.weights !== undefined) return options;
    const defaults = this.experimentClient.searchDefaults();
    return defaults.fusion === undefined ? options : { ...options, ...defaults };
  }

  async stats(): Promise<AisleStats> {
    const info = await this.info();
    const hits = info.retrievalCache?.hits ?? 0;
    const misses = info.retrievalCache?.misses ?? 0;
    return {
      calls: this.callStats.latencies(),
      degraded: this.callStats.degraded(),
      backend: info.backend,
      ranker: info.ranker.runtime,
      cache: { hits, misses, hitRatio: hits + misses > 0 ? hits / (hits + misses) : null },
      liveEvents: this.liveEvents?.stats ?? null,
    };
  }

  // Records the latency and outcome of a call for stats(), from the page's point of view.
  private async measure<T extends { degraded?: Degraded }>(call: string, pending: Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await pending;
      this.callStats.record(call, performance.now() - started, { degradedCode: result.degraded?.code });
      return result;
    } catch (error) {
      this.callStats.record(call, performance.now() - started, { error: true });
      throw error;
    }
  }

  profile(): Promise<ProfileView> {
    return this.call((api) => api.profile());
  }

  async forget(): Promise<void> {
    // The last recommendation is a copy of personalized results kept on the page for timeouts.
    this.lastRecommendation = [];
    // Cleared again once the worker forgot, so that metadata of replies sent meanwhile goes too.
    this.metaCache.clear();
    await this.call((api) => api.forget()).finally(() => this.metaCache.clear());
    await this.experimentClient?.reset(this.options.timeoutMs);
  }

  async info(): Promise<AisleInfo> {
    const info = await this.call((api) => api.info(), (degraded) => this.fallbackInfo(degraded));
    // Variants this device cannot apply are reported with the worker's own reasons.
    const issues = this.experimentClient?.issues() ?? [];
    return issues.length === 0 ? info : { ...info, degraded: [...info.degraded, ...issues] };
  }

  explain(itemId: string): Promise<Explanation> {
    const id = typeof itemId === 'string' ? itemId : '';
    return this.call(
      (api) => api.explain(itemId),
      (degraded) => ({ itemId: id, score: 0, rankerScore: 0, baselineScore: 0, contributions: [], events: [], reasons: [], degraded }),
    );
  }

  observeExposure(container: Element, options?: ExposureOptions): ExposureTracker {
    const tracker = observeExposure(this, container, options);
    this.experimentClient?.observe(tracker.listId);
    return tracker;
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    // Queued live events go out with sendBeacon, which survives the page closing, and with them
    // the 'auto' exposures of lists still in their grace period (beforeHide).
    for (const timer of this.exposureTimers) clearTimeout(timer);
    this.exposureTimers.clear();
    this.liveEvents?.close();
    const destroyedError = new AisleError('AISLE_DESTROYED', 'The call was pending when destroy() stopped the Aisle worker.');
    for (const call of [...this.pending]) call.reject(destroyedError);
    this.pending.clear();

    // Let the engine release its sessions and close IndexedDB, but wait at most one second.
    if (this.api) await withTimeout<Reply<void>>(this.api.destroy(), 1000).catch(() => undefined);
    this.api?.[Comlink.releaseProxy]();
    this.worker?.terminate();
  }

  /**
   * Fills in the item metadata a reply left out. It runs for every reply, also one that arrives
   * after its call timed out, so the page's metadata cache stays in step with the worker's record.
   */
  private async decoded(api: Comlink.Remote<WorkerApi>, pending: Promise<Reply<WireRankResult>>): Promise<Reply<RankResult>> {
    const reply = await pending;
    if (!reply.ok) return reply;
    const lookup = async (ids: string[]) => {
      const found = await api.itemMetas(ids);
      return found.ok ? found.value : [];
    };
    return { ok: true, value: await this.metaCache.decode(reply.value, lookup) };
  }

  /**
   * Runs one worker call within the time budget. Without a `fallback` a failure rejects; with
   * one, a timeout or a dead worker returns the fallback, marked degraded.
   */
  private call<T>(run: (api: Comlink.Remote<WorkerApi>) => Promise<Reply<T>>, fallback?: (degraded: Degraded) => T): Promise<T> {
    if (this.destroyed) return Promise.reject(new AisleError('AISLE_DESTROYED', 'The Aisle engine was destroyed; create a new one with createAisle().'));
    if (this.workerIssue || !this.api) {
      const degraded = this.workerIssue ?? { code: 'AISLE_WORKER_FAILED', reason: 'The Aisle worker is not running.' };
      return fallback ? Promise.resolve(fallback(degraded)) : Promise.reject(new AisleError('AISLE_WORKER_FAILED', degraded.reason));
    }
    const api = this.api;

    return new Promise<T>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.pending.delete(entry);
      };
      const entry: PendingCall = {
        reject: (error) => {
          finish();
          reject(error);
        },
        fail: (degraded) => {
          finish();
          if (fallback) resolve(fallback(degraded));
          else reject(new AisleError(degraded.code === 'AISLE_TIMEOUT' ? 'AISLE_TIMEOUT' : 'AISLE_WORKER_FAILED', degraded.reason));
        },
      };
      const timer = setTimeout(() => entry.fail({ code: 'AISLE_TIMEOUT', reason: `The Aisle worker did not reply within timeoutMs = ${this.options.timeoutMs} ms.` }), this.options.timeoutMs);
      this.pending.add(entry);

      run(api).then(
        (reply) => {
          if (!this.pending.has(entry)) return;
          finish();
          if (reply.ok) resolve(reply.value);
          else reject(fromWireError(reply.error));
        },
        (error: unknown) => {
          if (this.pending.has(entry)) entry.fail({ code: 'AISLE_WORKER_FAILED', reason: `Calling the Aisle worker failed: ${error instanceof Error ? error.message : String(error)}.` });
        },
      );
    });
  }

  private onWorkerFailure(reason: string): void {
    this.workerIssue = { code: 'AISLE_WORKER_FAILED', reason };
    for (const call of [...this.pending]) call.fail(this.workerIssue);
  }

  private fallbackInfo(degraded: Degraded): AisleInfo {
    return {
      backend: null,
      requestedBackend: this.options.backend,
      backendTimings: {},
      webgpu: { adapter: false },
      ranker: { runtime: null, timings: {}, requests: 0, runs: 0 },
      loadTimes: {},
      models: null,
      storage: { mode: this.options.storage },
      queryEncoder: { state: 'none' },
      degraded: [degraded],
      endpoint: this.options.endpoint,
    };
  }
}

// The worker of a page in an extra model set sends its companion calls and model requests to that
// set's routes. Live events and experiments stay on the root endpoint, which counts them for every set.
function withModelSet(options: ResolvedOptions, version: string): ResolvedOptions {
  const endpoint = modelSetEndpoint(options.endpoint, version);
  return { ...options, endpoint, models: `${endpoint}/models/manifest.json` };
}

// The device id persists in localStorage only when the engine persists anything (storage
// 'indexeddb'), and only where localStorage exists (not in some sandboxed frames).
function experimentEnvironment(storage: ResolvedOptions['storage']) {
  let persistent: Storage | undefined;
  try {
    persistent = storage === 'indexeddb' ? globalThis.localStorage : undefined;
  } catch {
    persistent = undefined;
  }
  return { fetch: globalThis.fetch.bind(globalThis), storage: persistent, randomId: () => globalThis.crypto.randomUUID(), now: () => Date.now() };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
