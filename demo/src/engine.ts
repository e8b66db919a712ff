/**
 * The page's only door to Aisle: it starts the SDK through its public entry and wraps every call,
 * so a failure becomes a `degraded` note the page can show instead of an exception. It also times
 * each call (the worker's own `tookMs` and the round trip seen by the page) for the status panel.
 */
// The SDK's public entry, the file a store gets as `import { createAisle } from 'aisle'`. The
// demo names it by path so that tsc and Vite resolve it without a paths or alias setting.
import { createAisle, type Aisle, type AisleEventInput, type ExperimentsView, type ExposureOptions, type ExposureTracker, type ProfileView } from '../../src/client/index.js';

type TrackInput = AisleEventInput;

/** One scored item of an SDK result, as far as the page reads it. */
export interface ScoredEntry {
  id: string;
  score: number;
  item?: { id: string; title?: string; category?: string; brand?: string; price?: number; tags?: string[] };
  /** Search results: places the shopper's behaviour moved the item up. */
  lifted?: number;
}

/** Reason and error code of a result that is not fully personalized. */
export interface DegradedNote {
  reason: string;
  code: string;
}

/** An SDK result, or the page's own fallback when the call failed. */
export interface EngineResult {
  items: ScoredEntry[];
  degraded?: DegradedNote;
  tookMs?: number;
  /** Search results: tags of the matching items with their counts. */
  facets?: Array<[string, number]>;
  /** recommend() results of a device in an experiment: the list id that ties clicks to the list's exposure. */
  rankingId?: string;
}

/** The fields of info() the panel shows; every field is optional so an older SDK still renders. */
export interface EngineInfo {
  backend?: string | null;
  backendTimings?: Record<string, number>;
  models?: { version?: string; dim?: number } | null;
  storage?: { mode?: string; fallbackReason?: string };
  degraded?: Array<{ reason: string; code: string }>;
}

/** The fields of stats() the panel plots; optional so an older SDK still renders. */
export interface EngineStats {
  calls?: Record<string, { count: number; p50: number; p95: number; p99: number; max: number; degraded: number }>;
  degraded?: Record<string, number>;
  cache?: { hits: number; misses: number; hitRatio: number | null };
  liveEvents?: { sentEvents: number; queued: number } | null;
}

/** Timing and outcome of the last SDK call, for the status panel. */
export interface CallRecord {
  name: string;
  tookMs?: number;
  roundTripMs: number;
  degraded?: DegradedNote;
}

type CallListener = (record: CallRecord) => void;

function describeError(error: unknown): DegradedNote {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : 'AISLE_INTERNAL';
  const reason = error instanceof Error ? error.message : String(error);
  return { code, reason };
}

/** A wrapper around the SDK whose calls resolve to null instead of rejecting. */
export class Engine {
  private readonly listeners: CallListener[] = [];
  /** The error of the latest failed call per call name, cleared when a call of that name succeeds. */
  private readonly failures = new Map<string, DegradedNote>();

  private constructor(
    private aisle: Aisle | null,
    /** Set when the SDK could not start at all; every call then returns an empty degraded result. */
    readonly startFailure?: DegradedNote,
  ) {}

  /**
   * Starts the SDK against the companion at `endpoint`, with models from `models` when given.
   * A start failure yields an engine that reports it.
   */
  static async start(endpoint: string, models?: string): Promise<Engine> {
    // The demo watches every row it shows, and drops a row whose newer refresh overtook it. In
    // 'seen' mode such a dropped row counts no exposure, which the default 'auto' would count on
    // return, so the experiment bench's counts stay exactly the rows shown.
    const options = { endpoint, experimentExposure: 'seen' as const };
    try {
      return new Engine(await createAisle(models ? { ...options, models } : options));
    } catch (error) {
      return new Engine(null, describeError(error));
    }
  }

  /** Registers a listener called after every SDK call. */
  onCall(listener: CallListener): void {
    this.listeners.push(listener);
  }

  /** Records one behaviour event; returns true when the engine stored it. */
  async track(event: TrackInput): Promise<boolean> {
    const outcome = await this.call('track', (aisle) => aisle.track(event));
    return outcome?.stored === true;
  }

  /** Returns personalized recommendations, or null when the SDK failed (the page then shows trending). */
  recommend(k: number, exclude?: string[]): Promise<EngineResult | null> {
    return this.call('recommend', (aisle) => aisle.recommend(exclude && exclude.length > 0 ? { k, exclude } : { k }) as Promise<EngineResult>);
  }

  /** Reranks ids the page already has for this shopper, or null when the SDK failed. */
  rank(itemIds: string[]): Promise<EngineResult | null> {
    return this.call('rank', (aisle) => aisle.rank(itemIds) as Promise<EngineResult>);
  }

  /** Returns personalized search results, or null when the SDK failed (the page then uses plain companion search). */
  search(query: string, k: number, tags: string[] = []): Promise<EngineResult | null> {
    return this.call('search', (aisle) => aisle.search(query, tags.length > 0 ? { k, tags } : { k }) as Promise<EngineResult>);
  }

  /** Returns what the engine stores about this shopper on this device, or null when unavailable. */
  profile(): Promise<ProfileView | null> {
    return this.call('profile', (aisle) => aisle.profile());
  }

  /** Returns the engine status (backend, model version, storage mode, degraded reasons), or null. */
  info(): Promise<EngineInfo | null> {
    // Not reported to listeners: the panel polls info() and must keep showing the shopper's last call.
    return this.call('info', (aisle) => aisle.info() as Promise<EngineInfo>, false);
  }

  /** Returns the reasons that raised an item for this shopper, strongest first, or null when unavailable. */
  async explain(itemId: string): Promise<string[] | null> {
    // Not reported to listeners: hovering a card must not replace the shopper's last call in the panel.
    const explanation = await this.call('explain', (aisle) => aisle.explain(itemId), false);
    return explanation ? explanation.reasons.map((reason) => reason.text) : null;
  }

  /** Returns latency percentiles, cache hits, degraded counts and live event counters, or null. */
  stats(): Promise<EngineStats | null> {
    // Not reported to listeners, like info(): the panel polls it.
    return this.call('stats', (aisle) => aisle.stats() as Promise<EngineStats>, false);
  }

  /** Returns the device's experiment variants; no assignments when the SDK did not start. */
  async experiments(): Promise<ExperimentsView> {
    // Not reported to listeners: it is read once per page, not a shopper's action.
    return (await this.call('experiments', (aisle) => aisle.experiments(), false)) ?? { deviceId: null, assignments: [] };
  }

  /** Records which items of `container` the shopper saw, or returns null when the SDK did not start or the browser cannot measure it. */
  observeExposure(container: Element, options: ExposureOptions): ExposureTracker | null {
    if (!this.aisle) return null;
    try {
      return this.aisle.observeExposure(container, options);
    } catch {
      // A browser without IntersectionObserver: the row still works, with no impressions.
      return null;
    }
  }

  /** Erases everything the engine stored on this device; returns false when that failed. */
  async forget(): Promise<boolean> {
    const outcome = await this.call('forget', async (aisle) => {
      await aisle.forget();
      return {};
    });
    return outcome !== null;
  }

  /** Returns why the latest call named `name` (such as 'search') failed, or undefined after a success. */
  lastFailure(name: string): DegradedNote | undefined {
    return this.failures.get(name) ?? this.startFailure;
  }

  private async call<T extends object>(name: string, run: (aisle: Aisle) => Promise<T>, report = true): Promise<T | null> {
    const emit = (record: CallRecord): void => {
      if (report) this.emit(record);
    };
    if (!this.aisle) {
      emit({ name, roundTripMs: 0, degraded: this.startFailure });
      return null;
    }
    const started = performance.now();
    try {
      const result = await run(this.aisle);
      const timing = result as { tookMs?: number; degraded?: DegradedNote };
      this.failures.delete(name);
      emit({ name, tookMs: timing.tookMs, roundTripMs: performance.now() - started, degraded: timing.degraded });
      return result;
    } catch (error) {
      const note = describeError(error);
      this.failures.set(name, note);
      emit({ name, roundTripMs: performance.now() - started, degraded: note });
      return null;
    }
  }

  private emit(record: CallRecord): void {
    for (const listener of this.listeners) listener(record);
  }
}
