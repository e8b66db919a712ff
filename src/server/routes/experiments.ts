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
}

/** Registers GET /v1/experiments and GET /v1/experiments/outcomes. */
export function registerExperimentRoutes(app: FastifyInstance, states: ServingState): void {
  const body: ExperimentsResponse = { experiments: states.state.live.experiments };
  // Devices fetch definitions once per session, and a definition changes only with a restart.
  app.get('/v1/experiments', async (_request, reply): Promise<ExperimentsResponse> => {
    void reply.header('Cache-Control', 'public, max-age=300');
    return body;
  });
  app.get('/v1/experiments/outcomes', async (): Promise<OutcomesResponse> => states.state.live.outcomes.report());
}
