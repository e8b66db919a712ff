/**
 * POST /v1/candidates: ANN candidates near a user vector, plus the popular list for cold start.
 */
import type { FastifyInstance } from 'fastify';
import type { CandidatesRequest } from '../../core/types.js';
import { POPULAR_LIST_SIZE } from '../catalog.js';
import { JsonBody } from '../item-json.js';
import { decodeQueryVector } from '../query-vector.js';
import { retrieveCandidates } from '../retrieval.js';
import { candidatesBodySchema } from '../schemas.js';
import type { ServingState } from '../serving-state.js';

/**
 * Registers POST /v1/candidates. The body is a CandidatesResponse, assembled from the cached JSON
 * bytes of each item (item-json.ts) instead of stringified as one object. Every item carries its
 * live signals, and `popular` is the cold-start list: trending items first, then popular ones.
 */
export function registerCandidatesRoute(app: FastifyInstance, states: ServingState): void {
  const { dim } = states.state.manifest;

  app.post<{ Body: CandidatesRequest }>('/v1/candidates', { schema: { body: candidatesBodySchema(dim) } }, (request, reply): Promise<Buffer> =>
    states.use(async ({ catalog, ann, manifest, liveJson }) => {
      const { k, filter } = request.body;
      const vector = decodeQueryVector(request.body.vector, manifest.dim, 'vector');
      const excluded = new Set(request.body.exclude ?? []);
      const indexText = JSON.stringify({ type: ann.type, version: manifest.version, ntotal: ann.ntotal });

      const hits = await retrieveCandidates(catalog, ann, { vector, k, excluded, filter });
      const body = new JsonBody().text('{"items":').array(hits, (part, hit) => liveJson.append(part, hit.index, { name: 'annScore', value: hit.score }));
      body.text(',"popular":').bytes(liveJson.coldStart(POPULAR_LIST_SIZE, excluded)).text(`,"index":${indexText}}`);
      void reply.type('application/json; charset=utf-8');
      return body.toBuffer();
    }),
  );
}
