/**
 * GET /v1/experiments: experiment definitions for the SDK. GET /v1/experiments/outcomes: exposures
 * and outcomes per variant, the input of `aisle report`.
 */
import type { FastifyInstance } from 'fastify';
import type { Experiment } from '../../core/experiments.js';
import type { OutcomesResponse } from '../experiments/outcomes.js';
import type { ServingState } from '../serving-state.js';

/** Body of GET /v1/experiments. */
export interface ExperimentsResponse {
  experiments: readonly Experiment[];
  /**
   * Version of the default model set (manifest.json of --models), served at the root. A variant
   * whose `modelVersion` equals it runs on the default routes.
   */
  modelVersion: string;
  /**
   * Every served model set version, the default first, then the extra sets (served under
   * /versions/<version>). The SDK applies a variant only when its `modelVersion` is one of them.
   */
  modelVersions: string[];
}

/**
 * Registers GET /v1/experiments and GET /v1/experiments/outcomes. `extraVersions` are the
 * versions of the extra model sets.
 */
export function registerExperimentRoutes(app: FastifyInstance, states: ServingState, extraVersions: readonly string[] = []): void {
  // Devices fetch definitions once per session, and a definition changes only with a restart. The
  // default model version changes with a reload, so it is read per request.
  app.get('/v1/experiments', async (_request, reply): Promise<ExperimentsResponse> => {
    void reply.header('Cache-Control', 'public, max-age=300');
    const modelVersion = states.state.manifest.version;
    // A reload can make the default set the version of an extra one; each version is listed once.
    const modelVersions = [modelVersion, ...extraVersions.filter((version) => version !== modelVersion)];
    return { experiments: states.state.live.experiments, modelVersion, modelVersions };
  });
  app.get('/v1/experiments/outcomes', async (): Promise<OutcomesResponse> => states.state.live.outcomes.report());
}
