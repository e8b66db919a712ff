/**
 * The ranking ids of the lists that recommend() returned on this page, and when each list counts
 * as an experiment exposure (AisleOptions.experimentExposure). A page issues ranking ids only while
 * the device is in an experiment, so this module is part of experiment-runtime.ts, which is loaded
 * only then.
 */
import { deviceBucket } from '../core/experiments.js';
import { OUTCOME_EVENT_TYPES, type ExposureEvent } from '../core/live-events.js';
import type { OutcomeAttribution } from './attribution.js';
import type { ExperimentAssignment, ExperimentEnvironment, ExposureMode } from './experiments.js';

/** Maximum number of ranking ids a page keeps. The oldest go first. */
const MAX_RANKINGS = 200;

interface Ranking {
  issuedAt: number;
  /** Time the exposures were queued, or undefined while the list waits to be seen. */
  exposedAt?: number;
  /** True once observeExposure watches a list with this id. */
  observed: boolean;
}

/** Durations of ListExposures, in milliseconds (experiments.ts). */
export interface ExposureTimes {
  /** How long a ranking id stays live after its return or exposure (RANKING_TTL_MS). */
  ttlMs: number;
  /** Time an unwatched list waits in 'auto' mode before it counts (AUTO_EXPOSURE_GRACE_MS). */
  graceMs: number;
}

/** Issues ranking ids, decides when each list is exposed, and records exposures for attribution. */
export class ListExposures {
  // Ranking ids issued on this page, oldest first, to send exposures and tag outcomes.
  private readonly rankings = new Map<string, Ranking>();

  constructor(
    /** Exposed lists and clicked items, kept across pages for outcome attribution. */
    readonly attribution: OutcomeAttribution,
    private readonly mode: ExposureMode,
    private readonly env: Pick<ExperimentEnvironment, 'randomId' | 'now'>,
    private readonly times: ExposureTimes,
    /** Returns the assignments whose variant the device applies, which each exposure names. */
    private readonly applied: () => readonly ExperimentAssignment[],
    /** Returns the anonymous device id, whose bucket each exposure carries. */
    private readonly deviceId: () => string,
  ) {}

  /**
   * Issues a ranking id for a list that recommend() returned. In 'returned' mode the list's
   * exposure events come with it. In 'seen' and 'auto' mode `exposures` is empty: on() returns them
   * once the list is seen, and in 'auto' mode due() too once the grace period passed unwatched.
   */
  issue(): { rankingId: string; exposures: ExposureEvent[] } {
    const rankingId = this.env.randomId();
    const time = this.env.now();
    const ranking: Ranking = { issuedAt: time, observed: false };
    this.rankings.set(rankingId, ranking);
    if (this.rankings.size > MAX_RANKINGS) this.rankings.delete(this.rankings.keys().next().value as string);
    if (this.mode !== 'returned') return { rankingId, exposures: [] };
    return { rankingId, exposures: this.markExposed(rankingId, ranking, time) };
  }

  /** Marks `listId`, when it is a live ranking id, as a list that observeExposure watches. */
  observe(listId: string): void {
    const ranking = this.live(listId);
    if (ranking) ranking.observed = true;
  }

  /**
   * Returns the exposure events that a tracked event triggers, at most once per list, or [].
   * In 'seen' mode: the first impression whose listId is a pending ranking id, or the first click,
   * add_to_cart or purchase on a pending list that observeExposure watches (a shopper can click
   * an item before it has been visible for minVisibleMs). In 'auto' mode an outcome on a pending
   * list that is not watched triggers them too, dated when recommend() returned the list, because
   * that list counts on return anyway and its exposure must reach the companion before the outcome.
   */
  on(type: unknown, listId: unknown): ExposureEvent[] {
    if (this.mode === 'returned' || typeof listId !== 'string') return [];
    const ranking = this.live(listId);
    if (!ranking || ranking.exposedAt !== undefined) return [];
    const outcome = typeof type === 'string' && OUTCOME_EVENT_TYPES.has(type);
    const triggers = type === 'impression' || (outcome && (ranking.observed || this.mode === 'auto'));
    if (!triggers) return [];
    const time = this.mode === 'auto' && !ranking.observed ? ranking.issuedAt : this.env.now();
    return this.markExposed(listId, ranking, time);
  }

  /**
   * Returns the exposure events of the lists that count on return in 'auto' mode. Those are the
   * pending lists that observeExposure does not watch and that recommend() returned at least
   * `graceMs` ago, or all of them when `all` is set (the page is being hidden). Each is dated when
   * recommend() returned it. Returns [] in the other modes.
   */
  due(all: boolean): ExposureEvent[] {
    if (this.mode !== 'auto') return [];
    const now = this.env.now();
    const events: ExposureEvent[] = [];
    for (const [rankingId, ranking] of this.rankings) {
      if (ranking.exposedAt !== undefined || ranking.observed) continue;
      if (!all && now - ranking.issuedAt < this.times.graceMs) continue;
      if (!this.live(rankingId)) continue;
      events.push(...this.markExposed(rankingId, ranking, ranking.issuedAt));
    }
    return events;
  }

  /** Clears the ranking ids of this page and the attribution state, for forget(). */
  clear(): void {
    this.rankings.clear();
    this.attribution.clear();
  }

  private markExposed(rankingId: string, ranking: Ranking, time: number): ExposureEvent[] {
    ranking.exposedAt = time;
    this.attribution.exposed(rankingId, time);
    const bucket = deviceBucket(this.deviceId());
    return this.applied().map(({ experiment, variant }) => ({ type: 'exposure' as const, ranking: rankingId, experiment, variant, time, bucket }));
  }

  // Returns the ranking, exposed or pending, when its id was issued or exposed within the TTL.
  private live(listId: string): Ranking | undefined {
    const ranking = this.rankings.get(listId);
    if (!ranking) return undefined;
    return this.env.now() - (ranking.exposedAt ?? ranking.issuedAt) <= this.times.ttlMs ? ranking : undefined;
  }
}
