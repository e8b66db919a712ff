/**
 * Retrieval sources of recommend(): ANN candidates for the user vector, or the popular list for a
 * shopper without one. Results are cached in memory and on the device per filter, tagged with
 * the user vector and its version they were made for. They are reused while the user vector
 * stays within CANDIDATE_REUSE_DISTANCE of that vector, and a failed companion call can still
 * return the last good result (marked degraded).
 */
import { RETRIEVAL } from '../core/candidates.js';
import type { Degraded } from '../core/types.js';
import { dot, encodeVector } from '../core/vector.js';
import type { EventStore } from '../store/types.js';
import type { ItemFilter } from '../client/protocol.js';
import type { CandidatesResult, CompanionClient } from './companion.js';
import { degradedFrom } from './scoring.js';

/** How long retrieval results are reused for an unchanged user vector. */
export const CANDIDATE_TTL_MS = 5 * 60 * 1000;

/**
 * Maximum cosine distance (1 - cos) between the current user vector and the one cached
 * candidates were retrieved for at which they are still reused. Two user-like vectors (means of
 * 5 demo item vectors) 0.01 apart share 92% of their top 200 items by inner product, in an exact
 * search over the 3,000 demo item vectors (30 trials). The ranker rescores the reused candidates
 * with the current vector.
 */
export const CANDIDATE_REUSE_DISTANCE = 0.01;

/** Retrieval results as cached, with the user vector they were retrieved for. */
export interface CachedResult {
  result: CandidatesResult;
  vectorVersion: number;
  /** Absent in entries stored before the vector was kept; those match by version only. */
  userVector?: Float32Array | null;
  expiresAt: number;
}

/** The device copy of a CachedResult: the retrieval result plus the user vector. */
type StoredCandidates = CandidatesResult & { userVector?: Float32Array | null };

/** Retrieved sources with the reason they are stale, if they are. */
export interface Retrieved extends CandidatesResult {
  degraded?: Degraded;
}

/** Fetches and caches retrieval results. */
export class CandidateRetriever {
  private readonly memory = new Map<string, CachedResult>();
  /** Retrievals served from the cache (hits) and from the companion or a failure (misses). */
  readonly counters = { hits: 0, misses: 0 };

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
    if (cached && isReusable(cached, userVector, vectorVersion, this.now())) {
      this.counters.hits += 1;
      return cached.result;
    }
    this.counters.misses += 1;

    try {
      const result = userVector ? await this.companion.candidates({ vector: encodeVector(userVector), k: RETRIEVAL.annK, ...(filter ? { filter } : {}) }) : { ann: [], popular: await this.companion.trending(RETRIEVAL.popularK) };
      this.save(key, { result, vectorVersion, userVector, expiresAt: this.now() + CANDIDATE_TTL_MS });
      return result;
    } catch (error) {
      const degraded = degradedFrom(error, 'AISLE_COMPANION_UNREACHABLE');
      if (cached) return { ...cached.result, degraded };
      const popular = this.memory.get(cacheKey(false, undefined)) ?? (await this.readStored(cacheKey(false, undefined)));
      return { ann: [], popular: popular?.result.popular ?? [], degraded };
    }
  }

  /** Drops every cached result (after forget()). */
  clear(): void {
    this.memory.clear();
  }

  private save(key: string, entry: CachedResult): void {
    this.memory.set(key, entry);
    // The device copy serves results after a reload while the companion is down. A failed
    // write (quota, closed database) only loses that copy.
    const value: StoredCandidates = { ...entry.result, userVector: entry.userVector ?? null };
    void this.store.putCache({ key, value, expiresAt: entry.expiresAt, vectorVersion: entry.vectorVersion }).catch(() => undefined);
  }

  private async readStored(key: string): Promise<CachedResult | undefined> {
    const entry = await this.store.getCache<StoredCandidates>(key).catch(() => undefined);
    if (!entry) return undefined;
    const { userVector, ...result } = entry.value;
    const cached = { result, vectorVersion: entry.vectorVersion, userVector, expiresAt: entry.expiresAt };
    this.memory.set(key, cached);
    return cached;
  }
}

/**
 * Returns whether cached candidates serve `userVector`: not expired, and made for the same
 * vector version or for a vector within CANDIDATE_REUSE_DISTANCE of it. The distance is taken
 * to the vector they were retrieved for, so small moves cannot add up past the threshold.
 */
export function isReusable(cached: CachedResult, userVector: Float32Array | null, vectorVersion: number, now: number): boolean {
  if (cached.expiresAt <= now) return false;
  if (cached.vectorVersion === vectorVersion) return true;
  if (!userVector || !cached.userVector || cached.userVector.length !== userVector.length) return false;
  return cosineDistance(userVector, cached.userVector) <= CANDIDATE_REUSE_DISTANCE;
}

/** Returns 1 - cos(a, b); 1 when either vector is zero. */
export function cosineDistance(a: Float32Array, b: Float32Array): number {
  const lengths = Math.sqrt(dot(a, a) * dot(b, b));
  return lengths > 0 ? 1 - dot(a, b) / lengths : 1;
}

function cacheKey(personal: boolean, filter: ItemFilter | undefined): string {
  const filterKey = filter ? JSON.stringify([filter.category ?? null, filter.brand ?? null]) : '';
  return `${personal ? 'candidates' : 'popular'}:${filterKey}`;
}
