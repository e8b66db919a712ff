/**
 * Candidate set assembly, shared by the worker and the offline evaluation so that the served
 * pipeline and the reported figures retrieve the same candidates.
 *
 * A recommendation's candidates are the union, in this order of precedence, of:
 * 1. the ANN results for the user vector (top RETRIEVAL.annK),
 * 2. the co-visitation neighbors of the last RECENT_WINDOW history items,
 * 3. the RETRIEVAL.popularK most popular items (the only source for a shopper without history).
 * Items in the history are removed unless the caller asks to keep them.
 */
import { RECENT_WINDOW } from './features.js';
import type { Candidate, CandidateSource, HistoryEntry, ItemRecord } from './types.js';

export const RETRIEVAL = {
  /** ANN results requested from the companion per recommendation. */
  annK: 200,
  /** Co-visitation neighbors taken from each recent history item. */
  neighborsPerItem: 20,
  /** Popular items added to every candidate set. */
  popularK: 50,
  /**
   * HNSW efSearch stored in the index file by `aisle train` and used by the offline evaluation;
   * the companion uses the stored value unless `--ef-search` overrides it. At least annK, so
   * HNSW can return annK hits.
   */
  efSearch: 256,
} as const;

export interface CandidateSources {
  /** ANN results, best first, with their inner-product scores. */
  ann: ReadonlyArray<{ item: ItemRecord; score: number }>;
  /** Records of co-visited items; those not in this map are skipped (the caller could not fetch them). */
  itemsById: ReadonlyMap<string, ItemRecord>;
  /** Popular items, best first. */
  popular: readonly ItemRecord[];
}

/** Ids of the co-visitation neighbors of the recent history, in the order `mergeCandidates` reads them. */
export function covisitIds(history: readonly HistoryEntry[]): string[] {
  const ids: string[] = [];
  const seen = new Set<string>();
  for (const entry of history.slice(-RECENT_WINDOW).reverse()) {
    for (const [id] of (entry.item.neighbors ?? []).slice(0, RETRIEVAL.neighborsPerItem)) {
      if (!seen.has(id)) {
        seen.add(id);
        ids.push(id);
      }
    }
  }
  return ids;
}

/**
 * Unions the retrieval sources into one candidate list without duplicates. An item found by
 * several sources appears once, listing every source; its position is that of its first source.
 */
export function mergeCandidates(history: readonly HistoryEntry[], sources: CandidateSources, options: { keepHistory?: boolean; exclude?: ReadonlySet<string> } = {}): Candidate[] {
  const excluded = new Set(options.exclude ?? []);
  if (!options.keepHistory) for (const entry of history) excluded.add(entry.item.id);

  const byId = new Map<string, Candidate>();
  const add = (item: ItemRecord, source: CandidateSource, ann?: { score: number; rank: number }) => {
    if (excluded.has(item.id)) return;
    const existing = byId.get(item.id);
    if (existing) {
      if (!existing.sources.includes(source)) existing.sources.push(source);
      return;
    }
    const candidate: Candidate = { item, sources: [source] };
    if (ann) {
      candidate.annScore = ann.score;
      candidate.annRank = ann.rank;
    }
    byId.set(item.id, candidate);
  };

  sources.ann.forEach((hit, rank) => add(hit.item, 'ann', { score: hit.score, rank }));
  for (const id of covisitIds(history)) {
    const item = sources.itemsById.get(id);
    if (item) add(item, 'covisit');
  }
  for (const item of sources.popular.slice(0, RETRIEVAL.popularK)) add(item, 'popular');
  return [...byId.values()];
}
