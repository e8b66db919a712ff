/**
 * Prometheus metrics of the companion (prom-client), served at GET /metrics in the text
 * exposition format. Each app has its own Registry, so two companions in one process (tests,
 * benchmarks) never share counters. Request latency is observed in an onResponse hook. ANN search
 * is observed per FAISS call, so one batched call counts once with its batch size. Cache, index
 * and live-event figures are read from the state's own counters when Prometheus scrapes.
 */
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { LIVE_REJECT_REASONS } from '../core/live-events.js';
import type { ServerState } from './state.js';

/** Options of the companion's metrics. */
export interface MetricsOptions {
  /** Also export prom-client's process metrics (CPU, memory, event loop lag, GC). Default true. */
  processMetrics?: boolean;
}

// Seconds. Most companion requests finish well under 10 ms, so the low buckets are fine.
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
// The batcher's default maxBatch is 64; larger custom batches land in +Inf.
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64];

/**
 * Registers a counter that mirrors a cumulative value read at scrape time. prom-client counters only go up
 * through inc(), so each scrape adds the growth since the previous one.
 */
function mirroredCounter(registry: Registry, name: string, help: string, labelNames: string[], read: () => Array<[Record<string, string>, number]>): void {
  const last = new Map<string, number>();
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      for (const [labels, value] of read()) {
        const key = JSON.stringify(labels);
        const growth = value - (last.get(key) ?? 0);
        if (growth > 0) this.inc(labels, growth);
        else if (!last.has(key)) this.inc(labels, 0);
        last.set(key, value);
      }
    },
  });
}

/** The metrics of one companion app. */
export class CompanionMetrics {
  readonly registry = new Registry();
  private readonly requestSeconds: Histogram<'method' | 'route' | 'status_code'>;
  private readonly annSeconds: Histogram;
  private readonly annBatchSize: Histogram;

  constructor(options: MetricsOptions = {}) {
    const registers = [this.registry];
    this.requestSeconds = new Histogram({
      name: 'aisle_http_request_duration_seconds',
      help: 'Time from receiving a request to sending its response, per route.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.annSeconds = new Histogram({ name: 'aisle_ann_search_duration_seconds', help: 'Duration of one FAISS search call, batched or not.', buckets: LATENCY_BUCKETS, registers });
    this.annBatchSize = new Histogram({ name: 'aisle_ann_batch_size', help: 'Queries in one FAISS search call.', buckets: BATCH_BUCKETS, registers });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Observer for AnnOptions.onSearch. */
  readonly observeAnnSearch = (queries: number, seconds: number): void => {
    this.annSeconds.observe(seconds);
    this.annBatchSize.observe(queries);
  };

  /**
   * Registers the metrics read from the loaded state: caches, index, catalog and live events.
   * `extraSets` returns the states of the extra model sets, whose indexes are reported too.
   */
  attach(current: () => ServerState, extraSets: () => ServerState[] = () => []): void {
    const registers = [this.registry];
    const caches = (): Array<[string, { hits: number; misses: number }]> => {
      const ann = current().ann.stats.cache;
      return [['ann_result', ann ?? { hits: 0, misses: 0 }], ['item_json', current().itemJson.stats]];
    };
    mirroredCounter(this.registry, 'aisle_cache_hits_total', 'Lookups that found an entry, per cache.', ['cache'], () => caches().map(([cache, stats]) => [{ cache }, stats.hits]));
    mirroredCounter(this.registry, 'aisle_cache_misses_total', 'Lookups that found no entry, per cache.', ['cache'], () => caches().map(([cache, stats]) => [{ cache }, stats.misses]));
    new Gauge({
      name: 'aisle_cache_hit_ratio',
      help: 'Hits over lookups since start-up, per cache; 0 before the first lookup.',
      labelNames: ['cache'],
      registers,
      collect() {
        for (const [cache, { hits, misses }] of caches()) this.set({ cache }, hits + misses > 0 ? hits / (hits + misses) : 0);
      },
    });

    new Gauge({
      name: 'aisle_index_vectors',
      help: 'Vectors in the FAISS index (ntotal) of each served model set, labelled with the index type and the model set version.',
      labelNames: ['type', 'version'],
      registers,
      collect() {
        // Reset, so the version a reload replaced stops being reported.
        this.reset();
        for (const { ann, manifest } of [current(), ...extraSets()]) this.set({ type: ann.type, version: manifest.version }, ann.ntotal);
      },
    });
    new Gauge({ name: 'aisle_catalog_items', help: 'Items in the catalog.', registers, collect() {
      this.set(current().catalog.size);
    } });

    mirroredCounter(this.registry, 'aisle_live_events_accepted_total', 'Events of POST /v1/events sent to the live counters.', [], () => [[{}, current().live.stats.accepted]]);
    // Every reason is exported from the start, at 0, so a dashboard rate() includes the first rejection.
    mirroredCounter(this.registry, 'aisle_live_events_rejected_total', 'Events of POST /v1/events dropped, per reason.', ['reason'], () => {
      const rejected = current().live.stats.rejected;
      return LIVE_REJECT_REASONS.map((reason) => [{ reason }, rejected[reason] ?? 0]);
    });
    mirroredCounter(this.registry, 'aisle_live_batches_total', 'POST /v1/events bodies that passed the schema.', [], () => [[{}, current().live.stats.batches]]);
    mirroredCounter(this.registry, 'aisle_experiment_exposures_total', 'Experiment exposures counted.', [], () => [[{}, current().live.stats.exposures]]);
    mirroredCounter(this.registry, 'aisle_experiment_outcomes_total', 'Events with a ranking id: matched to an open exposure or not (unknown, or past the outcome window).', ['matched'], () => [
      [{ matched: 'true' }, current().live.stats.outcomes],
      [{ matched: 'false' }, current().live.stats.unmatchedOutcomes],
    ]);
  }

  /** Adds the latency hook and GET /metrics to an app. */
  install(app: FastifyInstance): void {
    app.addHook('onResponse', async (request, reply) => {
      // Unmatched URLs share one label, so scanners cannot create a series per path.
      const route = request.routeOptions.url ?? 'unmatched';
      this.requestSeconds.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000);
    });
    app.get('/metrics', async (_request, reply) => {
      void reply.type(this.registry.contentType);
      return this.registry.metrics();
    });
  }
}
