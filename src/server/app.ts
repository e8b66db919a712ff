/**
 * The companion service: a Fastify app over one models directory. `createServer` loads and checks
 * the directory and returns an app that is not yet listening, so tests can listen on port 0.
 * `startServer` also listens and logs the address.
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
import { registerSearchRoute } from './routes/search.js';
import { LIMITS, type ServerLimits } from './schemas.js';
import { loadServerState, type ServerState, type TextSearchMode } from './state.js';

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
  /** Token that catalog writes (POST /v1/items) must send as `Authorization: Bearer <token>`; without it they are refused. */
  adminToken?: string;
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
    allowedHeaders: ['Content-Type', 'Authorization'],
    exposedHeaders: ['ETag', 'X-Request-Id'],
    maxAge: 600,
  });
}

// State of each app built here, so startServer can log what it serves.
const STATES = new WeakMap<FastifyInstance, ServerState>();

function registerRoutes(app: FastifyInstance, state: ServerState, options: ServerOptions): void {
  registerCandidatesRoute(app, state);
  registerSearchRoute(app, state);
  registerItemRoutes(app, state);
  registerAddItemsRoute(app, state, options.adminToken);
  registerModelRoutes(app, state);
  registerHealthRoute(app, state);
  registerLiveRoutes(app, state);
  registerExperimentRoutes(app, state);
}

/**
 * Loads a models directory and builds the companion app, not yet listening. Rejects with a coded
 * AisleError when a file of the directory is missing or invalid (AISLE_MANIFEST_INVALID,
 * AISLE_MODEL_LOAD_FAILED, AISLE_MODEL_CHECKSUM_MISMATCH, AISLE_INDEX_LOAD_FAILED,
 * AISLE_NATIVE_UNAVAILABLE). Closing the app frees the FAISS index.
 */
export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
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
  let state: ServerState;
  try {
    state = await loadServerState(options.modelsDir, { ann, itemJsonCache: options.itemJsonCache, textSearch: options.textSearch, log: app.log, live: options.live });
  } catch (error) {
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
      metrics.attach(state);
      metrics.install(app);
    }
    registerRoutes(app, state, options);

    // onClose hooks run after the HTTP server has stopped and in-flight requests have finished,
    // so no search can still use the index when it is freed.
    app.addHook('onClose', async (instance) => {
      await state.live.close();
      await state.text.close();
      await state.queryEncoder?.close();
      state.textVectors?.dispose();
      await state.itemContent?.close();
      state.ann.dispose();
      instance.log.info('companion stopped, FAISS index and text search worker freed');
    });
    await app.ready();
  } catch (error) {
    await state.live.close();
    await state.text.close();
    await state.queryEncoder?.close();
    state.textVectors?.dispose();
    await state.itemContent?.close();
    state.ann.dispose();
    throw error;
  }

  STATES.set(app, state);
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

/** Returns the counters of an app built by createServer, or undefined for another Fastify app. */
export function companionStats(app: FastifyInstance): CompanionStats | undefined {
  const state = STATES.get(app);
  return state && { ann: state.ann.stats, itemJson: state.itemJson.stats };
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
  const state = STATES.get(app);
  app.log.info(
    { host, port: boundPort, modelsDir: options.modelsDir, items: state?.catalog.size, dim: state?.manifest.dim, indexType: state?.ann.type, version: state?.manifest.version },
    'companion started',
  );
  return app;
}
