/**
 * The companion service: a Fastify app over one models directory, plus the extra model sets of
 * ServerOptions.modelSets under /versions/<version> (model-sets.ts). `createServer` loads and
 * checks the directories and returns an app that is not yet listening, so tests can listen on
 * port 0. `startServer` also listens and logs the address.
 */
import cors from '@fastify/cors';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { AisleError } from '../core/errors.js';
import type { AnnOptions } from './ann-source.js';
import { handleClientError, handleFrameworkError, installErrorHandlers } from './http-errors.js';
import { installJsonBodyParser } from './json-body.js';
import { registerCandidatesRoute } from './routes/candidates.js';
import { registerHealthRoute } from './routes/health.js';
import { registerLiveRoutes } from './routes/live.js';
import { registerExperimentRoutes } from './routes/experiments.js';
import type { LiveOptions } from './live/live-state.js';
import { CompanionMetrics, type MetricsOptions } from './metrics.js';
import { requestId } from './request-id.js';
import { registerAddItemsRoute } from './routes/add-items.js';
import { registerItemRoutes } from './routes/items.js';
import { registerModelRoutes } from './routes/models.js';
import { checkAdminToken, registerAdminRoutes } from './routes/admin.js';
import { Reloader, type ReloadResult } from './reload.js';
import { ServingState } from './serving-state.js';
import { registerSearchRoute } from './routes/search.js';
import { LIMITS, type ServerLimits } from './schemas.js';
import { loadServerState, type LoadOptions, type ServerState, type TextSearchMode } from './state.js';
import { closeModelSets, loadModelSets, registerModelSetRoutes } from './model-sets.js';

/**
 * Origins allowed to call the companion from a browser: '*' for any origin (the default, because
 * the SDK runs on store pages of other origins), a list of exact origins, or false for no CORS
 * headers at all.
 */
export type CorsOrigins = '*' | string[] | false;

/** Options of createServer. */
export interface ServerOptions {
  /** Directory written by `aisle train` (manifest.json, items.json, item_vectors.f32, items.faiss, *.onnx). */
  modelsDir: string;
  /** Fastify logger option: false for none, true or pino options for JSON logs on stdout. Default false. */
  logger?: FastifyServerOptions['logger'];
  cors?: CorsOrigins;
  limits?: ServerLimits;
  /** efSearch (HNSW) and nprobe (IVF) used for every ANN search, and the batching and result cache switches. */
  ann?: AnnOptions;
  /** Keep each served item's JSON bytes for later responses (ItemJsonCache). Default true. */
  itemJsonCache?: boolean;
  /** Thread that runs BM25 search. 'worker' (the default) keeps slow queries off the main thread. */
  textSearch?: TextSearchMode;
  /** Half-lives, flush interval and replacements of the live counters and the event path. */
  live?: LiveOptions;
  /** Prometheus metrics at GET /metrics; false turns them off. Default true. */
  metrics?: boolean | MetricsOptions;
  /**
   * Secret of at least 16 characters that enables POST /admin/reload and catalog writes
   * (POST /v1/items), sent as `Authorization: Bearer <token>`. Without it the reload route does not
   * exist and catalog writes are refused; reloads come only from reloadServer() (and SIGHUP in
   * `aisle serve`).
   */
  adminToken?: string;
  /**
   * Extra model sets to serve next to `modelsDir`: models directory by model set version, each
   * served under /versions/<version> (model-sets.ts) for the experiment variants that ask for
   * that `modelVersion`. Each manifest's version must equal its key. Default none.
   */
  modelSets?: Readonly<Record<string, string>>;
}

/** Options of startServer: createServer's plus where to listen. */
export interface StartOptions extends ServerOptions {
  /** TCP port; 0 picks a free one. Default 8787. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1. */
  host?: string;
}

async function registerCors(app: FastifyInstance, origins: CorsOrigins): Promise<void> {
  if (origins === false) return;
  await app.register(cors, {
    origin: origins === '*' ? '*' : origins,
    methods: ['GET', 'HEAD', 'POST'],
    allowedHeaders: ['Content-Type'],
    exposedHeaders: ['ETag', 'X-Request-Id'],
    maxAge: 600,
  });
}

// Served state and reloader of each app built here, for startServer's log, stats and reloads.
const STATES = new WeakMap<FastifyInstance, ServingState>();
const RELOADERS = new WeakMap<FastifyInstance, Reloader>();

function registerRoutes(app: FastifyInstance, states: ServingState, modelSets: ReadonlyMap<string, ServingState>, options: ServerOptions): void {
  registerCandidatesRoute(app, states);
  registerSearchRoute(app, states);
  registerItemRoutes(app, states);
  registerAddItemsRoute(app, states, options.adminToken);
  registerModelRoutes(app, states);
  registerHealthRoute(app, states);
  registerLiveRoutes(app, states);
  registerExperimentRoutes(app, states, [...modelSets.keys()]);
  for (const [version, setStates] of modelSets) registerModelSetRoutes(app, version, setStates, options.adminToken);
}

/**
 * Loads a models directory (and the extra model sets) and builds the companion app, not yet
 * listening. Rejects with a coded AisleError when a file of a directory is missing or invalid
 * (AISLE_MANIFEST_INVALID, also for an extra set of another version than its key,
 * AISLE_MODEL_LOAD_FAILED, AISLE_MODEL_CHECKSUM_MISMATCH, AISLE_INDEX_LOAD_FAILED,
 * AISLE_NATIVE_UNAVAILABLE). Closing the app frees the FAISS indexes.
 */
export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  if (options.adminToken !== undefined) checkAdminToken(options.adminToken);
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.limits?.bodyLimit ?? LIMITS.bodyLimit,
    // Reject unknown filter keys instead of silently dropping them (Fastify's default), so a
    // filter the server does not understand never returns unfiltered items. Turn off type
    // coercion, so `"k": true` or `"query": 42` is rejected instead of becoming 1 or "42".
    // Query strings are all strings, so their routes parse numbers themselves.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    genReqId: requestId,
    frameworkErrors: handleFrameworkError,
    clientErrorHandler: handleClientError,
    // NOTE: a request that arrives while the app is closing still gets Fastify's own 503 body
    // (return503OnClosing), not an ErrorBody, because Fastify writes it before any hook runs.
  });

  const metrics = options.metrics === false ? undefined : new CompanionMetrics(options.metrics === true ? {} : options.metrics);
  const ann = metrics ? { ...options.ann, onSearch: metrics.observeAnnSearch } : options.ann;
  // NOTE: a reload loads new live counters too, so their values start again from zero.
  const loadOptions: LoadOptions = { ann, itemJsonCache: options.itemJsonCache, textSearch: options.textSearch, log: app.log, live: options.live };
  let state: ServerState;
  try {
    state = await loadServerState(options.modelsDir, loadOptions);
  } catch (error) {
    await app.close();
    throw error;
  }
  const onDisposeError = (error: unknown) => app.log.error({ err: error }, 'freeing a replaced models directory failed');
  const states = new ServingState(state, onDisposeError);
  const reloader = new Reloader(states, options.modelsDir, loadOptions, app.log);
  let modelSets: Map<string, ServingState>;
  try {
    modelSets = await loadModelSets(options.modelSets ?? {}, state.manifest.version, loadOptions, () => states.state.live, onDisposeError);
  } catch (error) {
    await states.close();
    await app.close();
    throw error;
  }

  try {
    installErrorHandlers(app);
    installJsonBodyParser(app);
    await registerCors(app, options.cors ?? '*');
    app.addHook('onSend', async (request, reply) => {
      void reply.header('X-Request-Id', request.id);
    });
    // Before the routes, so the latency hook covers every one of them.
    if (metrics) {
      metrics.attach(() => states.state, () => [...modelSets.values()].map((set) => set.state));
      metrics.install(app);
    }
    registerRoutes(app, states, modelSets, options);
    if (options.adminToken !== undefined) registerAdminRoutes(app, reloader, options.adminToken);

    // onClose hooks run after the HTTP server has stopped and in-flight requests have finished,
    // so no search can still use the index when it is freed.
    // The extra sets first, because they read the default set's live counters.
    app.addHook('onClose', async (instance) => {
      await closeModelSets(modelSets);
      await states.close();
      instance.log.info('companion stopped, FAISS indexes and text search workers freed');
    });
    await app.ready();
  } catch (error) {
    await closeModelSets(modelSets);
    await states.close();
    throw error;
  }

  STATES.set(app, states);
  RELOADERS.set(app, reloader);
  return app;
}

// Turns the usual listen failures into coded errors that name the address and the fix.
function listenError(error: unknown, host: string, port: number): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const address = `${host}:${port}`;
  if (code === 'EADDRINUSE') {
    return new AisleError('AISLE_INVALID_ARGUMENT', `Listening on ${address} failed: the address is in use. Stop the other process or pick another port.`, { cause: error });
  }
  if (code === 'EACCES') {
    return new AisleError('AISLE_INVALID_ARGUMENT', `Listening on ${address} failed: permission denied. Use a port above 1023 or run with the right privileges.`, { cause: error });
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
    return new AisleError('AISLE_INVALID_ARGUMENT', `Listening on ${address} failed: this machine has no such address. Pass an address of a local interface, such as 127.0.0.1.`, { cause: error });
  }
  return error;
}

/** Counters of a companion app, for benchmarks and metrics. */
export interface CompanionStats {
  ann: ServerState['ann']['stats'];
  itemJson: ServerState['itemJson']['stats'];
}

/**
 * Returns the counters of an app built by createServer, or undefined for another Fastify app. The
 * counters belong to the served models directory, so they restart at zero after a reload.
 */
export function companionStats(app: FastifyInstance): CompanionStats | undefined {
  const state = STATES.get(app)?.state;
  return state && { ann: state.ann.stats, itemJson: state.itemJson.stats };
}

/**
 * Reloads the models directory of an app built by createServer (or `modelsDir` instead, which
 * later reloads then reuse) and swaps it in atomically: requests in flight finish on the old
 * index, later ones use the new one, and none fails. Rejects with the load's coded error, or
 * AISLE_RELOAD_REJECTED when the dim differs, and then the old directory keeps serving.
 */
export async function reloadServer(app: FastifyInstance, modelsDir?: string): Promise<ReloadResult> {
  const reloader = RELOADERS.get(app);
  if (reloader === undefined) throw new AisleError('AISLE_INVALID_ARGUMENT', 'reloadServer: the app was not built by createServer. Pass the app that createServer returned.');
  return reloader.reload(modelsDir);
}

/** Creates the companion and listens on host:port; returns the listening app. */
export async function startServer(options: StartOptions): Promise<FastifyInstance> {
  const app = await createServer(options);
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8787;
  try {
    await app.listen({ port, host });
  } catch (error) {
    await app.close();
    throw listenError(error, host, port);
  }

  const address = app.server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  const state = STATES.get(app)?.state;
  app.log.info(
    { host, port: boundPort, modelsDir: options.modelsDir, items: state?.catalog.size, dim: state?.manifest.dim, indexType: state?.ann.type, version: state?.manifest.version, modelSets: options.modelSets },
    'companion started',
  );
  return app;
}
