/**
 * Popularity baseline: every user gets the same scores, the item's event count in training
 * prefixes. It ignores the history, so it is the floor any personalized model must beat.
 */
import type { LeaveOneOutUser } from '../data/dataset.js';
import { popularity } from '../data/covisit.js';
import { trainSequences } from '../data/split.js';
import type { SyncScorer } from '../evaluate.js';

/** Builds a scorer that returns each item's training event count, the same for every history. */
export function popularityScorer(users: readonly LeaveOneOutUser[], nItems: number): SyncScorer {
  const scores = Float32Array.from(popularity(trainSequences(users), nItems).counts);
  // A copy per call, so a caller that edits its scores cannot change the next user's.
  return () => scores.slice();
}
