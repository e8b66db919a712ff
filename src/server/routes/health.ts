/**
 * GET /healthz: liveness and what the server has loaded.
 */
import type { FastifyInstance } from 'fastify';
import type { ServingState } from '../serving-state.js';

/** Body of GET /healthz. */
export interface HealthResponse {
  status: 'ok';
  items: number;
  dim: number;
  index: { type: string; ntotal: number };
  version: string;
}

/** Registers GET /healthz. */
export function registerHealthRoute(app: FastifyInstance, states: ServingState): void {
  app.get('/healthz', async (): Promise<HealthResponse> => {
    const { state } = states;
    return {
      status: 'ok',
      items: state.catalog.size,
      dim: state.manifest.dim,
      index: { type: state.ann.type, ntotal: state.ann.ntotal },
      version: state.manifest.version,
    };
  });
}
