/**
 * HTTP client of the companion service. Decodes wire items (base64 vectors) into ItemRecords
 * and turns every failure into a coded AisleError: AISLE_TIMEOUT, AISLE_COMPANION_UNREACHABLE
 * or AISLE_COMPANION_ERROR (the companion's own error code and message are kept in the text).
 */
import { AisleError } from '../core/errors.js';
import type { CandidatesRequest, CandidatesResponse, ErrorBody, ItemRecord, ItemsResponse, ItemWire, SearchRequest, SearchResponse } from '../core/types.js';
import { decodeVector } from '../core/vector.js';
import { fetchWithTimeout, type FetchLike } from '../runtime/fetch.js';

/** Most ids the companion accepts in one GET /v1/items request. */
export const MAX_IDS_PER_REQUEST = 500;

/** ANN results with their inner-product scores, and the popular list. */
export interface CandidatesResult {
  ann: Array<{ item: ItemRecord; score: number }>;
  popular: ItemRecord[];
}

/** Typed calls to the companion's /v1 routes. */
export class CompanionClient {
  constructor(
    private readonly endpoint: string,
    private readonly fetchImpl: FetchLike,
    private readonly timeoutMs: () => number,
  ) {}

  /** POST /v1/candidates: items nearest to the user vector, plus the popular list. */
  async candidates(request: CandidatesRequest): Promise<CandidatesResult> {
    const body = await this.send<CandidatesResponse>('POST', '/v1/candidates', request);
    return {
      ann: body.items.flatMap((wire) => {
        const item = decodeItem(wire);
        return item ? [{ item, score: wire.annScore }] : [];
      }),
      popular: decodeItems(body.popular ?? []),
    };
  }

  /** GET /v1/items: records of the given ids; ids unknown to the catalog are left out. */
  async items(ids: readonly string[]): Promise<{ items: ItemRecord[]; missing: string[] }> {
    const items: ItemRecord[] = [];
    const missing: string[] = [];
    for (let start = 0; start < ids.length; start += MAX_IDS_PER_REQUEST) {
      const chunk = ids.slice(start, start + MAX_IDS_PER_REQUEST);
      const query = new URLSearchParams({ ids: chunk.join(',') });
      const body = await this.send<ItemsResponse>('GET', `/v1/items?${query}`);
      items.push(...decodeItems(body.items));
      missing.push(...body.missing);
    }
    return { items, missing };
  }

  /** POST /v1/search: hybrid text retrieval, best first, with the companion's fused scores, the method that made them and the models' personal weight for it. */
  async search(request: SearchRequest): Promise<{ hits: Array<{ item: ItemRecord; score: number }>; facets: Array<[string, number]>; method: string | undefined; personalWeight: number | undefined }> {
    const body = await this.send<SearchResponse>('POST', '/v1/search', request);
    const hits = body.items.flatMap((wire) => {
      const item = decodeItem(wire);
      return item ? [{ item, score: wire.searchScore }] : [];
    });
    const facets = Array.isArray(body.facets) ? body.facets.filter((facet) => typeof facet?.[0] === 'string' && Number.isInteger(facet[1])) : [];
    const method = typeof body.debug?.method === 'string' ? body.debug.method : undefined;
    const personalWeight = typeof body.personalWeight === 'number' ? body.personalWeight : undefined;
    return { hits, facets, method, personalWeight };
  }

  /** GET /v1/trending: the popular list, best first. */
  async trending(k: number): Promise<ItemRecord[]> {
    const body = await this.send<{ items: ItemWire[] }>('GET', `/v1/trending?k=${k}`);
    return decodeItems(body.items);
  }

  private async send<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const url = `${this.endpoint}${path}`;
    const operation = `${method} ${path.split('?')[0]}`;
    const init: RequestInit = body === undefined ? { method } : { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
    const response = await fetchWithTimeout(this.fetchImpl, url, init, this.timeoutMs(), operation);

    let parsed: unknown;
    try {
      parsed = await response.json();
    } catch (error) {
      throw new AisleError('AISLE_COMPANION_ERROR', `${operation} returned HTTP ${response.status} with a body that is not JSON; check that endpoint points at the Aisle companion.`, { cause: error });
    }
    if (!response.ok) {
      const error = (parsed as Partial<ErrorBody>).error;
      const detail = error ? `${error.code}: ${error.message}` : 'no error body';
      throw new AisleError('AISLE_COMPANION_ERROR', `${operation} failed with HTTP ${response.status} (${detail}).`, { details: { status: response.status, error } });
    }
    return parsed as T;
  }
}

/** Decodes a wire item; returns null for a vector that is not base64 float32. */
export function decodeItem(wire: ItemWire): ItemRecord | null {
  const vector = decodeVector(wire.vector);
  if (!vector) return null;
  const { vector: _encoded, ...rest } = wire;
  return { ...rest, vector };
}

function decodeItems(wires: readonly ItemWire[]): ItemRecord[] {
  return wires.flatMap((wire) => {
    const item = decodeItem(wire);
    return item ? [item] : [];
  });
}
