/**
 * Retrieval sources of recommend(): ANN candidates for the user vector, or the popular list for a
 * shopper without one. Results are cached in memory and on the device per filter, tagged with
 * the user-vector version they were made for, so a failed companion call can still return
 * the last good result (marked degraded).
 */
import { RETRIEVAL } from '../core/candidates.js';
import type { Degraded, ItemRecord } from '../core/types.js';
import { encodeVector } from '../core/vector.js';
import type { EventStore } from '../store/types.js';
import type { ItemFilter } from '../client/protocol.js';
import type { CandidatesResult, CompanionClient } from './companion.js';
import { degradedFrom } from './scoring.js';

/** How long retrieval results are reused for an unchanged user vector. */
export const CANDIDATE_TTL_MS = 5 * 60 * 1000;

interface CachedResult {
  result: CandidatesResult;
  vectorVersion: number;
  expiresAt: number;
}

/** Retrieved sources with the reason they are stale, if they are. */
export interface Retrieved extends CandidatesResult {
  degraded?: Degraded;
}

/** Fetches and caches retrieval results. */
export class CandidateRetriever {
  private readonly memory = new Map<string, CachedResult>();

  constructor(
    private readonly companion: CompanionClient,
    private readonly store: EventStore,
    private readonly now: () => number,
  ) {}

  /**
   * Returns ANN results and the popular list for `userVector`, or only the popular list when it
   * is null. Never rejects: on a companion failure it returns the last cached result for the
   * same filter (any vector version), then the cached popular list, then nothing, with the reason.
   */
  async retrieve(userVector: Float32Array | null, vectorVersion: number, filter: ItemFilter | undefined): Promise<Retrieved> {
    const key = cacheKey(userVector !== null, filter);
    const cached = this.memory.get(key) ?? (await this.readStored(key));
    if (cached && cached.vectorVersion === vectorVersion && cached.expiresAt > this.now()) return cached.result;

    try {
      const result = userVector ? await this.companion.candidates({ vector: encodeVector(userVector), k: RETRIEVAL.annK, ...(filter ? { filter } : {}) }) : { ann: [], popular: await this.companion.trending(RETRIEVAL.popularK) };
      this.save(key, { result, vectorVersion, expiresAt: this.now() + CANDIDATE_TTL_MS });
      return result;
    } catch (error) {
      const degraded = degradedFrom(error, 'AISLE_COMPANION_UNREACHABLE');
      if (cached) return { ...cached.result, degraded };
      const popular = this.memory.get(cacheKey(false, undefined)) ?? (await this.readStored(cacheKey(false, undefined)));
      return { ann: [], popular: popular?.result.popular ?? [], degraded };
    }
  }

  /** Items of every cached result, to warm the item catalog after a reload. */
  cachedItems(): ItemRecord[] {
    return [...this.memory.values()].flatMap((entry) => [...entry.result.ann.map((hit) => hit.item), ...entry.result.popular]);
  }

  /** Drops every cached result (after forget()). */
  clear(): void {
    this.memory.clear();
  }

  private save(key: string, entry: CachedResult): void {
    this.memory.set(key, entry);
    // The device copy serves results after a reload while the companion is down. A failed
    // write (quota, closed database) only loses that copy.
    void this.store.putCache({ key, value: entry.result, expiresAt: entry.expiresAt, vectorVersion: entry.vectorVersion }).catch(() => undefined);
  }

  private async readStored(key: string): Promise<CachedResult | undefined> {
    const entry = await this.store.getCache<CandidatesResult>(key).catch(() => undefined);
    if (!entry) return undefined;
    const cached = { result: entry.value, vectorVersion: entry.vectorVersion, expiresAt: entry.expiresAt };
    this.memory.set(key, cached);
    return cached;
  }
}

function cacheKey(personal: boolean, filter: ItemFilter | undefined): string {
  const filterKey = filter ? JSON.stringify([filter.category ?? null, filter.brand ?? null]) : '';
  return `${personal ? 'candidates' : 'popular'}:${filterKey}`;
}
