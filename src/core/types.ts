/**
 * Shared data shapes of Aisle: events, items, the model manifest and the companion's HTTP
 * contract. Core, the worker, the companion and the training CLI all import these, so a change
 * here is a change of contract.
 *
 * Vectors: every item vector, user vector and query vector has the same dim D (`manifest.dim`).
 * Item vectors are L2-normalized, so an inner product is a cosine. On the wire a vector is a
 * base64 string of little-endian float32 values (see `vector-codec.ts`).
 */
import type { LiveSignals } from './live-events.js';

/** Kinds of shopper behaviour that `track()` accepts. */
export const EVENT_TYPES = ['view', 'click', 'add_to_cart', 'purchase', 'search', 'impression'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** Event types that enter the behaviour sequence of the user tower, in the order of their type id (0 is padding). */
export const SEQUENCE_EVENT_TYPES = ['view', 'click', 'add_to_cart', 'purchase'] as const;
export type SequenceEventType = (typeof SEQUENCE_EVENT_TYPES)[number];

/** An event as the storefront passes it to `track()`. */
export interface AisleEventInput {
  type: EventType;
  /** Catalog item id; required for every type except `search`. */
  itemId?: string;
  /** Caller-chosen id that makes `track()` idempotent (a retried event counts once). */
  eventId?: string;
  /** Milliseconds since the Unix epoch; defaults to the time of the call. */
  timestamp?: number;
  /** Id of the list the item was shown in (a recommendation row, a search result page). */
  listId?: string;
  /** 0-based position of the item in that list. */
  position?: number;
  /** Query text, required for `search` events. */
  query?: string;
}

/** An event after validation: every optional field that has a default is filled in. */
export interface AisleEvent {
  type: EventType;
  itemId?: string;
  eventId: string;
  timestamp: number;
  listId?: string;
  position?: number;
  query?: string;
}

/** Catalog metadata of an item, as the companion serves it. */
export interface ItemMeta {
  id: string;
  title?: string;
  category?: string;
  brand?: string;
  price?: number;
  /** Attribute or tag ids/names (category path entries, brand, learned tags). */
  tags?: string[];
  /**
   * Tags that `aisle train` predicts from the tags of similar items (by title, else by item
   * vector), best first, with a confidence in [0, 1]. There are at most 5, each with a confidence
   * of at least 0.4 (training/tags/predicted-tags.ts). They may repeat entries of `tags`.
   */
  predictedTags?: Array<[tag: string, confidence: number]>;
  image?: string;
  url?: string;
}

/** Aggregate, anonymous statistics of an item that the companion ships as ranker input. */
export interface ItemStats {
  /** log1p(interaction count in training data) / log1p(max count), in [0, 1]. */
  popularity: number;
  /** Short-window over long-window activity, in [0, 1]; 0 when no live counters exist. */
  trending: number;
}

/** An item with everything the worker needs to rank it. */
export interface ItemRecord extends ItemMeta {
  /** L2-normalized item vector, dim D. */
  vector: Float32Array;
  stats: ItemStats;
  /** Items most often seen right after this one (co-visitation), best first, with scores in (0, 1]. */
  neighbors?: Array<[itemId: string, score: number]>;
  /** Live counters of the companion; not a ranker feature, so models trained without them still fit. */
  live?: LiveSignals;
}

/** Wire form of ItemRecord in companion responses (vector as base64 float32 LE). */
export interface ItemWire extends ItemMeta {
  vector: string;
  stats: ItemStats;
  neighbors?: Array<[string, number]>;
  /** Live counters; every companion response sets it. */
  live?: LiveSignals;
}

/** Retrieval source that proposed a candidate. */
export const CANDIDATE_SOURCES = ['ann', 'covisit', 'popular', 'given', 'search'] as const;
export type CandidateSource = (typeof CANDIDATE_SOURCES)[number];

/** An item proposed for ranking, with how it was retrieved. */
export interface Candidate {
  item: ItemRecord;
  sources: CandidateSource[];
  /** Inner product of the user vector and the item vector from ANN search, when it came from ANN. */
  annScore?: number;
  /** 0-based rank in the ANN result list, when it came from ANN. */
  annRank?: number;
}

/** One past event of the shopper, joined with the item it refers to. */
export interface HistoryEntry {
  item: ItemRecord;
  type: SequenceEventType;
  /** Milliseconds since the Unix epoch. */
  timestamp: number;
}

/** Reason a result is not the fully personalized one. */
export interface Degraded {
  reason: string;
  code: string;
}

export interface ScoredItem {
  id: string;
  score: number;
  item?: ItemMeta;
  /**
   * search() only: how many places the shopper's behaviour moved the item up from the companion's
   * text order (0 when it kept or lost its place).
   */
  lifted?: number;
}

export interface RankResult {
  items: ScoredItem[];
  /**
   * Random id of this list, set by recommend() while the device is in an experiment. Pass it as
   * `listId` when tracking a click, add_to_cart or purchase from the list, so the outcome counts
   * for the experiment.
   */
  rankingId?: string;
  /** search() only: tags of the matching items with their counts, most common first (for facets). */
  facets?: Array<[tag: string, count: number]>;
  degraded?: Degraded;
  /** Milliseconds spent inside the worker. */
  tookMs: number;
}

// ---------------------------------------------------------------------------------------------
// Manifest written by `aisle train` and read by the worker and the companion.

export interface ModelFileEntry {
  file: string;
  sha256: string;
  bytes: number;
}

export interface Manifest {
  format: 1;
  /** Model set version; changes whenever any file changes. */
  version: string;
  dataset: string;
  createdAt: string;
  dim: number;
  /** Sequence length L of the user tower. */
  seqLen: number;
  /** Whether the user tower was trained with real event ages; when false the worker feeds zeros. */
  usesAges: boolean;
  /** Ranker input features, in column order. Must equal FEATURE_NAMES of the core that serves it. */
  features: string[];
  models: {
    userTower: ModelFileEntry;
    ranker: ModelFileEntry;
    /** The float32 student, kept for measuring what int8 quantization costs. Not downloaded by the worker. */
    rankerFp32?: ModelFileEntry;
    /** Text to query vector for semantic search (absent in models trained before it existed). */
    queryEncoder?: ModelFileEntry;
    /**
     * The item tower's content path: an item vector from content alone, for items added after
     * training (POST /v1/items). Companion only; the worker never downloads it.
     */
    itemContent?: ModelFileEntry;
    /**
     * The search ranker (JSON, core/search-ranker.ts) that orders BM25 and vector hits together,
     * the 'learned' fusion. Companion only.
     */
    searchRanker?: ModelFileEntry;
  };
  /** Files the companion loads: item catalog, vectors and the FAISS index. */
  catalog: {
    items: number;
    itemsFile: string;
    vectorsFile: string;
    indexFile: string;
    indexType: string;
  };
}

// ---------------------------------------------------------------------------------------------
// Companion HTTP contract (JSON bodies).

export interface CandidatesRequest {
  /** base64 float32 LE user vector, dim D. */
  vector: string;
  k: number;
  exclude?: string[];
  /** Exact-match metadata filters, e.g. { category: 'Lipstick' }. */
  filter?: { category?: string; brand?: string };
}

export interface CandidatesResponse {
  items: Array<ItemWire & { annScore: number }>;
  /** Most popular items in training data (for cold start and as a retrieval source), best first. */
  popular?: ItemWire[];
  index: { type: string; version: string; ntotal: number };
}

export interface ItemsResponse {
  items: ItemWire[];
  /** Requested ids that are not in the catalog. */
  missing: string[];
}

export interface SearchRequest {
  query: string;
  k: number;
  /**
   * Optional base64 float32 query vector for hybrid retrieval. Without it, the companion encodes
   * the query text itself when its models have a query encoder.
   */
  vector?: string;
  /** Fusion of BM25 and vector hits: 'rrf' (reciprocal rank fusion) or 'weighted' (the default). */
  fusion?: SearchFusion;
  /** Weights of the 'weighted' fusion; default DEFAULT_FUSION_WEIGHTS in server/fusion.ts. */
  weights?: FusionWeights;
  /** Only items that carry every one of these tags, given or predicted (a facet selection). */
  tags?: string[];
}

/** Fusion of BM25 and vector hits in POST /v1/search. */
export type SearchFusion = 'rrf' | 'weighted' | 'learned';

/** Weights of BM25 and vector scores in the 'weighted' fusion (each in [0, 1]). */
export interface FusionWeights {
  bm25: number;
  vector: number;
}

export interface SearchResponse {
  items: Array<ItemWire & { searchScore: number }>;
  /**
   * Tags (given or predicted) of the matching items before the list is cut to k, with how many
   * items carry each. Most common first, at most SEARCH_FACETS.
   */
  facets: Array<[tag: string, count: number]>;
  /** Which path produced the items. */
  debug: SearchDebug;
  /**
   * For the 'learned' fusion, the weight of the shopper's ranker score in the worker's rerank that
   * `aisle train` chose for these models (search_ranker.json `personalWeight`); absent otherwise.
   */
  personalWeight?: number;
}

/** The debug section of a search response. */
export interface SearchDebug {
  /** 'bm25' or 'vector' when only one list had hits (or there was no vector), else the fusion used. */
  method: 'bm25' | 'vector' | SearchFusion;
  /** Source of the query vector. */
  vector: 'client' | 'companion' | 'none';
  /** Vectors the query vector was searched among: the items' text vectors, or their behavioural vectors. */
  space: 'text' | 'behaviour';
  /** Weights used, for the 'weighted' fusion. */
  weights?: FusionWeights;
  /** Reason the requested fusion did not run, when it did not. */
  note?: string;
  /** Hits of each list before fusion. */
  bm25Hits: number;
  vectorHits: number;
  /**
   * Top-level request fields this companion does not know and ignored (a newer client's field,
   * or a typo such as `tag` for `tags`). Absent when there are none.
   */
  ignoredFields?: string[];
}

/** JSON body of every companion error response. */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}
