/**
 * Turns user sequences into the user tower's left-padded input layout (the one of
 * `core/sequence.ts`): a window of at most L events, newest at the last position.
 *
 * A training window pairs each input position with the next item as its target, so one pass
 * trains next-item prediction at every position. Ages are measured from the time of the last
 * target, the moment at which the tower would have been asked for a recommendation.
 */
import { ageFeature, eventTypeId } from '../../core/sequence.js';
import type { UserSequence } from '../data/dataset.js';

/** One window of events; arrays are in time order, oldest first, without padding. */
export interface SequenceWindow {
  items: Int32Array;
  /** Next item after each position; absent for inference windows. */
  targets?: Int32Array;
  types: Int32Array;
  ages: Float32Array;
}

/** A padded batch: row-major [rows, length] arrays, item -1 and mask 0 at padding. */
export interface PaddedBatch {
  rows: number;
  length: number;
  items: Int32Array;
  targets: Int32Array;
  types: Int32Array;
  ages: Float32Array;
  mask: Float32Array;
}

/**
 * Cuts training windows from a sequence. The newest L+1 events give L input positions and L
 * targets. A longer sequence gives further windows, each ending L events earlier, so old events
 * are trained on too.
 */
export function trainingWindows(sequence: UserSequence, seqLen: number, usesAges: boolean): SequenceWindow[] {
  const windows: SequenceWindow[] = [];
  for (let end = sequence.items.length; end >= 2; end -= seqLen) {
    const start = Math.max(0, end - seqLen - 1);
    const inputs = window(sequence, start, end - 1, usesAges ? sequence.timestamps?.[end - 1] : undefined);
    windows.push({ ...inputs, targets: sequence.items.slice(start + 1, end) });
  }
  return windows;
}

/**
 * Builds the inference window of a history: its last L events, with ages measured from `now` (ms
 * since the epoch) when `usesAges` is true and the sequence has timestamps, else zero.
 */
export function historyWindow(history: UserSequence, seqLen: number, now: number | undefined): SequenceWindow {
  const start = Math.max(0, history.items.length - seqLen);
  return window(history, start, history.items.length, now);
}

function window(sequence: UserSequence, start: number, end: number, now: number | undefined): SequenceWindow {
  const length = end - start;
  const types = new Int32Array(length);
  const ages = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    types[i] = eventTypeId(sequence.types?.[start + i] ?? 'view');
    const time = sequence.timestamps?.[start + i];
    ages[i] = now !== undefined && time !== undefined ? ageFeature(now - time) : 0;
  }
  return { items: sequence.items.slice(start, end), types, ages };
}

/** Left-pads windows to the longest one, so the newest event of every row is at the last position. */
export function padWindows(windows: readonly SequenceWindow[]): PaddedBatch {
  const rows = windows.length;
  const length = Math.max(1, ...windows.map((w) => w.items.length));
  const batch: PaddedBatch = {
    rows,
    length,
    items: new Int32Array(rows * length).fill(-1),
    targets: new Int32Array(rows * length).fill(-1),
    types: new Int32Array(rows * length),
    ages: new Float32Array(rows * length),
    mask: new Float32Array(rows * length),
  };
  windows.forEach((w, row) => {
    const offset = row * length + length - w.items.length;
    batch.items.set(w.items, offset);
    if (w.targets) batch.targets.set(w.targets, offset);
    batch.types.set(w.types, offset);
    batch.ages.set(w.ages, offset);
    batch.mask.fill(1, offset, offset + w.items.length);
  });
  return batch;
}
