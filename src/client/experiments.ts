/**
 * Experiments on the page: the definitions come from the companion (GET /v1/experiments), and the
 * device assigns itself a variant of each from a random anonymous device id and the experiment's
 * salt (core/experiments.ts). The device id is a random UUID kept in localStorage when storage is
 * 'indexeddb', so the assignment survives reloads. It is never sent anywhere: only the experiment
 * and variant names and a random ranking id per recommendation list leave the device, with the
 * live events. forget() replaces the device id and erases the exposed ranking ids and clicked
 * items kept for outcome attribution (attribution.ts).
 *
 * The rest is in a lazily loaded chunk (experiment-runtime.ts): the checks of the definitions,
 * the assignment, the model set the variants pick, the exposures of the lists (list-exposures.ts)
 * and the attribution. It loads only when the companion lists experiments or the device keeps
 * lists exposed on an earlier page. The pages of a store that runs no experiment never download
 * it, and their worker starts on the default model set.
 */
import type { VariantChanges } from '../core/experiments.js';
import type { ExposureEvent } from '../core/live-events.js';
import type { Degraded, FusionWeights, SearchFusion } from '../core/types.js';
import type { ListExposures } from './list-exposures.js';

/** The variant of one experiment that this device is in. */
export interface ExperimentAssignment {
  experiment: string;
  variant: string;
  /**
   * Settings the variant changes. recommend() applies `ranker` and `liveWeight`, and search()
   * applies `fusion`, unless the call sets them itself. `modelVersion` picks the model set the
   * worker loads when the page starts: one of the versions the companion serves (its default set,
   * or an extra set under /versions/<version>).
   */
  changes: VariantChanges;
  /**
   * Set when the device cannot apply the variant (AISLE_MODEL_VERSION_UNAVAILABLE): the companion
   * does not serve its `modelVersion`, or the page runs another model set (one set per page).
   * The device then behaves as without the experiment and sends no exposures for it, so the
   * variant's counts contain only devices that ran it. info() lists the same reason in `degraded`.
   */
  degraded?: Degraded;
}

/** Result of experiments(). */
export interface ExperimentsView {
  /** The anonymous device id the assignments are computed from, or null before it exists. */
  deviceId: string | null;
  assignments: ExperimentAssignment[];
  /** Reason the definitions failed to load, when they did. */
  error?: string;
}

/**
 * How long a ranking id matches outcomes after its exposure, in milliseconds: the companion's
 * default outcome window. A list that is never seen stays pending this long after recommend().
 */
export const RANKING_TTL_MS = 30 * 60_000;

/**
 * When a list that recommend() returned counts as an experiment exposure (see
 * AisleOptions.experimentExposure): 'auto' when seen if the page watches it, else on return,
 * 'seen' when the shopper saw it, 'returned' as soon as recommend() returns it.
 */
export type ExposureMode = 'auto' | 'seen' | 'returned';

/**
 * Milliseconds a page has in 'auto' mode to start watching a returned list with observeExposure.
 * A list it does not watch by then, or by the time the page is hidden, counts as exposed when
 * recommend() returned it.
 */
export const AUTO_EXPOSURE_GRACE_MS = 2000;

/** Browser APIs of ExperimentClient; tests pass their own. */
export interface ExperimentEnvironment {
  fetch: typeof fetch;
  /** Persistent storage of the device id, or undefined to keep it in memory. */
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  randomId: () => string;
  now: () => number;
}

/** Maximum time createAisle() waits for GET /v1/experiments, in milliseconds. */
export const EXPERIMENTS_LOAD_MS = 2000;

/** Body of GET /v1/experiments as the SDK reads it; companions before model sets send no `modelVersions`. */
export interface ExperimentsBody {
  experiments?: unknown;
  modelVersion?: unknown;
  modelVersions?: unknown;
}

/** Model set a page runs: null for the companion's default set, else the version of an extra set. */
export type ModelSetChoice = { version: string | null; experiment?: string };

/** Returns the companion base URL of the extra model set `version` (server/model-sets.ts). */
export function modelSetEndpoint(endpoint: string, version: string): string {
  return `${endpoint}/versions/${encodeURIComponent(version)}`;
}

/** Loads the definitions, keeps the device id and the assignments, and issues ranking ids. */
export class ExperimentClient {
  private deviceId: string | null = null;
  private assigned: ExperimentAssignment[] = [];
  private error: string | undefined;
  /** Reason of a definitions load that timed out, reported by issues(). */
  private loadIssue: Degraded | undefined;
  /**
   * Model set of this page, fixed by the first load(), because the worker loads its models once.
   * Undefined before that load.
   */
  private modelSet: ModelSetChoice | undefined;
  private readonly storageKey: string;
  private readonly outcomesKey: string;
  /**
   * Ranking ids of this page and the outcome attribution, created when experiment-runtime.ts is
   * loaded. Until then this page exposed no list.
   */
  private exposures?: ListExposures;
  /** The module experiment-runtime.ts, once loaded. A device with an applied variant has loaded it. */
  private runtimeModule?: typeof import('./experiment-runtime.js');

  constructor(
    private readonly endpoint: string,
    dbName: string,
    private readonly env: ExperimentEnvironment,
    private readonly mode: ExposureMode = 'auto',
  ) {
    this.storageKey = `aisle:${dbName}:experiment-device`;
    this.outcomesKey = `aisle:${dbName}:experiment-outcomes`;
  }

  /**
   * Fetches the definitions and assigns this device; a failure leaves it in no experiment. The
   * first call also fixes the page's model set (modelSetVersion()): the version of the first
   * variant that requests a served one, else the default set.
   */
  async load(timeoutMs: number): Promise<void> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    this.loadIssue = undefined;
    // Lists exposed on an earlier page keep their outcome window, also when this page lists no
    // experiment or cannot load the definitions, so a device that keeps some loads the attribution.
    const earlier = this.exposures === undefined && this.keepsOutcomes() ? this.runtime(controller.signal).catch(() => undefined) : undefined;
    try {
      const response = await this.env.fetch(`${this.endpoint}/v1/experiments`, { signal: controller.signal });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body = (await response.json()) as ExperimentsBody;
      if (Array.isArray(body.experiments) && body.experiments.length === 0) {
        // No experiment to check or assign, so the page keeps the default model set (or the one
        // an earlier load fixed) without loading experiment-runtime.ts, and no device id is made.
        this.assigned = [];
      } else {
        const { assignExperiments } = await this.runtime(controller.signal);
        ({ assigned: this.assigned, modelSet: this.modelSet } = assignExperiments(body, () => this.ensureDeviceId(), this.modelSet));
      }
      this.error = undefined;
    } catch (error) {
      this.assigned = [];
      this.error = `Loading experiments from ${this.endpoint}/v1/experiments failed: ${error instanceof Error ? error.message : String(error)}.`;
      if (controller.signal.aborted) {
        this.loadIssue = { code: 'AISLE_TIMEOUT', reason: `GET /v1/experiments did not respond within ${timeoutMs} ms, so this page runs the default model set and takes part in no experiment.` };
      }
    } finally {
      // Also within the time budget, so outcomes tracked after createAisle() are attributed.
      await earlier;
      clearTimeout(timer);
      this.modelSet ??= { version: null };
    }
  }

  /**
   * Returns the version of the extra model set this page runs, or null for the companion's
   * default set. Fixed by the first load().
   */
  modelSetVersion(): string | null {
    return this.modelSet?.version ?? null;
  }

  /** Loads experiment-runtime.ts within the time left of `signal`, and creates the exposures and their attribution. */
  private async runtime(signal: AbortSignal): Promise<typeof import('./experiment-runtime.js')> {
    const runtime = await beforeAbort(import('./experiment-runtime.js'), signal);
    this.runtimeModule = runtime;
    if (!this.exposures) {
      const attribution = new runtime.OutcomeAttribution(this.env.storage, this.outcomesKey, RANKING_TTL_MS, this.env.now);
      this.exposures = new runtime.ListExposures(attribution, this.mode, this.env, { ttlMs: RANKING_TTL_MS, graceMs: AUTO_EXPOSURE_GRACE_MS }, () => this.applied(), () => this.ensureDeviceId());
    }
    return runtime;
  }

  // Returns whether the device stores exposed lists or clicks for attribution. A storage that
  // throws keeps nothing.
  private keepsOutcomes(): boolean {
    try {
      return (this.env.storage?.getItem(this.outcomesKey) ?? null) !== null;
    } catch {
      return false;
    }
  }

  /** Returns a copy of the device id, the assignments and the load error. */
  view(): ExperimentsView {
    const view: ExperimentsView = { deviceId: this.deviceId, assignments: this.assigned.map((entry) => structuredClone(entry)) };
    if (this.error) view.error = this.error;
    return view;
  }

  /** Returns the recommend() settings of the assigned variants; the caller's own options win. */
  recommendDefaults(): { ranker?: boolean; liveWeight?: number } {
    return this.runtimeModule?.recommendDefaults(this.applied()) ?? {};
  }

  /**
   * Returns the search() fusion of the assigned variants as the POST /v1/search fields, or an empty
   * object when no variant changes it. With several experiments, the last one that sets it wins.
   */
  searchDefaults(): { fusion?: SearchFusion; weights?: FusionWeights } {
    return this.runtimeModule?.searchDefaults(this.applied()) ?? {};
  }

  /**
   * Issues a ranking id for a list that recommend() returned, or returns null when the device is
   * in no experiment. In 'returned' mode the list's exposure events come with it. In 'seen' and
   * 'auto' mode `exposures` is empty: exposuresOn() returns them once the list is seen, and in
   * 'auto' mode dueExposures() too once the grace period passed without observeExposure.
   */
  expose(): { rankingId: string; exposures: ExposureEvent[] } | null {
    // A device with an applied variant has loaded experiment-runtime.ts, so `exposures` is set.
    return this.applied().length === 0 ? null : (this.exposures?.issue() ?? null);
  }

  /** Marks `listId`, when it is a live ranking id, as a list that observeExposure watches. */
  observe(listId: string): void {
    this.exposures?.observe(listId);
  }

  /** Returns the exposure events that a tracked event triggers, at most once per list, or [] (ListExposures.on). */
  exposuresOn(type: unknown, listId: unknown): ExposureEvent[] {
    return this.exposures?.on(type, listId) ?? [];
  }

  /**
   * Returns the exposure events of the lists that count on return in 'auto' mode: those unwatched
   * for AUTO_EXPOSURE_GRACE_MS, or all unwatched ones when `all` is set (ListExposures.due).
   */
  dueExposures(all = false): ExposureEvent[] {
    return this.exposures?.due(all) ?? [];
  }

  /**
   * Returns `listId` when it is a ranking id whose exposure this device sent within
   * RANKING_TTL_MS, on this page or an earlier one, else undefined. Outcomes of a list that was
   * never exposed are not tagged, because the companion has no exposure to count them for.
   */
  rankingOf(listId: string | undefined): string | undefined {
    if (listId === undefined) return undefined;
    return this.exposures?.attribution.exposedAt(listId) !== undefined ? listId : undefined;
  }

  /**
   * Returns the ranking id that a tracked event counts for as an experiment outcome, or
   * undefined: its listId when that list was exposed within RANKING_TTL_MS, else for an
   * add_to_cart or purchase without one, the list of the item's last click (see attribution.ts).
   */
  outcomeRanking(type: string, itemId: string | undefined, listId: string | undefined): string | undefined {
    return this.exposures?.attribution.attribute(type, itemId, listId);
  }

  /** Returns the reasons of the variants this device cannot apply and of a timed-out load, for info(). */
  issues(): Degraded[] {
    const issues = this.assigned.flatMap((entry) => (entry.degraded ? [{ ...entry.degraded }] : []));
    return this.loadIssue ? [...issues, { ...this.loadIssue }] : issues;
  }

  // Assignments whose variant this device applies.
  private applied(): ExperimentAssignment[] {
    return this.assigned.filter((entry) => entry.degraded === undefined);
  }

  /** Replaces the device id and reassigns, after forget(). */
  async reset(timeoutMs: number): Promise<void> {
    this.exposures?.clear();
    try {
      this.env.storage?.removeItem(this.storageKey);
      // Kept by an earlier page even when this one has not loaded the attribution.
      this.env.storage?.removeItem(this.outcomesKey);
    } catch {
      // Storage that throws (private mode) keeps nothing, so there is nothing to remove.
    }
    this.deviceId = null;
    await this.load(timeoutMs);
  }

  private ensureDeviceId(): string {
    if (this.deviceId !== null) return this.deviceId;
    let stored: string | null = null;
    try {
      stored = this.env.storage?.getItem(this.storageKey) ?? null;
    } catch {
      stored = null;
    }
    this.deviceId = stored ?? this.env.randomId();
    if (stored === null) {
      try {
        this.env.storage?.setItem(this.storageKey, this.deviceId);
      } catch {
        // A full or blocked localStorage keeps the id for this page only; assignment still works.
      }
    }
    return this.deviceId;
  }
}

/** Settles as `pending` does, or rejects with the reason of `signal` when it aborts first. */
function beforeAbort<T>(pending: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) reject(signal.reason);
    signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    pending.then(resolve, reject);
  });
}
