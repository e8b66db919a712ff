/**
 * POST /v1/candidates: ANN candidates near a user vector, plus the popular list for cold start.
 */
import type { FastifyInstance } from 'fastify';
import type { CandidatesRequest, CandidatesResponse } from '../../core/types.js';
import { POPULAR_LIST_SIZE } from '../catalog.js';
import { decodeQueryVector } from '../query-vector.js';
import { retrieveCandidates } from '../retrieval.js';
import { candidatesBodySchema } from '../schemas.js';
import type { ServerState } from '../state.js';

/** Registers POST /v1/candidates. */
export function registerCandidatesRoute(app: FastifyInstance, state: ServerState): void {
  const { catalog, ann, manifest } = state;

  app.post<{ Body: CandidatesRequest }>('/v1/candidates', { schema: { body: candidatesBodySchema(manifest.dim) } }, async (request): Promise<CandidatesResponse> => {
    const { k, filter } = request.body;
    const vector = decodeQueryVector(request.body.vector, manifest.dim, 'vector');
    const excluded = new Set(request.body.exclude ?? []);

    const hits = await retrieveCandidates(catalog, ann, { vector, k, excluded, filter });
    return {
      items: hits.map((hit) => ({ ...catalog.toWire(hit.index), annScore: hit.score })),
      popular: catalog.popular(POPULAR_LIST_SIZE, excluded).map((index) => catalog.toWire(index)),
      index: { type: ann.type, version: manifest.version, ntotal: ann.ntotal },
    };
  });
}
