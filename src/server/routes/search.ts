/**
 * POST /v1/search: BM25 over the catalog text and vector search on a query vector, fused.
 */
import type { FastifyInstance } from 'fastify';
import { AisleError } from '../../core/errors.js';
import type { SearchDebug, SearchRequest, SearchResponse } from '../../core/types.js';
import { dot } from '../../core/vector.js';
import { DEFAULT_FUSION, DEFAULT_FUSION_WEIGHTS, FUSION_DEPTH, learnedFusion, reciprocalRankFusion, weightedFusion, type FusedHit } from '../fusion.js';
import { countFacets } from '../../core/tags.js';
import { decodeQueryVector } from '../query-vector.js';
import { searchBodySchema } from '../schemas.js';
import { deepenedHits, filteredVectorHits, taggedItems } from '../tag-filter.js';
import type { ServingState } from '../serving-state.js';

// Top-level fields of a search request; searchBodySchema lets others through for newer clients.
const SEARCH_FIELDS: ReadonlySet<string> = new Set(Object.keys(searchBodySchema(1).properties));

// Weights change only the weighted fusion. The SDK and the experiments config reject them with
// another fusion, so the route does too instead of silently ignoring them.
function checkWeights({ fusion, weights }: SearchRequest): void {
  if (weights === undefined || fusion === 'weighted') return;
  throw new AisleError(
    'AISLE_INVALID_REQUEST',
    `Invalid request: \`body.weights\` applies only to fusion 'weighted'; got fusion ${JSON.stringify(fusion ?? null)}. Remove weights or set fusion: 'weighted'.`,
    { details: { field: 'body.weights' } },
  );
}

/**
 * Registers POST /v1/search. The query vector is the client's `vector`, or else the companion's
 * own encoding of the query text (when the models have a query encoder). It is searched among the
 * item text vectors when the models have a query encoder (server/text-vectors.ts), else among the
 * behavioural item vectors. With both lists, the BM25 and vector hits (FUSION_DEPTH each, or k when
 * larger) are fused by `fusion`. 'learned' orders every candidate with the search ranker and is
 * the default when the models have one. 'weighted' takes `weights` and is the default otherwise.
 * 'rrf' is the third choice.
 * `searchScore` is the fused score, or with one list its own score. `tags` keeps the items that
 * carry every tag (given or predicted, core/tags.ts), before the lists are cut (tag-filter.ts).
 * `facets` counts the tags of the fused items. `debug` names the path that produced the items and
 * its weights. After the learned fusion, `personalWeight` passes on the personal weight that
 * `aisle train` chose for the search ranker.
 */
export function registerSearchRoute(app: FastifyInstance, states: ServingState): void {
  const { dim } = states.state.manifest;

  app.post<{ Body: SearchRequest }>('/v1/search', { schema: { body: searchBodySchema(dim) } }, (request): Promise<SearchResponse> =>
    states.use(async ({ catalog, ann, text, manifest, queryEncoder, textVectors, search }) => {
      const { query, k } = request.body;
      checkWeights(request.body);
      const depth = Math.max(k, FUSION_DEPTH);
      const clientVector = request.body.vector === undefined ? undefined : decodeQueryVector(request.body.vector, manifest.dim, 'vector');
      const vector = clientVector ?? (queryEncoder ? await queryEncoder.encode(query) : null);
      let source: SearchDebug['vector'] = 'none';
      if (clientVector) source = 'client';
      else if (vector) source = 'companion';

      // Exact cosine of any candidate in the space the vector list came from; read only when there is a vector.
      const cosine = (index: number) => (textVectors ? textVectors.score(vector as Float32Array, index) : dot(vector as Float32Array, catalog.vector(index)));
      const readVectors = (n: number) => (textVectors ? textVectors.search(vector as Float32Array, n) : ann.search(vector as Float32Array, n));
      // With tags, both lists keep only the tagged items before the cut to `depth` (tag-filter.ts).
      const required = request.body.tags ?? [];
      const tagged = required.length === 0 ? null : taggedItems(catalog.items, required);
      let textHits: FusedHit[];
      let vectorHits: FusedHit[] = [];
      if (tagged === null) {
        textHits = await text.search(query, depth);
        if (vector) vectorHits = await readVectors(depth);
      } else {
        textHits = tagged.size === 0 ? [] : await deepenedHits((n) => text.search(query, n), tagged, depth, catalog.size);
        const hasVector = (index: number) => (textVectors ? textVectors.has(index) : index < ann.ntotal);
        if (vector && tagged.size > 0) vectorHits = await filteredVectorHits(readVectors, cosine, hasVector, tagged, depth, textVectors ? textVectors.size : ann.ntotal);
      }
      const debug: SearchDebug = { method: 'bm25', vector: source, space: textVectors ? 'text' : 'behaviour', bm25Hits: textHits.length, vectorHits: vectorHits.length };
      const ignoredFields = Object.keys(request.body).filter((field) => !SEARCH_FIELDS.has(field));
      if (ignoredFields.length > 0) debug.ignoredFields = ignoredFields;
      let hits: readonly FusedHit[];
      let fusion = request.body.fusion ?? (search ? 'learned' : DEFAULT_FUSION);
      if (fusion === 'learned' && !search) {
        fusion = DEFAULT_FUSION;
        debug.note = `fusion 'learned' needs a search ranker, which these models (version ${manifest.version}) lack, so '${DEFAULT_FUSION}' ran; retrain with \`aisle train --only search-ranker\`.`;
      }
      if (!vector || vectorHits.length === 0) {
        hits = textHits;
      } else if (textHits.length === 0) {
        hits = vectorHits;
        debug.method = 'vector';
      } else if (fusion === 'learned' && search) {
        hits = learnedFusion(query, textHits, vectorHits, cosine, search.words, search.ranker, depth);
        debug.method = 'learned';
      } else if (fusion === 'weighted') {
        const weights = request.body.weights ?? DEFAULT_FUSION_WEIGHTS;
        hits = weightedFusion(textHits, vectorHits, cosine, weights, depth);
        Object.assign(debug, { method: 'weighted', weights });
      } else {
        hits = reciprocalRankFusion([textHits.map((hit) => hit.index), vectorHits.map((hit) => hit.index)], depth);
        debug.method = 'rrf';
      }
      // Both lists contain tagged items only, so every fused hit carries the tags.
      const facets = countFacets(hits.map((hit) => catalog.items[hit.index]));
      const items = hits.slice(0, k).map((hit) => ({ ...catalog.toWire(hit.index), searchScore: hit.score }));
      const personalWeight = debug.method === 'learned' ? search?.ranker.personalWeight : undefined;
      return { items, facets, debug, ...(personalWeight === undefined ? {} : { personalWeight }) };
    }),
  );
}
