/**
 * The live-signal part of the companion's state: the event path (check, then the EventSink), the
 * CounterStore it feeds, the ingest counters for /metrics, and the cold-start list that puts
 * trending items ahead of the training data's popularity.
 */
import type { Experiment } from '../../core/experiments.js';
import type { LiveEventsResponse, LiveRejectReason } from '../../core/live-events.js';
import { OUTCOME_TYPES, OutcomeStore, type OutcomeType } from '../experiments/outcomes.js';
import type { Catalog } from '../catalog.js';
import type { CounterStore } from './counter-store.js';
import { DecayedCounterStore, type LiveCounterOptions } from './decayed-counters.js';
import { type EventSink, InProcessEventSink } from './event-sink.js';
import { checkLiveEvents } from './ingest.js';

/** Options of the live signals of createServer. */
export interface LiveOptions extends LiveCounterOptions {
  /** Milliseconds between flushes of the in-process sink, which bound how stale signals are. Default 1000. */
  flushIntervalMs?: number;
  /** Oldest accepted event age in milliseconds; older events are rejected as too_old. Default 24 h. */
  maxEventAgeMs?: number;
  /** Clock in milliseconds since the Unix epoch. Default Date.now. */
  now?: () => number;
  /** Runs the in-process sink's flush timer. Default true; tests turn it off and flush by hand. */
  timer?: boolean;
  /**
   * Replaces the in-process counters, for example by a store that reads counters computed by a
   * stream processor. Give `sink` too, because events must then go to that processor.
   */
  store?: CounterStore;
  /** Replaces the in-process sink, for example by a Kafka producer. */
  sink?: EventSink;
  /** Experiments whose exposures and outcomes are counted. Default none. */
  experiments?: Experiment[];
  /** Milliseconds after an exposure in which its outcomes count. Default 30 minutes. */
  outcomeWindowMs?: number;
}

/** Counters of POST /v1/events since start-up. */
export interface IngestStats {
  batches: number;
  accepted: number;
  rejected: Partial<Record<LiveRejectReason, number>>;
  /** Experiment exposures counted. */
  exposures: number;
  /** Outcomes counted for an open exposure. */
  outcomes: number;
  /** Events with a ranking id of no open exposure (unknown, or older than the outcome window). */
  unmatchedOutcomes: number;
}

/** Live counters, the event path and the cold-start list of one companion. */
export class LiveState {
  readonly store: CounterStore;
  readonly sink: EventSink;
  readonly now: () => number;
  readonly maxEventAgeMs: number;
  private readonly catalog: Catalog;
  private readonly counters: IngestStats = { batches: 0, accepted: 0, rejected: {}, exposures: 0, outcomes: 0, unmatchedOutcomes: 0 };
  readonly outcomes: OutcomeStore;
  /** Experiments served at GET /v1/experiments. */
  readonly experiments: readonly Experiment[];

  constructor(catalog: Catalog, options: LiveOptions = {}, onError?: (error: unknown) => void) {
    this.catalog = catalog;
    this.now = options.now ?? Date.now;
    this.maxEventAgeMs = options.maxEventAgeMs ?? 24 * 3_600_000;
    const counterCatalog = { get size() { return catalog.size; }, idAt: (index: number) => catalog.items[index].id, indexOf: (id: string) => catalog.indexOf(id) };
    this.store = options.store ?? new DecayedCounterStore(counterCatalog, options);
    this.experiments = options.experiments ?? [];
    this.outcomes = new OutcomeStore(this.experiments, options.outcomeWindowMs);
    this.sink = options.sink ?? new InProcessEventSink(this.store, { flushIntervalMs: options.flushIntervalMs, now: this.now, timer: options.timer, onError });
    // The first snapshot, so signals carry the start-up time rather than 0 until the first flush.
    const refreshed = this.store.refresh(this.now());
    if (refreshed instanceof Promise) refreshed.catch((error: unknown) => onError?.(error));
  }

  /** A copy of the ingest counters. */
  get stats(): IngestStats {
    return { ...this.counters, rejected: { ...this.counters.rejected } };
  }

  /**
   * Checks a batch of raw events, sends the accepted ones to the sink, counts experiment exposures
   * and outcomes, and counts the rest per rejection reason.
   */
  async ingest(events: readonly unknown[]): Promise<LiveEventsResponse> {
    const now = this.now();
    const { accepted, exposures, outcomes, rejected } = checkLiveEvents(events, { hasItem: (id) => this.catalog.indexOf(id) !== undefined, now, maxAgeMs: this.maxEventAgeMs });
    this.countExperiments(exposures, outcomes, rejected, now);
    const count = accepted.length + exposures.length - (rejected.unknown_experiment ?? 0) - (rejected.unknown_variant ?? 0) - (rejected.repeated_exposure ?? 0);
    if (accepted.length > 0) await this.sink.send(accepted);

    this.counters.batches += 1;
    this.counters.accepted += count;
    let rejectedTotal = 0;
    for (const [reason, n] of Object.entries(rejected) as Array<[LiveRejectReason, number]>) {
      this.counters.rejected[reason] = (this.counters.rejected[reason] ?? 0) + n;
      rejectedTotal += n;
    }
    return { accepted: count, rejected: rejectedTotal, reasons: rejected };
  }

  // Exposures come before outcomes, so a click sent in the same batch as its exposure counts.
  private countExperiments(exposures: ReturnType<typeof checkLiveEvents>['exposures'], outcomes: ReturnType<typeof checkLiveEvents>['outcomes'], rejected: Partial<Record<LiveRejectReason, number>>, now: number): void {
    this.outcomes.sweep(now);
    for (const exposure of exposures) {
      const reason = this.outcomes.expose(exposure.experiment, exposure.variant, exposure.ranking, exposure.time, exposure.bucket);
      if (reason === 'unknown_experiment' || reason === 'unknown_variant' || reason === 'repeated_exposure') rejected[reason] = (rejected[reason] ?? 0) + 1;
      else this.counters.exposures += 1;
    }
    for (const outcome of outcomes) {
      if (!(OUTCOME_TYPES as readonly string[]).includes(outcome.type)) continue;
      if (this.outcomes.outcome(outcome.ranking, outcome.type as OutcomeType, outcome.time) === undefined) this.counters.outcomes += 1;
      else this.counters.unmatchedOutcomes += 1;
    }
  }

  /**
   * Returns the cold-start list as indices of `catalog` (default: the counters' own), best first:
   * trending items of the current snapshot, then the most popular items of the training data,
   * skipping excluded ids, repeats and trending ids that `catalog` lacks. An extra model set
   * passes its own catalog (model-sets.ts).
   */
  coldStart(k: number, excluded?: ReadonlySet<string>, catalog: Catalog = this.catalog): number[] {
    const result: number[] = [];
    const inList = new Set<number>();
    for (const entry of this.store.trending(k + (excluded?.size ?? 0))) {
      if (result.length >= k) return result;
      const index = catalog.indexOf(entry.itemId);
      if (index === undefined || excluded?.has(entry.itemId)) continue;
      result.push(index);
      inList.add(index);
    }
    for (const index of catalog.byPopularity) {
      if (result.length >= k) break;
      if (inList.has(index) || excluded?.has(catalog.items[index].id)) continue;
      result.push(index);
    }
    return result;
  }

  /** Delivers buffered events and stops the sink's timer. */
  close(): Promise<void> {
    return this.sink.close();
  }
}
