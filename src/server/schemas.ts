/**
 * JSON schemas of the companion's request bodies and query strings. Every string, array and
 * number has a bound, so the size of the work a request can cause is known before it runs.
 * Unknown top-level fields are allowed, so a newer SDK can call an older companion. An unknown
 * filter key is rejected, because ignoring it would return unfiltered items.
 */

/** Bounds of request fields. */
export const LIMITS = {
  maxK: 1000,
  maxExclude: 1000,
  maxIdLength: 256,
  maxQueryLength: 512,
  maxItemIds: 500,
  /**
   * Characters of the comma-separated ids parameter of /v1/items: ids plus separators.
   * NOTE: Node's default `http.maxHeaderSize` (16 KiB) covers the URL, so a longer URL gets a 431
   * long before this bound applies.
   */
  maxIdsParamLength: 500 * 257,
  maxFilterLength: 256,
  /** Items per POST /v1/items request. */
  maxAddItems: 1000,
  /** Characters of an added item's title, category, brand, image and url. */
  maxTextLength: 1024,
  /** Tags per added item. */
  maxTags: 64,
  /** Bytes of a request body. */
  bodyLimit: 256 * 1024,
} as const;

/** Limits a caller can change through createServer. */
export type ServerLimits = Partial<Pick<typeof LIMITS, 'bodyLimit'>>;

/**
 * Returns the largest base64 length accepted for a vector of `dim` floats. The schema allows up to
 * twice the right length, so a vector of a wrong dim reaches the decoder and gets the precise
 * AISLE_INVALID_VECTOR reason, while a huge string is still rejected early.
 */
export function maxVectorLength(dim: number): number {
  return 4 * Math.ceil((dim * 2 * 4) / 3);
}

function vectorSchema(dim: number) {
  return { type: 'string', minLength: 1, maxLength: maxVectorLength(dim) } as const;
}

const kSchema = { type: 'integer', minimum: 1, maximum: LIMITS.maxK } as const;

/** Schema of the POST /v1/candidates body. */
export function candidatesBodySchema(dim: number) {
  return {
    type: 'object',
    required: ['vector', 'k'],
    properties: {
      vector: vectorSchema(dim),
      k: kSchema,
      exclude: {
        type: 'array',
        maxItems: LIMITS.maxExclude,
        items: { type: 'string', minLength: 1, maxLength: LIMITS.maxIdLength },
      },
      filter: {
        type: 'object',
        additionalProperties: false,
        properties: {
          category: { type: 'string', minLength: 1, maxLength: LIMITS.maxFilterLength },
          brand: { type: 'string', minLength: 1, maxLength: LIMITS.maxFilterLength },
        },
      },
    },
  } as const;
}

/** Schema of the POST /v1/search body. */
export function searchBodySchema(dim: number) {
  return {
    type: 'object',
    required: ['query', 'k'],
    properties: {
      query: { type: 'string', maxLength: LIMITS.maxQueryLength },
      k: kSchema,
      vector: vectorSchema(dim),
      fusion: { type: 'string', enum: ['rrf', 'weighted', 'learned'] },
      tags: { type: 'array', maxItems: LIMITS.maxTags, items: { type: 'string', minLength: 1, maxLength: LIMITS.maxFilterLength } },
      weights: {
        type: 'object',
        required: ['bm25', 'vector'],
        additionalProperties: false,
        properties: { bm25: { type: 'number', minimum: 0, maximum: 1 }, vector: { type: 'number', minimum: 0, maximum: 1 } },
      },
    },
  } as const;
}

/** Schema of the GET /v1/items query string. */
export const itemsQuerySchema = {
  type: 'object',
  required: ['ids'],
  properties: {
    ids: { type: 'string', minLength: 1, maxLength: LIMITS.maxIdsParamLength },
  },
} as const;

/**
 * Schema of the GET /v1/trending query string. `k` stays a string here, because the server turns
 * off Ajv's type coercion, and the route parses it as an integer.
 */
export const trendingQuerySchema = {
  type: 'object',
  properties: {
    k: { type: 'string', minLength: 1, maxLength: 16 },
  },
} as const;

/**
 * Schema of the GET /models/:file path parameters. An empty or unknown name passes, so the route
 * returns the same 404 as for any other file it does not serve.
 */
export const modelFileParamsSchema = {
  type: 'object',
  required: ['file'],
  properties: { file: { type: 'string', maxLength: 255 } },
} as const;

/** Schema of the POST /v1/items body: new items, each with an id and some text. */
export const addItemsBodySchema = {
  type: 'object',
  required: ['items'],
  additionalProperties: false,
  properties: {
    items: {
      type: 'array',
      minItems: 1,
      maxItems: LIMITS.maxAddItems,
      items: {
        type: 'object',
        required: ['id'],
        additionalProperties: false,
        properties: {
          id: { type: 'string', minLength: 1, maxLength: LIMITS.maxIdLength },
          title: { type: 'string', maxLength: LIMITS.maxTextLength },
          category: { type: 'string', maxLength: LIMITS.maxTextLength },
          brand: { type: 'string', maxLength: LIMITS.maxTextLength },
          price: { type: 'number', minimum: 0 },
          tags: { type: 'array', maxItems: LIMITS.maxTags, items: { type: 'string', minLength: 1, maxLength: LIMITS.maxFilterLength } },
          image: { type: 'string', maxLength: LIMITS.maxTextLength },
          url: { type: 'string', maxLength: LIMITS.maxTextLength },
        },
      },
    },
  },
} as const;
