/**
 * POST /v1/search: BM25 over the catalog text, fused with ANN on an optional query vector.
 */
import type { FastifyInstance } from 'fastify';
import type { SearchRequest, SearchResponse } from '../../core/types.js';
import { reciprocalRankFusion } from '../fusion.js';
import { decodeQueryVector } from '../query-vector.js';
import { searchBodySchema } from '../schemas.js';
import type { ServerState } from '../state.js';

/**
 * Registers POST /v1/search. Without a vector, `searchScore` is the BM25 score. With a vector,
 * the BM25 and ANN lists (k each) are fused by reciprocal rank fusion and `searchScore` is the
 * fused score. A query without words and with a vector returns the ANN list alone.
 */
export function registerSearchRoute(app: FastifyInstance, state: ServerState): void {
  const { catalog, ann, text, manifest } = state;

  app.post<{ Body: SearchRequest }>('/v1/search', { schema: { body: searchBodySchema(manifest.dim) } }, async (request): Promise<SearchResponse> => {
    const { query, k } = request.body;
    const vector = request.body.vector === undefined ? undefined : decodeQueryVector(request.body.vector, manifest.dim, 'vector');

    const textHits = await text.search(query, k);
    if (vector === undefined) {
      return { items: textHits.map((hit) => ({ ...catalog.toWire(hit.index), searchScore: hit.score })) };
    }

    const annHits = await ann.search(vector, k);
    const fused = reciprocalRankFusion([textHits.map((hit) => hit.index), annHits.map((hit) => hit.index)], k);
    return { items: fused.map((hit) => ({ ...catalog.toWire(hit.index), searchScore: hit.score })) };
  });
}
