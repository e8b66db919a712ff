/**
 * The driver's record of each shopper of a browser experiment (scripts/bench/experiment-browser-run.ts)
 * and its summary per variant, kept apart from the driver so that they load without Playwright.
 */

/** Record of one row as the shopper saw it, to diagnose a run. */
export interface RowRecord {
  /** 'personalized', or 'fallback' when the page showed a notice (recommend() degraded or failed). */
  state: string;
  /** Error code of the notice of a fallback row. */
  code?: string;
  /** Events the page counted as stored when it asked for the row. */
  events: number;
  /** Items of the row that are in the companion's trending list of the same size, read after the row. */
  popularOverlap: number;
  /** Chance that the shopper clicks the row under the click model without fatigue: the row's taste match. */
  expectedClick: number;
  /** Slot the shopper clicked, if any. */
  clicked?: number;
  /** Items of the row the shopper already opened in this session (its past products and clicks). */
  opened: number;
  /** Item ids of the row, in order. */
  ids: string[];
}

/** Record of one shopper's session, as the driver kept it. */
export interface ShopperSession {
  seed: number;
  variant: string;
  /** Ranking ids of the rows shown, in order: one exposure each. */
  rankings: string[];
  clicks: number;
  /** Rows shown without a ranking id; they are no exposure. */
  unrankedRows: number;
  /** Each row shown, in order. */
  rows: RowRecord[];
  /** The engine status panel at the end of the session: backend and degraded reasons of info(). */
  engine: { backend: string; degraded: string };
}

/**
 * Returns one line per variant on what its rows showed: fallback rows with their error codes, the
 * mean expected click of a row (its taste match) and the rows' items from the trending list.
 */
export function describeRows(sessions: readonly ShopperSession[]): string[] {
  const variants = new Map<string, RowRecord[]>();
  for (const session of sessions) variants.set(session.variant, [...(variants.get(session.variant) ?? []), ...session.rows]);
  return [...variants].map(([variant, rows]) => {
    const fallbacks = rows.filter((row) => row.state !== 'personalized');
    const codes = [...new Set(fallbacks.map((row) => row.code ?? 'no code'))].join(', ');
    const mean = (pick: (row: RowRecord) => number) => rows.reduce((sum, row) => sum + pick(row), 0) / Math.max(1, rows.length);
    const fallbackText = fallbacks.length === 0 ? '0 fallback rows' : `${fallbacks.length} fallback rows (${codes})`;
    return `${variant}: ${rows.length} rows, ${fallbackText}, expected click ${mean((row) => row.expectedClick).toFixed(3)}, ${mean((row) => row.popularOverlap).toFixed(1)} trending items per row`;
  });
}
