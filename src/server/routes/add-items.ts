/**
 * POST /v1/items: adds items created after training (new products with text but no
 * interactions). Each gets its item vector from the item tower's content path
 * (item_content.onnx), a text vector from the query encoder, a place in the BM25 index and the
 * FAISS index, so it is searchable and recommendable at once, without retraining.
 *
 * A catalog write: it needs the admin token (ServerOptions.adminToken, `aisle serve` reads it
 * from the AISLE_ADMIN_TOKEN environment variable) as `Authorization: Bearer <token>`. Without a
 * token configured the route refuses every request.
 *
 * NOTE: added items live in memory until the companion stops or reloads its models directory,
 * because a reload swaps in the state of the directory. Add them again after a restart or reload,
 * or retrain to make them part of the models.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AisleError } from '../../core/errors.js';
import { ITEM_CONTENT, writeContentTokens } from '../../core/item-content.js';
import type { CatalogFileEntry } from '../../core/model-dir.js';
import { voteTags } from '../../core/tags.js';
import { itemText } from '../../core/text-pieces.js';
import type { ItemMeta, ItemWire } from '../../core/types.js';
import { addItemsBodySchema } from '../schemas.js';
import type { QueryEncoder } from '../query-encoder.js';
import type { ServerState } from '../state.js';
import type { ServingState } from '../serving-state.js';
import { presentedToken } from './admin.js';

/** Body of POST /v1/items. */
export interface AddItemsRequest {
  items: ItemMeta[];
}

/** Body of a POST /v1/items response: the added items as the other routes serve them. */
export interface AddItemsResponse {
  items: ItemWire[];
  /**
   * Model that gave the item vectors: the item tower's content path, or, for models trained
   * before it was exported, the query encoder over the item text (it maps text into the same
   * item space, less precisely).
   */
  vectorsFrom: 'item-content' | 'query-encoder';
}

function checkToken(request: FastifyRequest, adminToken: string | undefined): void {
  if (!adminToken) {
    throw new AisleError('AISLE_UNAUTHORIZED', 'POST /v1/items is off: the companion has no admin token. Start it with AISLE_ADMIN_TOKEN set (or ServerOptions.adminToken) and send `Authorization: Bearer <token>`.');
  }
  const sent = Buffer.from(presentedToken(request.headers.authorization));
  const expected = Buffer.from(adminToken);
  if (sent.length !== expected.length || !timingSafeEqual(sent, expected)) {
    throw new AisleError('AISLE_UNAUTHORIZED', 'POST /v1/items needs `Authorization: Bearer <token>` with the companion\'s admin token (AISLE_ADMIN_TOKEN).');
  }
}

// GET /v1/items and the SDK's item lookups separate ids with commas, so an id with one could be
// searched and recommended but never fetched by id.
function checkIdCharacters(items: readonly ItemMeta[]): void {
  const withComma = items.filter((item) => item.id.includes(',')).map((item) => item.id);
  if (withComma.length > 0) {
    throw new AisleError('AISLE_INVALID_REQUEST', `Invalid request: ids ${JSON.stringify(withComma)} contain a comma, which separates ids in GET /v1/items?ids=; use ids without commas.`, { details: { ids: withComma } });
  }
}

function checkNewIds(items: readonly ItemMeta[], state: ServerState): void {
  const seen = new Set<string>();
  const repeated = items.filter((item) => seen.size === seen.add(item.id).size).map((item) => item.id);
  if (repeated.length > 0) {
    throw new AisleError('AISLE_INVALID_REQUEST', `Invalid request: ids ${JSON.stringify(repeated)} appear more than once in \`body.items\`; send each item once.`, { details: { ids: repeated } });
  }
  const existing = items.filter((item) => state.catalog.indexOf(item.id) !== undefined).map((item) => item.id);
  if (existing.length > 0) {
    throw new AisleError('AISLE_CONFLICT', `The catalog already has items ${JSON.stringify(existing)}; an added item needs a new id (changing a trained item needs \`aisle train\`).`, { details: { ids: existing } });
  }
  const empty = items.filter((item) => itemText(item) === '' && (item.tags ?? []).length === 0).map((item) => item.id);
  if (empty.length > 0) {
    throw new AisleError('AISLE_INVALID_REQUEST', `Invalid request: items ${JSON.stringify(empty)} have no title, category, brand or tags, so nothing places them; send some text.`, { details: { ids: empty } });
  }
}

/** Registers POST /v1/items; `adminToken` guards it. */
export function registerAddItemsRoute(app: FastifyInstance, states: ServingState, adminToken: string | undefined): void {
  // One add at a time, so catalog indices, FAISS labels and BM25 ids stay in step.
  let queue: Promise<unknown> = Promise.resolve();

  // The token is checked on arrival, before the body is parsed and validated, so a caller without
  // it learns nothing about the body's rules and cannot make the server parse a large body.
  const onRequest = async (request: FastifyRequest) => checkToken(request, adminToken);
  app.post<{ Body: AddItemsRequest }>('/v1/items', { schema: { body: addItemsBodySchema }, onRequest }, async (request): Promise<AddItemsResponse> => {
    checkIdCharacters(request.body.items);
    const run = queue.then(() => states.use(async (state) => {
      const { itemContent, queryEncoder } = state;
      if (!itemContent && !queryEncoder) {
        throw new AisleError('AISLE_INVALID_REQUEST', `The models in ${state.modelsDir} have neither an item content model (item_content.onnx) nor a query encoder, so new items get no vector; retrain with this version of \`aisle train\`.`);
      }
      const items = request.body.items;
      checkNewIds(items, state);
      let vectors: Float32Array;
      if (itemContent) {
        const width = ITEM_CONTENT.tokensPerItem;
        const ids = new Int32Array(items.length * width);
        const weights = new Float32Array(items.length * width);
        items.forEach((item, row) => writeContentTokens(item, itemText(item), ids, weights, row * width));
        vectors = await itemContent.run(ids, weights, items.length, width);
      } else {
        vectors = await (queryEncoder as QueryEncoder).encodeMany(items.map((item) => [itemText(item), ...(item.tags ?? [])].join(' ')));
      }
      const zero = items.filter((_, row) => vectors.subarray(row * state.manifest.dim, (row + 1) * state.manifest.dim).every((value) => value === 0));
      if (zero.length > 0) {
        throw new AisleError('AISLE_INVALID_REQUEST', `Invalid request: items ${JSON.stringify(zero.map((item) => item.id))} have no words the models can place; send a title.`, { details: { ids: zero.map((item) => item.id) } });
      }

      const textVectors = state.textVectors ? await state.textVectors.encode(items) : undefined;
      const predicted = await predictTags(state, textVectors, items.length);
      const entries: CatalogFileEntry[] = items.map((item, row) => ({ ...item, ...(predicted[row].length > 0 ? { predictedTags: predicted[row] } : {}), stats: { popularity: 0, trending: 0 } }));
      const first = state.catalog.size;
      // FAISS first: if it fails, nothing else has changed.
      await state.ann.add(vectors);
      state.catalog.append(entries, vectors);
      await state.text.add(items);
      await state.textVectors?.append(first, items, textVectors);
      state.search?.words.append(entries);
      request.log.info({ added: items.length, first }, 'items added to the catalog');
      return { items: entries.map((_, offset) => state.catalog.toWire(first + offset)), vectorsFrom: itemContent ? ('item-content' as const) : ('query-encoder' as const) };
    }));
    queue = run.catch(() => undefined);
    return run;
  });
}

/** Neighbours whose tags vote for a new item's predicted tags, as `aisle train` uses. */
export const TAG_NEIGHBOURS = 10;
// Nearest items fetched to find TAG_NEIGHBOURS of them that carry tags.
const TAG_SEARCH_DEPTH = 4 * TAG_NEIGHBOURS;

/**
 * Predicts the tags of new items from the tags of the catalog items whose text vectors are
 * nearest to theirs (`vectors`, row-major), the vote `aisle train` runs by title (core/tags.ts
 * voteTags). Returns an empty list per item when the models have no text vectors.
 */
async function predictTags(state: ServerState, vectors: Float32Array | undefined, count: number): Promise<Array<Array<[string, number]>>> {
  const { textVectors, catalog } = state;
  if (!textVectors || !vectors) return Array.from({ length: count }, () => []);
  const out: Array<Array<[string, number]>> = [];
  for (let row = 0; row < count; row++) {
    const hits = await textVectors.search(vectors.subarray(row * textVectors.dim, (row + 1) * textVectors.dim), TAG_SEARCH_DEPTH);
    const neighbours = hits
      .map((hit) => ({ tags: catalog.items[hit.index].tags ?? [], similarity: hit.score }))
      .filter((neighbour) => neighbour.tags.length > 0)
      .slice(0, TAG_NEIGHBOURS);
    out.push(voteTags(neighbours));
  }
  return out;
}
