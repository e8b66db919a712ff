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
   * Version of the model set the companion serves (manifest.json), which a variant's
   * `modelVersion` must equal for the SDK to apply the variant.
   */
  modelVersion: string;
}

/** Registers GET /v1/experiments and GET /v1/experiments/outcomes. */
export function registerExperimentRoutes(app: FastifyInstance, states: ServingState): void {
  // Devices fetch definitions once per session, and a definition changes only with a restart. The
  // model version changes with a reload, so it is read per request.
  app.get('/v1/experiments', async (_request, reply): Promise<ExperimentsResponse> => {
    void reply.header('Cache-Control', 'public, max-age=300');
    return { experiments: states.state.live.experiments, modelVersion: states.state.manifest.version };
  });
  app.get('/v1/experiments/outcomes', async (): Promise<OutcomesResponse> => states.state.live.outcomes.report());
}
