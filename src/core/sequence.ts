/**
 * Builds the user tower's inputs from a history. Training and the worker share this code.
 *
 * Tower inputs for one shopper (batch 1, sequence length L, dim D):
 * - `item_vectors` float32 [1, L, D]: item vectors of the last L events, oldest first,
 *   left-padded with zeros so the newest event is always at position L-1;
 * - `event_types` int64 [1, L]: 0 for padding, else 1 + index in SEQUENCE_EVENT_TYPES;
 * - `ages` float32 [1, L]: age of each event, log-scaled into [0, 1] (see `ageFeature`);
 * - `mask` float32 [1, L]: 1 for a real event, 0 for padding.
 * Output `user_vector` float32 [1, D], L2-normalized.
 */
import { SEQUENCE_EVENT_TYPES, type HistoryEntry, type SequenceEventType } from './types.js';

/** Ages at or above this map to 1. */
export const MAX_AGE_MS = 30 * 24 * 3600 * 1000;

export interface TowerInput {
  itemVectors: Float32Array; // L·D
  eventTypes: BigInt64Array; // L
  ages: Float32Array; // L
  mask: Float32Array; // L
  /** Number of real (non-padding) positions. */
  length: number;
}

export function eventTypeId(type: SequenceEventType): number {
  return SEQUENCE_EVENT_TYPES.indexOf(type) + 1;
}

/**
 * Maps an event age in milliseconds to [0, 1] on a log scale: one minute ≈ 0.28, one day ≈ 0.77,
 * thirty days or more = 1. Ages below zero (a timestamp in the future, clock skew) count as zero.
 */
export function ageFeature(ageMs: number): number {
  if (!(ageMs > 0)) return 0;
  const seconds = Math.min(ageMs, MAX_AGE_MS) / 1000;
  return Math.log1p(seconds) / Math.log1p(MAX_AGE_MS / 1000);
}

/**
 * Fills the tower input for the last `seqLen` entries of `history` (time order, oldest first).
 * With `usesAges` false every age is 0, matching a tower trained on data without timestamps.
 */
export function buildTowerInput(history: readonly HistoryEntry[], seqLen: number, dim: number, now: number, usesAges: boolean): TowerInput {
  const itemVectors = new Float32Array(seqLen * dim);
  const eventTypes = new BigInt64Array(seqLen);
  const ages = new Float32Array(seqLen);
  const mask = new Float32Array(seqLen);
  const tail = history.slice(-seqLen);
  const offset = seqLen - tail.length;
  for (let i = 0; i < tail.length; i++) {
    const entry = tail[i];
    const position = offset + i;
    itemVectors.set(entry.item.vector.subarray(0, dim), position * dim);
    eventTypes[position] = BigInt(eventTypeId(entry.type));
    ages[position] = usesAges ? ageFeature(now - entry.timestamp) : 0;
    mask[position] = 1;
  }
  return { itemVectors, eventTypes, ages, mask, length: tail.length };
}
