/**
 * The typed protocol between the page (client SDK) and the worker. Every worker method returns a
 * `Reply`: a discriminated union of a value or a plain error object. Errors cross the worker
 * boundary as data because structured clone drops the class and the `code` of an AisleError.
 * The page and the worker both import this file; nothing else is shared between them.
 */
import type { AdaptationOptions, AdaptationState } from '../core/adaptation.js';
import { AisleError, isErrorCode, type AisleErrorCode } from '../core/errors.js';
import type { Explanation } from '../core/explanation.js';
import type { AisleEvent, AisleEventInput, Degraded, FusionWeights, ItemMeta, RankResult, ScoredItem, SearchFusion } from '../core/types.js';
import type { LiveEventsOptions } from './beacon.js';
import type { ExposureMode } from './experiments.js';

/** Execution backend requested by the page. */
export type BackendRequest = 'auto' | 'wasm' | 'webgpu';

/** Options of `createAisle`. */
export interface AisleOptions {
  /**
   * Base URL of the companion service: an absolute http(s) URL such as "https://reco.example.com",
   * or a path on the page's origin that starts with '/', such as "/aisle". Anything else rejects
   * with AISLE_INVALID_ARGUMENT.
   */
  endpoint: string;
  /**
   * URL of manifest.json; defaults to `${endpoint}/models/manifest.json`. A device whose
   * experiment variant runs an extra model set of the companion loads that set's manifest from
   * `${endpoint}/versions/<version>/models/manifest.json` instead.
   */
  models?: string;
  /** Storage of events and profile: 'indexeddb' (default, falls back to memory) or 'memory'. */
  storage?: 'indexeddb' | 'memory';
  /** Time budget of one call in milliseconds, after which it resolves degraded; default 3000. */
  timeoutMs?: number;
  /** Execution backend; 'auto' (default) times WebGPU against wasm when an adapter exists. */
  backend?: BackendRequest;
  /**
   * URL of the worker script (aisle.worker.js of the build). Needed with the script-tag build
   * when the SDK is served from another origin than the page and its URL cannot be derived.
   */
  workerUrl?: string | URL;
  /** IndexedDB database name; default 'aisle'. Pages that embed two engines give each a name. */
  dbName?: string;
  /** Maximum number of events kept on the device; default 1000. */
  maxEvents?: number;
  /**
   * Join the ONNX Runtime ranker runs of calls that reach the worker together into one model run,
   * such as several rank() calls sent in one go. Each call still gets its own scores. The
   * JavaScript ranker runs every call at once, because a run of it has no fixed cost to share.
   * Default true.
   */
  coalesce?: boolean;
  /**
   * Code that scores candidates. 'auto' (default) times the JavaScript ranker against ONNX
   * Runtime once both are ready and keeps the faster. 'ort' always uses ONNX Runtime, so calls
   * wait for it after a page load. 'js' keeps the JavaScript ranker when the graph compiles.
   */
  ranker?: RankerRequest;
  /**
   * On-device adaptation: a per-shopper linear correction of the ranker score, learned with
   * TensorFlow.js from impressions that were clicked or skipped (see observeExposure). `true`
   * turns it on with the defaults of DEFAULT_ADAPTATION; an object changes some of them. Off by
   * default, and TensorFlow.js is then never downloaded.
   */
  adaptation?: boolean | Partial<AdaptationOptions>;
  /**
   * Anonymous events for the companion's live counters (POST /v1/events): item, type and time
   * rounded to the minute of each view, click, add_to_cart and purchase, in shuffled batches,
   * with no id of the shopper or the device. true (default) sends batches of 20 or every 5 s, and
   * with sendBeacon when the page is hidden. false sends nothing.
   */
  liveEvents?: boolean | LiveEventsOptions;
  /**
   * Take part in the companion's experiments (GET /v1/experiments): the device assigns itself a
   * variant from a random device id kept on the device, recommend() applies the variant, and its
   * results carry a `rankingId` for outcome tracking. A variant's `modelVersion` picks the model
   * set the worker loads, so createAisle() waits for the definitions (at most 2 s) before the
   * worker starts. Default true; false ignores experiments.
   */
  experiments?: boolean;
  /**
   * When a list that recommend() returned counts as an experiment exposure.
   * - 'auto' (default): a list the page watches with observeExposure (its `rankingId` as the list
   *   id) counts as in 'seen' mode. A list the page does not start watching within
   *   AUTO_EXPOSURE_GRACE_MS (2 s) of its return, or before the page is hidden, counts as in
   *   'returned' mode, dated when recommend() returned it. A click, add_to_cart or purchase on such
   *   a list within the grace period counts it at once. So a page that watches its lists keeps
   *   lists below the fold out, and a page that never watches still counts every list.
   * - 'seen': when the shopper saw it, that is at the first impression tracked with the
   *   list's `rankingId` as `listId` (observeExposure sends one when an item passes its visibility
   *   rule; give the container `data-aisle-list` = rankingId), or at the first click, add_to_cart
   *   or purchase on a list that observeExposure watches. A list that stays below the fold adds
   *   no exposure, so it cannot dilute the variants' rates toward each other. A page that neither
   *   calls observeExposure nor tracks impressions counts no exposures at all in this mode.
   * - 'returned': as soon as recommend() returns the list, seen or not.
   */
  experimentExposure?: ExposureMode;
}

/** Ranker runtime requested by the page. */
export type RankerRequest = 'auto' | 'js' | 'ort';

/** Exact-match metadata filters for retrieval. */
export interface ItemFilter {
  category?: string;
  brand?: string;
}

/** Request context of recommend and rank. */
export interface RequestContext {
  /** Only items matching this filter are recommended; `rank` moves non-matching items last. */
  filter?: ItemFilter;
}

/** Options of `recommend`. */
export interface RecommendOptions {
  /** Number of items to return, 1 to MAX_K. */
  k: number;
  context?: RequestContext;
  /** Item ids never to return (such as the item on the current page). */
  exclude?: string[];
  /** Also return items the shopper already viewed or bought; default false. */
  includeSeen?: boolean;
  /**
   * Weight of the companion's live trending signal added to the ranker scores, 0 to 10:
   * score + liveWeight · ln(1 + max(0, trending)). Default 0 (the ranker order alone).
   */
  liveWeight?: number;
  /**
   * false skips the ranker and returns the retrieval order (ANN, co-visitation, then popular), as
   * the baseline arm of an experiment. Default true.
   */
  ranker?: boolean;
}

/** Options of `search`. */
export interface SearchOptions {
  /** Number of results, 1 to MAX_K; default 10. */
  k?: number;
  /** Only items carrying every one of these tags, given or predicted (a selection of `facets`). */
  tags?: string[];
  /**
   * Fusion of the BM25 and vector hits at the companion: 'learned', 'rrf' or 'weighted'. Default: the
   * `fusion` change of the device's experiment variant, else the companion's default. When the
   * call sets `fusion` or `weights`, the variant's fusion is ignored for this call.
   */
  fusion?: SearchFusion;
  /** BM25 and vector weights of the 'weighted' fusion, each in [0, 1]. Set them only with fusion 'weighted'. */
  weights?: FusionWeights;
}

/** Result of `track`. */
export interface TrackResult {
  eventId: string;
  /** False when an event with the same eventId was already stored (the call changed nothing). */
  stored: boolean;
  degraded?: Degraded;
}

/** Data the engine stores about the shopper, as `profile()` returns it. */
export interface ProfileView {
  /** Stored events, oldest first. */
  events: AisleEvent[];
  /** The current user vector, or null before the first sequence event. */
  userVector: number[] | null;
  vectorVersion: number;
  /** Stored events per type. */
  counts: Record<string, number>;
  storage: 'indexeddb' | 'memory';
  /** The learned correction of the ranker, or null when adaptation is off or has not learned yet. */
  adaptation?: AdaptationState | null;
}

/** State of the engine, as `info()` reports it. */
export interface AisleInfo {
  /** Backend running the models, or null when no model is loaded. */
  backend: 'wasm' | 'webgpu' | null;
  requestedBackend: BackendRequest;
  /** Median milliseconds of one tower run plus a 200-row ranker run, per backend timed. */
  backendTimings: Partial<Record<'wasm' | 'webgpu', number>>;
  webgpu: { adapter: boolean; fallbackAdapter?: boolean };
  /**
   * The code that scores candidates now: 'js' (the ranker compiled to JavaScript) or 'ort', or
   * null when no ranker is loaded. Until ONNX Runtime's sessions are ready it is 'js'; then the
   * faster of the two in `timings` (median ms of a 200-row run) is kept, unless `difference`,
   * the largest relative difference of their scores on that run, is above 1e-4. `requests`
   * counts scoring requests and `runs` the model runs that served them, fewer when coalesced.
   */
  ranker: { runtime: 'ort' | 'js' | null; timings: Partial<Record<'ort' | 'js', number>>; difference?: number; requests: number; runs: number };
  /**
   * Milliseconds from the worker's start of model loading to the end of each stage: `files`
   * (manifest and verified bytes), `jsRanker` (ranker compiled to JavaScript) and `ort` (ONNX
   * Runtime sessions on the chosen backend). A stage that has not finished is absent.
   */
  loadTimes: { files?: number; jsRanker?: number; ort?: number };
  /** Model set version and dims from manifest.json, or null before the manifest loaded. */
  models: { version: string; dim: number; seqLen: number; userTowerSha256: string; rankerSha256: string } | null;
  /**
   * Storage in use. `fallbackReason` is why memory replaced IndexedDB, and `notice` names the last
   * problem the store recovered from, such as a QuotaExceededError that evicted the oldest events.
   */
  storage: { mode: 'indexeddb' | 'memory'; fallbackReason?: string; notice?: string };
  /**
   * Retrievals of recommend() served from the candidate cache (`hits`) and fetched from the
   * companion or returned from a failure (`misses`), since the engine started.
   */
  retrievalCache?: { hits: number; misses: number };
  /**
   * The query encoder in the worker: 'none' until the first search (or when the models have
   * none), then 'loading', 'ready' (searches send a query vector) or 'failed' with the reason
   * (searches send their text and the companion encodes it).
   */
  queryEncoder: { state: 'none' | 'loading' | 'ready' | 'failed'; error?: string };
  /** Every reason why results are not fully personalized right now. */
  degraded: Degraded[];
  endpoint: string;
}

/** The worker's methods as the page calls them through comlink. */
export interface WorkerApi {
  init(options: ResolvedOptions): Promise<Reply<AisleInfo>>;
  track(event: AisleEventInput): Promise<Reply<TrackResult>>;
  recommend(options: RecommendOptions): RankResultReply;
  rank(items: string[], context?: RequestContext): RankResultReply;
  search(query: string, options?: SearchOptions): RankResultReply;
  profile(): Promise<Reply<ProfileView>>;
  forget(): Promise<Reply<void>>;
  info(): Promise<Reply<AisleInfo>>;
  destroy(): Promise<Reply<void>>;
  explain(itemId: string): Promise<Reply<Explanation>>;
  /** Returns the metadata the worker last sent for each id, or null where it has none. */
  itemMetas(ids: string[]): Promise<Reply<Array<ItemMeta | null>>>;
}

/** Options after defaults, as the worker receives them. */
export interface ResolvedOptions {
  endpoint: string;
  models: string;
  storage: 'indexeddb' | 'memory';
  timeoutMs: number;
  backend: BackendRequest;
  dbName: string;
  maxEvents: number;
  /** Absent means true, so options built before this field existed keep coalescing. */
  coalesce?: boolean;
  /** Absent means 'auto'. */
  ranker?: RankerRequest;
  /** Absent or null means adaptation is off. */
  adaptation?: AdaptationOptions | null;
}

/** An error as plain data. */
export interface WireError {
  name: string;
  code: AisleErrorCode;
  message: string;
  details?: unknown;
  cause?: string;
}

/** Outcome of one worker call. */
export type Reply<T> = { ok: true; value: T } | { ok: false; error: WireError };

/**
 * Maximum entries of the worker's record of sent item metadata and of the page's cache of it.
 * Both evict the entry stored first, and both store the metadata of a reply in the same order.
 */
export const ITEM_META_CACHE_SIZE = 5000;

/**
 * A scored item as the worker sends it. `cachedItem: true` replaces `item` when an earlier reply
 * already carried an equal ItemMeta for this id. Cloning the metadata of 200 items on every call
 * cost more than ranking them, and its garbage made the page's minor collections frequent.
 */
export type WireScoredItem = ScoredItem & { cachedItem?: true };

/** A RankResult as the worker sends it. */
export interface WireRankResult extends Omit<RankResult, 'items'> {
  items: WireScoredItem[];
}

/** Reply of recommend, rank and search. */
export type RankResultReply = Promise<Reply<WireRankResult>>;

/** Converts any thrown value to a WireError; non-Aisle errors become AISLE_INTERNAL. */
export function toWireError(error: unknown): WireError {
  if (error instanceof AisleError) return error.toJSON();
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return { name: 'AisleError', code: 'AISLE_INTERNAL', message: `Unexpected error in the Aisle worker: ${message}`, cause: message };
}

/** Rebuilds an AisleError from its wire form. */
export function fromWireError(wire: WireError): AisleError {
  const code = isErrorCode(wire.code) ? wire.code : 'AISLE_INTERNAL';
  return new AisleError(code, wire.message, { details: wire.details, cause: wire.cause });
}

/** Runs `call` and wraps its outcome in a Reply. */
export async function toReply<T>(call: () => Promise<T>): Promise<Reply<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    return { ok: false, error: toWireError(error) };
  }
}
