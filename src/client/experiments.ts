/**
 * Experiments on the page: the definitions come from the companion (GET /v1/experiments), and the
 * device assigns itself a variant of each from a random anonymous device id and the experiment's
 * salt (core/experiments.ts). The device id is a random UUID kept in localStorage when storage is
 * 'indexeddb', so the assignment survives reloads. It is never sent anywhere: only the experiment
 * and variant names and a random ranking id per recommendation list leave the device, with the
 * live events. forget() replaces the device id.
 */
import { assignVariant, parseExperiments, type VariantChanges } from '../core/experiments.js';
import type { ExposureEvent } from '../core/live-events.js';
import type { FusionWeights, SearchFusion } from '../core/types.js';

/** The variant of one experiment that this device is in. */
export interface ExperimentAssignment {
  experiment: string;
  variant: string;
  /**
   * Settings the variant changes. recommend() applies `ranker` and `liveWeight`, and search()
   * applies `fusion`, unless the call sets them itself.
   * NOTE: `modelVersion` is only reported here for the store to apply, because the SDK has no
   * setting for it yet.
   */
  changes: VariantChanges;
}

/** Result of experiments(). */
export interface ExperimentsView {
  /** The anonymous device id the assignments are computed from, or null before it exists. */
  deviceId: string | null;
  assignments: ExperimentAssignment[];
  /** Reason the definitions failed to load, when they did. */
  error?: string;
}

/** How long a ranking id matches outcomes, in milliseconds: the companion's default outcome window. */
export const RANKING_TTL_MS = 30 * 60_000;
const MAX_RANKINGS = 200;

/** Browser APIs of ExperimentClient; tests pass their own. */
export interface ExperimentEnvironment {
  fetch: typeof fetch;
  /** Persistent storage of the device id, or undefined to keep it in memory. */
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  randomId: () => string;
  now: () => number;
}

/** Loads the definitions, keeps the device id and the assignments, and issues ranking ids. */
/** Maximum time createAisle() waits for GET /v1/experiments, in milliseconds. */
export const EXPERIMENTS_LOAD_MS = 2000;

export class ExperimentClient {
  private deviceId: string | null = null;
  private assigned: ExperimentAssignment[] = [];
  private error: string | undefined;
  // Ranking ids issued on this page with their time, oldest first, to tag outcomes.
  private readonly rankings = new Map<string, number>();
  private readonly storageKey: string;

  constructor(
    private readonly endpoint: string,
    dbName: string,
    private readonly env: ExperimentEnvironment,
  ) {
    this.storageKey = `aisle:${dbName}:experiment-device`;
  }

  /** Fetches the definitions and assigns this device; a failure leaves it in no experiment. */
  async load(timeoutMs: number): Promise<void> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    try {
      const response = await this.env.fetch(`${this.endpoint}/v1/experiments`, { signal: controller.signal });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const body = (await response.json()) as { experiments?: unknown };
      const experiments = parseExperiments(body.experiments, 'GET /v1/experiments');
      const deviceId = this.ensureDeviceId();
      this.assigned = experiments.map((experiment) => {
        const variant = assignVariant(experiment, deviceId);
        return { experiment: experiment.name, variant: variant.name, changes: variant.changes };
      });
      this.error = undefined;
    } catch (error) {
      this.assigned = [];
      this.error = `Loading experiments from ${this.endpoint}/v1/experiments failed: ${error instanceof Error ? error.message : String(error)}.`;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Returns a copy of the device id, the assignments and the load error. */
  view(): ExperimentsView {
    const view: ExperimentsView = { deviceId: this.deviceId, assignments: this.assigned.map((entry) => ({ ...entry, changes: structuredClone(entry.changes) })) };
    if (this.error) view.error = this.error;
    return view;
  }

  /** Returns the recommend() settings of the assigned variants; the caller's own options win. */
  recommendDefaults(): { ranker?: boolean; liveWeight?: number } {
    const defaults: { ranker?: boolean; liveWeight?: number } = {};
    for (const { changes } of this.assigned) {
      if (changes.ranker !== undefined) defaults.ranker = changes.ranker;
      if (changes.liveWeight !== undefined) defaults.liveWeight = changes.liveWeight;
    }
    return defaults;
  }

  /**
   * Returns the search() fusion of the assigned variants as the POST /v1/search fields, or an empty
   * object when no variant changes it. With several experiments, the last one that sets it wins.
   */
  searchDefaults(): { fusion?: SearchFusion; weights?: FusionWeights } {
    let defaults: { fusion?: SearchFusion; weights?: FusionWeights } = {};
    for (const { changes } of this.assigned) {
      const fusion = changes.fusion;
      if (!fusion) continue;
      defaults = { fusion: fusion.method };
      if (fusion.bm25 !== undefined && fusion.vector !== undefined) defaults.weights = { bm25: fusion.bm25, vector: fusion.vector };
    }
    return defaults;
  }

  /** Issues a ranking id and its exposure events, or returns null when the device is in no experiment. */
  expose(): { rankingId: string; exposures: ExposureEvent[] } | null {
    if (this.assigned.length === 0) return null;
    const rankingId = this.env.randomId();
    const time = this.env.now();
    this.rankings.set(rankingId, time);
    if (this.rankings.size > MAX_RANKINGS) this.rankings.delete(this.rankings.keys().next().value as string);
    const exposures = this.assigned.map(({ experiment, variant }) => ({ type: 'exposure' as const, ranking: rankingId, experiment, variant, time }));
    return { rankingId, exposures };
  }

  /** Returns `listId` when it is a ranking id this page issued within RANKING_TTL_MS, else undefined. */
  rankingOf(listId: string | undefined): string | undefined {
    if (listId === undefined) return undefined;
    const issued = this.rankings.get(listId);
    return issued !== undefined && this.env.now() - issued <= RANKING_TTL_MS ? listId : undefined;
  }

  /** Replaces the device id and reassigns, after forget(). */
  async reset(timeoutMs: number): Promise<void> {
    this.rankings.clear();
    try {
      this.env.storage?.removeItem(this.storageKey);
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
