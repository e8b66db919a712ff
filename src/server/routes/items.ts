/**
 * GET /v1/items and GET /v1/trending: items by id, and the popular list.
 */
import type { FastifyInstance } from 'fastify';
import { AisleError } from '../../core/errors.js';
import type { ItemWire } from '../../core/types.js';
import { POPULAR_LIST_SIZE } from '../catalog.js';
import { JsonBody } from '../item-json.js';
import { itemsQuerySchema, LIMITS, trendingQuerySchema } from '../schemas.js';
import type { ServingState } from '../serving-state.js';

/** Body of GET /v1/trending: items best first. */
export interface TrendingResponse {
  items: ItemWire[];
}

// Splits the comma-separated ids parameter, dropping empty entries and repeats.
function parseIds(param: string): string[] {
  const ids = [...new Set(param.split(',').filter((id) => id.length > 0))];
  if (ids.length === 0) {
    throw new AisleError('AISLE_INVALID_REQUEST', 'Invalid request: `querystring.ids` has no ids. Pass ?ids=a,b,c.', { details: { field: 'querystring.ids' } });
  }
  if (ids.length > LIMITS.maxItemIds) {
    throw new AisleError('AISLE_INVALID_REQUEST', `Invalid request: \`querystring.ids\` has ${ids.length} ids, more than the limit of ${LIMITS.maxItemIds}. Split the request.`, {
      details: { field: 'querystring.ids', limit: LIMITS.maxItemIds },
    });
  }
  const long = ids.find((id) => id.length > LIMITS.maxIdLength);
  if (long !== undefined) {
    throw new AisleError('AISLE_INVALID_REQUEST', `Invalid request: an id in \`querystring.ids\` has ${long.length} characters, more than the limit of ${LIMITS.maxIdLength}.`, {
      details: { field: 'querystring.ids', limit: LIMITS.maxIdLength },
    });
  }
  return ids;
}

// Parses the k parameter of /v1/trending: decimal digits only, from 1 to LIMITS.maxK.
function parseTrendingK(param: string | undefined): number {
  if (param === undefined) return POPULAR_LIST_SIZE;
  const k = /^[0-9]+$/.test(param) ? Number(param) : Number.NaN;
  if (!Number.isInteger(k) || k < 1 || k > LIMITS.maxK) {
    throw new AisleError('AISLE_INVALID_REQUEST', `Invalid request: \`querystring.k\` must be integer from 1 to ${LIMITS.maxK}, got ${JSON.stringify(param)}.`, {
      details: { field: 'querystring.k', limit: LIMITS.maxK },
    });
  }
  return k;
}

/**
 * Registers GET /v1/items and GET /v1/trending. Bodies are an ItemsResponse and a
 * TrendingResponse, assembled from the cached JSON bytes of each item.
 */
export function registerItemRoutes(app: FastifyInstance, states: ServingState): void {
  // These routes read only JavaScript data, which stays valid after a reload, so they need no lease.
  app.get<{ Querystring: { ids: string } }>('/v1/items', { schema: { querystring: itemsQuerySchema } }, async (request, reply): Promise<Buffer> => {
    const { catalog, liveJson } = states.state;
    const found: number[] = [];
    const missing: string[] = [];
    for (const id of parseIds(request.query.ids)) {
      const index = catalog.indexOf(id);
      if (index === undefined) missing.push(id);
      else found.push(index);
    }
    const body = new JsonBody().text('{"items":').array(found, (part, index) => liveJson.append(part, index));
    void reply.type('application/json; charset=utf-8');
    return body.text(`,"missing":${JSON.stringify(missing)}}`).toBuffer();
  });

  // Trending items of the live counters first, then the most popular items of the training data.
  app.get<{ Querystring: { k?: string } }>('/v1/trending', { schema: { querystring: trendingQuerySchema } }, async (request, reply): Promise<Buffer> => {
    const k = parseTrendingK(request.query.k);
    const { liveJson } = states.state;
    void reply.type('application/json; charset=utf-8');
    return new JsonBody().text('{"items":').bytes(liveJson.coldStart(k)).text('}').toBuffer();
  });
}
