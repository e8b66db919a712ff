/**
 * POST /v1/search: BM25 over the catalog text and ANN search on a query vector, fused.
 */
import type { FastifyInstance } from 'fastify';
import type { SearchDebug, SearchRequest, SearchResponse } from '../../core/types.js';
import { DEFAULT_FUSION_WEIGHTS, FUSION_DEPTH, reciprocalRankFusion, weightedFusion, type FusedHit } from '../fusion.js';
import { decodeQueryVector } from '../query-vector.js';
import { searchBodySchema } from '../schemas.js';
import type { ServingState } from '../serving-state.js';

/**
 * Registers POST /v1/search. The query vector is the client's `vector`, or else the companion's
 * own encoding of the query text (when the models have a query encoder). With both lists, the
 * BM25 and ANN hits (FUSION_DEPTH each, or k when larger) are fused by `fusion`: 'rrf' (default)
 * or 'weighted' with `weights`. `searchScore` is the fused score, or with one list its own score.
 * `debug` says which path answered and with which weights.
 */
export function registerSearchRoute(app: FastifyInstance, states: ServingState): void {
  const { dim } = states.state.manifest;

  app.post<{ Body: SearchRequest }>('/v1/search', { schema: { body: searchBodySchema(dim) } }, (request): Promise<SearchResponse> =>
    states.use(async ({ catalog, ann, text, manifest, queryEncoder }) => {
      const { query, k } = request.body;
      const depth = Math.max(k, FUSION_DEPTH);
      const clientVector = request.body.vector === undefined ? undefined : decodeQueryVector(request.body.vector, manifest.dim, 'vector');
      const vector = clientVector ?? (queryEncoder ? await queryEncoder.encode(query) : null);
      let source: SearchDebug['vector'] = 'none';
      if (clientVector) source = 'client';
      else if (vector) source = 'companion';

      const textHits = await text.search(query, depth);
      const annHits = vector ? await ann.search(vector, depth) : [];
      const debug: SearchDebug = { method: 'bm25', vector: source, bm25Hits: textHits.length, vectorHits: annHits.length };
      let hits: readonly FusedHit[];
      if (annHits.length === 0) {
        hits = textHits;
      } else if (textHits.length === 0) {
        hits = annHits;
        debug.method = 'vector';
      } else if (request.body.fusion === 'weighted') {
        const weights = request.body.weights ?? DEFAULT_FUSION_WEIGHTS;
        hits = weightedFusion([{ hits: textHits, weight: weights.bm25 }, { hits: annHits, weight: weights.vector }], depth);
        Object.assign(debug, { method: 'weighted', weights });
      } else {
        hits = reciprocalRankFusion([textHits.map((hit) => hit.index), annHits.map((hit) => hit.index)], depth);
        debug.method = 'rrf';
      }
      return { items: hits.slice(0, k).map((hit) => ({ ...catalog.toWire(hit.index), searchScore: hit.score })), debug };
    }),
  );
}
