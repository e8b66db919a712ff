/**
 * Extra model sets: besides the default models directory (--models), the companion can serve
 * more model sets, one per model set version, so the arms of an experiment can compare two
 * versions (a variant's `modelVersion`). Each extra set is loaded and checked by the same code as
 * the default one, into its own ServingState, and its manifest version must equal its key.
 *
 * An extra set serves these routes under the prefix /versions/<version>: POST /v1/candidates,
 * POST /v1/search, GET /v1/items, GET /v1/trending, POST /v1/items, GET /models/:file and
 * GET /healthz, with the same bodies as the routes of the default set at the root. The SDK of a
 * device whose variant requests the version uses `${endpoint}/versions/<version>` as its
 * companion base.
 *
 * The live counters stay one store: an extra set has no LiveState of its own but reads the default
 * set's current one, so its items carry the same live signals and its cold-start list the same
 * trending items. Events (POST /v1/events) and experiments (GET /v1/experiments, outcomes) exist
 * only at the root, because events are about items, not model versions.
 * NOTE: the counters know the items of the default catalog only, so an item that only an extra
 * set has gets no live counters (its events are rejected as unknown_item). Give the sets one catalog.
 *
 * NOTE: a version names fixed models, so an extra set is never reloaded; SIGHUP and
 * POST /admin/reload reload the default set only. Change an extra set by restarting with another
 * config.
 */
import type { FastifyInstance } from 'fastify';
import { AisleError } from '../core/errors.js';
import type { LiveState } from './live/live-state.js';
import { registerAddItemsRoute } from './routes/add-items.js';
import { registerCandidatesRoute } from './routes/candidates.js';
import { registerHealthRoute } from './routes/health.js';
import { registerItemRoutes } from './routes/items.js';
import { registerModelRoutes } from './routes/models.js';
import { registerSearchRoute } from './routes/search.js';
import { ServingState } from './serving-state.js';
import { loadServerState, type LoadOptions } from './state.js';

/** Allowed model set version of an extra set: it becomes a URL path segment. */
const MODEL_SET_VERSION = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Throws AISLE_INVALID_ARGUMENT unless `version` can name an extra model set; `where` starts the message. */
export function checkModelSetVersion(version: string, where: string): void {
  if (MODEL_SET_VERSION.test(version)) return;
  throw new AisleError(
    'AISLE_INVALID_ARGUMENT',
    `${where}: model set version ${JSON.stringify(version)} cannot name a served model set; use 1 to 64 letters, digits or _.- starting with a letter or digit, as the manifest of \`aisle train\` has.`,
    { details: { version } },
  );
}

/** URL prefix of the routes of the extra model set `version`. */
export function modelSetPrefix(version: string): string {
  return `/versions/${version}`;
}

/**
 * Loads every extra model set, one after another (each contains a FAISS index and a text search
 * worker). `sharedLive` returns the default set's current live counters. Rejects with the coded
 * error of the first set that fails, after freeing the sets loaded before it.
 */
export async function loadModelSets(
  sets: Readonly<Record<string, string>>,
  defaultVersion: string,
  loadOptions: LoadOptions,
  sharedLive: () => LiveState,
  onDisposeError?: (error: unknown) => void,
): Promise<Map<string, ServingState>> {
  const loaded = new Map<string, ServingState>();
  try {
    for (const [version, modelsDir] of Object.entries(sets)) {
      checkModelSetVersion(version, 'ServerOptions.modelSets');
      if (version === defaultVersion) {
        throw new AisleError(
          'AISLE_INVALID_ARGUMENT',
          `modelSets lists version ${JSON.stringify(version)} (${modelsDir}), which is the version of the default models directory; the default set is served at the root already. Remove that entry from modelSets.`,
          { details: { version, modelsDir } },
        );
      }
      const state = await loadServerState(modelsDir, { ...loadOptions, expectedVersion: version, sharedLive });
      loaded.set(version, new ServingState(state, onDisposeError));
    }
  } catch (error) {
    await closeModelSets(loaded);
    throw error;
  }
  return loaded;
}

/** Frees every extra model set; call once the HTTP server has stopped. */
export async function closeModelSets(sets: ReadonlyMap<string, ServingState>): Promise<void> {
  await Promise.all([...sets.values()].map((states) => states.close()));
}

/** Registers the routes of one extra model set under its prefix. */
export function registerModelSetRoutes(app: FastifyInstance, version: string, states: ServingState, adminToken: string | undefined): void {
  void app.register(
    async (scope) => {
      registerCandidatesRoute(scope, states);
      registerSearchRoute(scope, states);
      registerItemRoutes(scope, states);
      registerAddItemsRoute(scope, states, adminToken);
      registerModelRoutes(scope, states);
      registerHealthRoute(scope, states);
    },
    { prefix: modelSetPrefix(version) },
  );
}
