/** Texts of the storefront that depend on counts and engine outcomes, kept pure so they are testable. */
import { formatMs } from './dom.js';

/** Reason and code of a failed or degraded engine call. */
export interface FailureNote {
  reason: string;
  code: string;
}

/** Returns "1 action", "2 actions": the count with the noun in singular or plural. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/**
 * Returns the fallback notice for a listing whose engine call failed (`result` null) or came back
 * degraded, or undefined for a personalized one. `failure` is the error of a failed call. The
 * notice names the reason itself, because the status panel's "Degraded" line lists only the
 * engine's current issues and not the error of one call.
 */
export function fallbackNotice(result: { degraded?: FailureNote } | null, failure: FailureNote | undefined): string | undefined {
  if (result && !result.degraded) return undefined;
  const note = result?.degraded ?? failure;
  const reason = note ? ` (${note.code}: ${note.reason})` : '';
  return `Personalization is unavailable right now${reason}, so these items are in the store’s default order.`;
}

/** Returns the subtitle of a search results page. */
export function searchSubtitle(count: number, reranked: boolean, tookMs: number | undefined): string {
  if (count === 0) return 'No results. Try fewer or other words.';
  return reranked ? `${plural(count, 'result')}, reranked for you in ${formatMs(tookMs)}.` : `${plural(count, 'result')}.`;
}

/** Returns the subtitle of the recommended row once it is personalized. */
export function personalRowSubtitle(eventCount: number, tookMs: number | undefined): string {
  return `Picked on this device from your last ${plural(eventCount, 'action')}, ranked in ${formatMs(tookMs)}.`;
}

/** Subtitle of the row of a device in an experiment's popularity control. */
export const CONTROL_ROW_SUBTITLE = 'Trending now across all shoppers (this device is in the popularity control of an experiment).';
