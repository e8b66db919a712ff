/**
 * The personalization engine that runs in the worker. Pure TypeScript over injected fetch,
 * store and model runner, so Node tests drive it without a browser.
 *
 * Contract of every public method: invalid arguments reject with AISLE_INVALID_EVENT or
 * AISLE_INVALID_ARGUMENT; infrastructure failures (companion, models, storage) never reject:
 * the call resolves with a result that carries `degraded: { code, reason }`. After destroy() every call rejects
 * with AISLE_DESTROYED.
 */
import type { AisleInfo, ProfileView, RequestContext, ResolvedOptions, SearchOptions, TrackResult, RecommendOptions } from '../client/protocol.js';
import { covisitIds, mergeCandidates } from '../core/candidates.js';
import { AisleError, isAisleError } from '../core/errors.js';
import { validateEvent } from '../core/events.js';
import { buildTowerInput } from '../core/sequence.js';
import type { AisleEvent, AisleEventInput, Candidate, Degraded, ItemRecord, RankResult, SequenceEventType } from '../core/types.js';
import type { FetchLike } from '../runtime/fetch.js';
import type { EventStore, StoredProfile } from '../store/types.js';
import { blendLiveScores } from '../core/live-events.js';
import { checkFilter, checkFusion, checkItemIds, checkK, checkLiveWeight, checkTags, checkQuery, matchesFilter, MAX_RANK_ITEMS } from './arguments.js';
import { CompanionClient } from './companion.js';
import { withDeadline } from './deadline.js';
import { ItemCatalog } from './item-catalog.js';
import { ModelSet } from './model-set.js';
import type { RunnerFactory } from './models.js';
import { QueryVectors } from './query-vectors.js';
import { encodeVector } from '../core/vector.js';
import { CandidateRetriever } from './retrieval.js';
import { noneInCatalog, personalization, rankGiven, rankSearchHits, rankUnknown } from './reranking.js';
import { degradedFrom, retrievalOrderScores, scoreCandidates, topK } from './scoring.js';
import { HISTORY_LIMIT, isSequenceEvent, ShopperState } from './shopper.js';
import type { TabChannel, TabMessage } from './tab-channel.js';
import { isAdaptationState } from '../core/adaptation.js';
import type { Explanation } from '../core/explanation.js';
import type { AdaptationStep, SessionAdapter } from './adaptation/session-adapter.js';

/** Dependencies of the engine: the worker passes browser implementations, tests their own. */
export interface EngineDeps {
  fetch: FetchLike;
  store: EventStore;
  createRunner: RunnerFactory;
  /** Notices to and from the engines of other tabs on the same database. */
  channel?: TabChannel;
  now?: () => number;
  makeId?: () => string;
  /** Gradient step of the adaptation; default: TensorFlow.js, imported on first use. */
  adaptationStep?: AdaptationStep;
}

/** Imports TensorFlow.js only when the first update runs, so pages without adaptation never load it. */
const tensorflowStep: AdaptationStep = async (...args) => (await import('./adaptation/tf-trainer.js')).adaptationStep(...args);

/** The engine behind every SDK call. Create it with `Engine.create`. */
export class Engine {
  private readonly now: () => number;
  private readonly makeId: () => string;
  private readonly companion: CompanionClient;
  private readonly catalog: ItemCatalog;
  private readonly retriever: CandidateRetriever;
  // Replaced as a whole (never emptied in place) when another tab or forget() changes it, so a
  // call that took a reference keeps a consistent view until it returns.
  private state: ShopperState;

  private readonly models: ModelSet;
  private readonly queryVectors: QueryVectors;
  private storageIssue?: Degraded;
  /** Set while a user tower run that missed its deadline is pending; later runs would queue behind it. */
  private towerStalled?: Degraded;
  private companionIssue?: Degraded;
  private destroyed = false;
  /** Settles when the model set is loaded (ONNX Runtime included) or failed to load; never rejects. */
  readonly ready: Promise<void>;
  // Changes of the shopper state run one after another, and reads wait for them, so
  // track() followed by recommend() always reads the tracked event.
  private mutations: Promise<unknown> = Promise.resolve();
  private readonly adapter?: SessionAdapter;
  /** Candidates of recent rankings by item id, so explain() uses the sources they were ranked with. */
  private readonly rankedCandidates = new Map<string, Candidate>();

  private constructor(
    private readonly options: ResolvedOptions,
    private readonly deps: EngineDeps,
    adapterClass?: typeof SessionAdapter,
  ) {
    this.now = deps.now ?? (() => Date.now());
    this.makeId = deps.makeId ?? (() => globalThis.crypto.randomUUID());
    this.companion = new CompanionClient(options.endpoint, deps.fetch, () => options.timeoutMs);
    this.catalog = new ItemCatalog(this.companion);
    this.retriever = new CandidateRetriever(this.companion, deps.store, this.now);
    this.state = new ShopperState(this.now());
    this.models = new ModelSet({ manifestUrl: options.models, fetch: deps.fetch, store: deps.store, timeoutMs: options.timeoutMs, createRunner: deps.createRunner, coalesce: options.coalesce !== false, ranker: options.ranker ?? 'auto' });
    this.queryVectors = new QueryVectors({ manifestUrl: options.models, fetch: deps.fetch, store: deps.store, timeoutMs: options.timeoutMs });
    this.ready = this.models.ready.then(() => this.afterModelsLoaded());
    if (options.adaptation && adapterClass) this.adapter = new adapterClass(options.adaptation, deps.adaptationStep ?? tensorflowStep);
    deps.channel?.subscribe((message) => void this.serialize(() => this.onTabMessage(message)));
  }

  /** Creates an engine, restores the stored profile and starts loading the models in the background. */
  static async create(options: ResolvedOptions, deps: EngineDeps): Promise<Engine> {
    // Pages without adaptation never download its code.
    const adapterClass = options.adaptation ? (await import('./adaptation/session-adapter.js')).SessionAdapter : undefined;
    const engine = new Engine(options, deps, adapterClass);
    await engine.serialize(() => engine.restore());
    // The history's item records are fetched now rather than in the first call, while the
    // models load; a failure is retried by that call.
    void engine.serialize(() => engine.completeHistory());
    return engine;
  }

  /** Validates and stores an event, then updates the history and the user vector. */
  async track(input: AisleEventInput): Promise<TrackResult> {
    this.checkAlive();
    const event = validateEvent(input, this.now(), this.makeId);
    // The user tower runs on ONNX Runtime, so its loading cannot wait any longer.
    this.models.startOrt();
    return this.serialize(async () => {
      let degraded: Degraded | undefined;
      let stored = true;
      let counted: StoredProfile | undefined;
      try {
        // The count is written in the event's transaction, on top of the stored counts, so an
        // event is never stored without being counted, even when another tab wrote in between.
        stored = await this.deps.store.addEvent(event, (saved) => (counted = countEvent(saved ?? this.state.profile, event.type)));
      } catch (error) {
        // The event still counts for this session; it is only not kept on the device.
        degraded = this.noteStorageFailure(error);
        counted = countEvent(this.state.profile, event.type);
      }
      if (!stored) return { eventId: event.eventId, stored: false };

      if (counted) this.state.profile = { ...this.state.profile, counts: counted.counts };
      if (isSequenceEvent(event)) this.state.seen.add(event.itemId);
      if (isSequenceEvent(event)) degraded = (await this.extendHistory(event)) ?? degraded;
      if (this.adapter) degraded = (await this.adapt(event)) ?? degraded;
      degraded = (await this.saveProfile()) ?? degraded;
      this.deps.channel?.post({ type: 'tracked' });
      return degraded ? { eventId: event.eventId, stored: true, degraded } : { eventId: event.eventId, stored: true };
    });
  }

  /** Returns the top k items for the shopper, best first. */
  async recommend(options: RecommendOptions): Promise<RankResult> {
    this.checkAlive();
    const started = this.now();
    const k = checkK('recommend', options?.k);
    const exclude = checkItemIds('recommend', 'exclude', options.exclude ?? []);
    const filter = checkFilter('recommend', options.context?.filter);
    const liveWeight = checkLiveWeight(options.liveWeight);
    if (options.ranker !== undefined && typeof options.ranker !== 'boolean') {
      throw new AisleError('AISLE_INVALID_ARGUMENT', `recommend(): ranker must be true or false; got ${JSON.stringify(options.ranker)}.`);
    }
    await this.settled();
    const state = this.state;

    const { userVector, vectorVersion } = state.profile;
    // Both sources may need the companion, so their requests run at the same time.
    const [retrieved, itemsById] = await Promise.all([this.retriever.retrieve(userVector, vectorVersion, filter), this.catalog.get(covisitIds(state.history)).catch(() => new Map<string, ItemRecord>())]);
    this.catalog.remember([...retrieved.ann.map((hit) => hit.item), ...retrieved.popular]);
    this.noteCompanion(retrieved.degraded);

    const excluded = new Set(exclude);
    if (!options.includeSeen) for (const id of state.seen) excluded.add(id);
    const candidates = mergeCandidates(state.history, { ann: retrieved.ann, itemsById, popular: retrieved.popular }, { keepHistory: options.includeSeen === true, exclude: excluded }).filter((candidate) => matchesFilter(candidate.item, filter));

    const scored = options.ranker === false ? { scores: retrievalOrderScores(candidates.length) } : await this.score(candidates, state);
    const scores = liveWeight > 0 ? blendLiveScores(scored.scores, candidates.map((candidate) => candidate.item.live), liveWeight) : scored.scores;
    return this.result(topK(candidates, scores, k), started, retrieved.degraded ?? scored.degraded);
  }

  /** Reorders `items` for the shopper; the result contains the same ids. */
  async rank(items: string[], context?: RequestContext): Promise<RankResult> {
    this.checkAlive();
    const started = this.now();
    const ids = checkItemIds('rank', 'items', items, MAX_RANK_ITEMS);
    const filter = checkFilter('rank', context?.filter);
    if (ids.length === 0) return { items: [], tookMs: 0 };
    await this.settled();
    const state = this.state;

    let records;
    try {
      records = await this.catalog.get([...new Set(ids)]);
    } catch (error) {
      const degraded = degradedFrom(error, 'AISLE_COMPANION_UNREACHABLE');
      this.noteCompanion(degraded);
      return this.result(rankGiven(ids, new Map(), new Float64Array(0), [], filter), started, degraded);
    }
    if (ids.every((id) => !records.has(id))) return this.result(rankUnknown(ids), started, noneInCatalog(ids.length));
    const candidates: Candidate[] = ids.flatMap((id) => (records.has(id) ? [{ item: records.get(id)!, sources: ['given' as const] }] : []));
    const scored = await this.score(candidates, state);
    return this.result(rankGiven(ids, records, scored.scores, candidates, filter), started, scored.degraded);
  }

  /** Searches the catalog and reranks the hits for the shopper. */
  async search(query: string, options: SearchOptions = {}): Promise<RankResult> {
    this.checkAlive();
    const started = this.now();
    const text = checkQuery(query);
    const k = checkK('search', options.k ?? 10);
    const tags = checkTags(options.tags);
    const fusion = checkFusion(options.fusion, options.weights);
    await this.settled();
    const state = this.state;

    let hits;
    let facets: Array<[string, number]>;
    let method: string | undefined;
    let personalWeight: number | undefined;
    try {
      // The device encodes the query once its encoder is in; until then the companion does.
      const vector = this.queryVectors.encode(this.models.manifest, text);
      ({ hits, facets, method, personalWeight } = await this.companion.search({ query: text, k: Math.min(1000, Math.max(3 * k, 50)), ...(vector ? { vector: encodeVector(vector) } : {}), ...(tags ? { tags } : {}), ...fusion }));
      this.noteCompanion(undefined);
    } catch (error) {
      const degraded = degradedFrom(error, 'AISLE_COMPANION_UNREACHABLE');
      this.noteCompanion(degraded);
      return this.result([], started, degraded);
    }
    this.catalog.remember(hits.map((hit) => hit.item));
    const candidates: Candidate[] = hits.map((hit) => ({ item: hit.item, sources: ['search'] }));
    const scored = await this.score(candidates, state);
    const { weight, scale } = personalization(method, personalWeight);
    return { ...this.result(rankSearchHits(candidates, hits.map((hit) => hit.score), scored, k, weight, scale), started, scored.degraded), facets };
  }

  /** Returns copies of everything stored about the shopper. */
  async profile(): Promise<ProfileView> {
    this.checkAlive();
    await this.settled();
    const events = await this.deps.store.listEvents().catch(() => []);
    const { userVector, vectorVersion, counts, adaptation } = this.state.profile;
    return { events, userVector: userVector ? Array.from(userVector) : null, vectorVersion, counts: { ...counts }, storage: this.deps.store.mode, adaptation: adaptation ? structuredClone(adaptation) : null };
  }

  /** Erases every event, the profile, the caches and the stored models. */
  async forget(): Promise<void> {
    this.checkAlive();
    await this.serialize(async () => {
      this.state = new ShopperState(this.now());
      this.retriever.clear();
      this.queryVectors.clear();
      this.catalog.clear();
      this.adapter?.clear();
      this.rankedCandidates.clear();
      try {
        await this.deps.store.clear();
      } catch (error) {
        throw new AisleError('AISLE_STORAGE_FAILED', `forget() could not erase the device storage: ${error instanceof Error ? error.message : String(error)}; retry, or clear the site data in the browser.`, { cause: error });
      }
      this.deps.channel?.post({ type: 'forgotten' });
    });
  }

  /**
   * Returns the backend, model versions, storage mode and current degraded reasons, once model
   * loading settled or half the call budget passed.
   */
  async info(): Promise<AisleInfo> {
    this.checkAlive();
    // Loading usually settles within a second. Waiting for it, at most half the call budget,
    // reports the backend in use rather than a state in between.
    this.models.startOrt();
    await this.modelsOrBudget(this.ready);
    return this.currentInfo();
  }

  /** Returns what info() returns, without waiting for model loading. */
  currentInfo(): AisleInfo {
    this.checkAlive();
    const { manifest, runner, selection } = this.models;
    // The store can move to memory after a failed write, so its reason is read on every call.
    const fallback = this.deps.store.fallbackReason ? { code: 'AISLE_STORAGE_UNAVAILABLE', reason: this.deps.store.fallbackReason } : undefined;
    const degraded = [this.models.issue, fallback ?? this.storageIssue, this.companionIssue, this.towerStalled].filter((issue): issue is Degraded => issue !== undefined);
    if (runner?.fallbackReason) degraded.push({ code: 'AISLE_MODEL_RUN_FAILED', reason: runner.fallbackReason });
    const { requests, runs } = this.models.rankerStats();
    return {
      backend: runner?.backend ?? null,
      requestedBackend: this.options.backend,
      backendTimings: { ...(selection?.timings ?? {}) },
      webgpu: { ...(selection?.webgpu ?? { adapter: false }) },
      ranker: { runtime: this.models.rankerRuntime(), timings: { ...this.models.rankerTimings }, ...(this.models.rankerDifference === undefined ? {} : { difference: this.models.rankerDifference }), requests, runs },
      loadTimes: { ...this.models.loadTimes },
      models: manifest ? { version: manifest.version, dim: manifest.dim, seqLen: manifest.seqLen, userTowerSha256: manifest.models.userTower.sha256, rankerSha256: manifest.models.ranker.sha256 } : null,
      storage: { mode: this.deps.store.mode, ...(this.deps.store.fallbackReason ? { fallbackReason: this.deps.store.fallbackReason } : {}), ...(this.deps.store.notice ? { notice: this.deps.store.notice } : {}) },
      retrievalCache: { ...this.retriever.counters },
      queryEncoder: { state: this.queryVectors.state, ...(this.queryVectors.error === undefined ? {} : { error: this.queryVectors.error }) },
      degraded,
      endpoint: this.options.endpoint,
    };
  }

  /** Frees the sessions and closes the store; later calls reject with AISLE_DESTROYED. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    // The model set first, so a deferred ORT start is skipped rather than awaited.
    await this.models.dispose();
    await this.ready;
    this.deps.channel?.close();
    this.deps.store.close();
  }

  /** Moves the user vector over the events tracked while the models loaded. */
  private async afterModelsLoaded(): Promise<void> {
    if (!this.models.runner || this.destroyed) return;
    void this.serialize(async () => {
      if (!this.state.vectorStale) return;
      await this.completeHistory();
      await this.updateUserVector();
      await this.saveProfile();
    });
  }

  // NOTE: the stored user vector does not record the user tower that computed it. A device that
  // moves to another model set (its experiment variant changed, or the companion serves retrained
  // models) ranks with the old vector until its next sequence event recomputes it.
  private async restore(state: ShopperState = this.state): Promise<void> {
    try {
      const profile = await this.deps.store.getProfile();
      // A malformed stored adaptation (another version, a broken write) is dropped, not applied.
      if (profile?.adaptation && !isAdaptationState(profile.adaptation)) delete profile.adaptation;
      if (profile) state.profile = profile;
      const events = await this.deps.store.listEvents();
      for (const event of events) if (isSequenceEvent(event)) state.seen.add(event.itemId);
      state.historyComplete = events.every((event) => !isSequenceEvent(event));
    } catch (error) {
      this.noteStorageFailure(error);
    }
  }

  /**
   * Reloads the shopper state that another tab changed. The history is rebuilt from all stored
   * events and the user vector recomputed from it, so every tab converges on the same profile.
   */
  private async onTabMessage(message: TabMessage): Promise<void> {
    const next = new ShopperState(this.now());
    this.retriever.clear();
    if (message.type === 'forgotten') this.catalog.clear();
    if (message.type === 'tracked') {
      await this.restore(next);
      await this.completeHistory(next);
      if (next.history.length > 0) await this.updateUserVector(next);
    }
    this.state = next;
  }

  /** Fetches the item records of the stored history once the companion responds. */
  private async completeHistory(state: ShopperState = this.state): Promise<void> {
    if (state.historyComplete) return;
    try {
      const events = await this.deps.store.listEvents();
      const sequence = events.filter(isSequenceEvent).slice(-this.historyWindow());
      const records = await this.catalog.get(sequence.map((event) => event.itemId));
      state.rebuildHistory(sequence, records);
      state.historyComplete = true;
    } catch (error) {
      this.noteCompanion(degradedFrom(error, 'AISLE_COMPANION_UNREACHABLE'));
    }
  }

  private async extendHistory(event: AisleEvent & { type: SequenceEventType; itemId: string }): Promise<Degraded | undefined> {
    await this.completeHistory();
    let records;
    try {
      records = await this.catalog.get([event.itemId]);
      this.noteCompanion(undefined);
    } catch (error) {
      const degraded = degradedFrom(error, 'AISLE_COMPANION_UNREACHABLE');
      this.noteCompanion(degraded);
      this.state.historyComplete = false;
      return degraded;
    }
    const item = records.get(event.itemId);
    if (!item) return undefined;
    this.state.addEntry({ item, type: event.type, timestamp: event.timestamp });
    return this.updateUserVector();
  }

  /** Runs the user tower on the history; a new vector invalidates cached candidates through its version. */
  private async updateUserVector(state: ShopperState = this.state): Promise<Degraded | undefined> {
    await this.modelsOrBudget(this.ready);
    const { manifest, runner } = this.models;
    if (!runner || !manifest) {
      state.vectorStale = true;
      return this.models.issue ?? { code: 'AISLE_TIMEOUT', reason: 'The models are still loading, so the user vector is updated once they are ready.' };
    }
    if (state.history.length === 0) return undefined;
    // Runs of one session are queued, so after a run that never settled every later one would wait too.
    if (this.towerStalled) return this.towerStalled;
    let run: Promise<Float32Array> | undefined;
    try {
      const input = buildTowerInput(state.history, manifest.seqLen, manifest.dim, this.now(), manifest.usesAges);
      run = runner.runTower(input, manifest.seqLen, manifest.dim);
      const vector = await withDeadline(run, this.options.timeoutMs, `The ${runner.backend} user tower run`);
      state.setUserVector(vector, this.now());
      state.vectorStale = false;
      return undefined;
    } catch (error) {
      const degraded = degradedFrom(error, 'AISLE_MODEL_RUN_FAILED');
      if (!run || !isAisleError(error) || error.code !== 'AISLE_TIMEOUT') return degraded;
      const stalled = { code: 'AISLE_TIMEOUT', reason: `${degraded.reason} The user vector stays as it was until that run settles.` };
      this.towerStalled = stalled;
      const settle = () => {
        if (this.towerStalled === stalled) this.towerStalled = undefined;
      };
      run.then(settle, settle);
      return stalled;
    }
  }

  /**
   * Stores the user vector. The counts come from the stored profile, because another tab may
   * have counted events since this one read them.
   */
  private async saveProfile(): Promise<Degraded | undefined> {
    const state = this.state;
    const { userVector, vectorVersion } = state.profile;
    try {
      const written = await this.deps.store.updateProfile((saved) => ({ ...(saved ?? state.profile), userVector, vectorVersion, updatedAt: this.now() }));
      state.profile = { ...state.profile, counts: written.counts };
      return undefined;
    } catch (error) {
      return this.noteStorageFailure(error);
    }
  }

  private async score(candidates: Candidate[], state: ShopperState) {
    const runnerIssue = this.models.issue ?? { code: 'AISLE_TIMEOUT', reason: 'The models are still loading, so items keep their retrieval order.' };
    const scored = await scoreCandidates({ runner: this.models.ranker(), runnerIssue, userVector: state.profile.userVector, history: state.history, candidates });
    for (const candidate of candidates) {
      this.rankedCandidates.delete(candidate.item.id);
      this.rankedCandidates.set(candidate.item.id, candidate);
    }
    for (const id of this.rankedCandidates.keys()) {
      if (this.rankedCandidates.size <= 2000) break;
      this.rankedCandidates.delete(id);
    }
    if (!this.adapter || !scored.features) return scored;
    this.adapter.remember(candidates, scored.features, scored.scores);
    return { ...scored, scores: this.adapter.correct(state.profile.adaptation, candidates, scored.features, scored.scores) };
  }

  /**
   * Feeds one stored event to the adaptation: an impression becomes pending, a click resolves
   * the impressions of its list, and the clock turns old ones into skips. Learns from what resolved.
   */
  private async adapt(event: AisleEvent | undefined): Promise<Degraded | undefined> {
    const adapter = this.adapter!;
    if (event?.type === 'impression' && event.itemId !== undefined) {
      const row = adapter.rowOf(event.itemId) ?? (await this.scoreOne(event.itemId));
      if (row) adapter.addImpression(event, row);
    }
    const examples = adapter.resolve(event, this.now());
    if (examples.length === 0) return undefined;
    try {
      const adaptation = await adapter.learn(this.state.profile.adaptation, examples, this.now());
      if (!adaptation) return undefined;
      this.state.profile = { ...this.state.profile, adaptation };
      // Stored with a read-modify-write, so counts another tab wrote in the meantime are kept.
      await this.deps.store.updateProfile((saved) => ({ ...(saved ?? this.state.profile), adaptation, updatedAt: this.now() }));
      return undefined;
    } catch (error) {
      return degradedFrom(error, 'AISLE_MODEL_RUN_FAILED');
    }
  }

  /**
   * Scores an item that no ranking included, for an impression of a list the page built itself.
   * NOTE: a ranking of one item centers its row to zeros, so such an impression teaches only
   * the bias. Pass the page's list through rank() first to learn from it.
   */
  private async scoreOne(itemId: string) {
    const item = (await this.catalog.get([itemId]).catch(() => new Map<string, ItemRecord>())).get(itemId);
    if (!item) return undefined;
    const candidates: Candidate[] = [{ item, sources: ['given'] }];
    const scored = await scoreCandidates({ runner: this.models.ranker(), userVector: this.state.profile.userVector, history: this.state.history, candidates });
    if (!scored.features) return undefined;
    this.adapter!.remember(candidates, scored.features, scored.scores);
    return this.adapter!.rowOf(itemId);
  }

  /** Explains the score of one catalog item for the shopper. Rejects with AISLE_NOT_FOUND for an id the catalog does not contain. */
  async explain(itemId: string): Promise<Explanation> {
    this.checkAlive();
    const [id] = checkItemIds('explain', 'itemId', [itemId]);
    await this.settled();
    const state = this.state;

    let records;
    try {
      records = await this.catalog.get([id]);
    } catch (error) {
      const degraded = degradedFrom(error, 'AISLE_COMPANION_UNREACHABLE');
      this.noteCompanion(degraded);
      return { itemId: id, score: 0, rankerScore: 0, baselineScore: 0, contributions: [], events: [], reasons: [], degraded };
    }
    const item = records.get(id);
    if (!item) throw new AisleError('AISLE_NOT_FOUND', `explain(): item ${JSON.stringify(id)} is not in the catalog; pass an id that recommend(), rank() or search() returned.`, { details: { itemId: id } });

    const ranked = this.rankedCandidates.get(id);
    const candidate: Candidate = ranked ? { ...ranked, item } : { item, sources: ['given'] };
    const events = await this.deps.store.listEvents().catch(() => []);
    const queries = events.filter((event) => event.type === 'search' && event.query !== undefined).slice(-5).map((event) => event.query!);
    const runnerIssue = this.models.issue ?? { code: 'AISLE_TIMEOUT', reason: 'The models are still loading, so no feature attribution is available yet.' };
    const adaptation = this.adapter ? { state: state.profile.adaptation, options: this.adapter.options } : undefined;
    // Loaded on the first explain(), so pages that never ask for reasons do not download it.
    const { explainItem } = await import('./explain.js');
    return explainItem({ candidate, runner: this.models.ranker(), runnerIssue, userVector: state.profile.userVector, history: state.history, queries, adaptation });
  }

  private result(items: RankResult['items'], started: number, degraded: Degraded | undefined): RankResult {
    // The page has a result, so ONNX Runtime can take the CPU now.
    this.models.startOrt();
    const result: RankResult = { items, tookMs: this.now() - started };
    if (degraded) result.degraded = degraded;
    return result;
  }

  /**
   * Waits for a ranker (at most half the call budget, so a slow first load still leaves time
   * to return the retrieval order) and for pending state changes, then for the history records.
   * The JavaScript ranker is ready long before ONNX Runtime, so first calls do not wait for it.
   */
  private async settled(): Promise<void> {
    await this.modelsOrBudget(this.models.rankerReady);
    await this.serialize(() => this.completeHistory());
    // Impressions past their skip time are learned from before this call ranks.
    if (this.adapter?.pendingCount) {
      await this.serialize(async () => {
        if ((await this.adapt(undefined)) === undefined) await this.saveProfile();
      });
    }
  }

  // NOTE: each companion request gets the full timeoutMs, so one call can run longer than
  // timeoutMs inside the worker. The page still gets a result at timeoutMs from the client's
  // fallback, and the late result only fills the caches.
  private async modelsOrBudget(loaded: Promise<void>): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const budget = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.timeoutMs / 2)));
    await Promise.race([loaded, budget]);
    clearTimeout(timer);
  }

  private serialize<T>(change: () => Promise<T>): Promise<T> {
    const result = this.mutations.then(change);
    this.mutations = result.catch(() => undefined);
    return result;
  }

  private historyWindow(): number {
    return Math.max(this.models.manifest?.seqLen ?? 0, HISTORY_LIMIT);
  }

  private noteCompanion(degraded: Degraded | undefined): void {
    this.companionIssue = degraded;
  }

  private noteStorageFailure(error: unknown): Degraded {
    this.storageIssue = degradedFrom(error, 'AISLE_STORAGE_FAILED');
    return this.storageIssue;
  }

  private checkAlive(): void {
    if (this.destroyed) throw new AisleError('AISLE_DESTROYED', 'The Aisle engine was destroyed; create a new one with createAisle().');
  }
}

/** Returns a copy of `profile` with one more event of `type` counted. */
function countEvent(profile: StoredProfile, type: string): StoredProfile {
  return { ...profile, counts: { ...profile.counts, [type]: (profile.counts[type] ?? 0) + 1 } };
}
