/**
 * POST /v1/candidates: ANN candidates near a user vector, plus the popular list for cold start.
 */
import type { FastifyInstance } from 'fastify';
import type { CandidatesRequest } from '../../core/types.js';
import { POPULAR_LIST_SIZE } from '../catalog.js';
import { decodeQueryVector } from '../query-vector.js';
import { retrieveCandidates } from '../retrieval.js';
import { candidatesBodySchema } from '../schemas.js';
import type { ServerState } from '../state.js';

/**
 * Registers POST /v1/candidates. The body is a CandidatesResponse, assembled as text from the
 * cached JSON of each item (item-json.ts) instead of stringified as one object.
 */
export function registerCandidatesRoute(app: FastifyInstance, state: ServerState): void {
  const { catalog, ann, manifest, itemJson, popular } = state;
  const indexText = JSON.stringify({ type: ann.type, version: manifest.version, ntotal: ann.ntotal });

  app.post<{ Body: CandidatesRequest }>('/v1/candidates', { schema: { body: candidatesBodySchema(manifest.dim) } }, async (request, reply): Promise<string> => {
    const { k, filter } = request.body;
    const vector = decodeQueryVector(request.body.vector, manifest.dim, 'vector');
    const excluded = new Set(request.body.exclude ?? []);

    const hits = await retrieveCandidates(catalog, ann, { vector, k, excluded, filter });
    const items = hits.map((hit) => itemJson.jsonWith(hit.index, 'annScore', hit.score)).join(',');
    void reply.type('application/json; charset=utf-8');
    return `{"items":[${items}],"popular":${popular.json(POPULAR_LIST_SIZE, excluded)},"index":${indexText}}`;
  });
}
