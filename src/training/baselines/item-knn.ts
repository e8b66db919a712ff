/**
 * Item-kNN baseline on co-visitation: an item scores by how often it followed the last items of
 * the history in training prefixes (`buildCovisitation`). The last item counts fully, and older
 * ones by `decay` per step back. Popularity, scaled by 1e-4, breaks ties
 * among items with the same co-visitation score, including the many with none.
 */
import type { LeaveOneOutUser } from '../data/dataset.js';
import { buildCovisitation, popularity, type CovisitOptions } from '../data/covisit.js';
import { trainSequences } from '../data/split.js';
import type { SyncScorer } from '../evaluate.js';

/** Options of `itemKnnScorer`; co-visitation options default to window 1, forward and backward, top 200. */
export interface ItemKnnOptions extends CovisitOptions {
  /** History items that vote, newest first (default 1: the last item only). */
  lastItems?: number;
  /** Weight of each older voting item relative to the next newer one (default 0.5). */
  decay?: number;
}

const TIE_BREAK = 1e-4;

/** Builds an item-kNN scorer from the training prefixes of `users`. */
export function itemKnnScorer(users: readonly LeaveOneOutUser[], nItems: number, options: ItemKnnOptions = {}): SyncScorer {
  const train = trainSequences(users);
  const covisitation = buildCovisitation(train, nItems, { window: 1, backward: 1, topM: 200, ...options });
  const prior = popularity(train, nItems).scores.map((value) => value * TIE_BREAK);
  const lastItems = options.lastItems ?? 1;
  const decay = options.decay ?? 0.5;

  return (history) => {
    const scores = prior.slice();
    let weight = 1;
    for (let back = 1; back <= Math.min(lastItems, history.items.length); back++) {
      const { items, scores: neighborScores } = covisitation.neighbors(history.items[history.items.length - back]);
      for (let k = 0; k < items.length; k++) scores[items[k]] += weight * neighborScores[k];
      weight *= decay;
    }
    return scores;
  };
}
