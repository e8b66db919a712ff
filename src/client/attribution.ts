/**
 * Attribution of experiment outcomes to the list that led to them, across page loads. A store
 * tracks a click on the list page with the list's ranking id, but usually tracks add_to_cart and
 * purchase later, on a product or checkout page that no longer has that id. So the device keeps
 * the ranking ids it exposed and, per item, the ranking id of its last click from an exposed list.
 * A later add_to_cart or purchase of that item without a listId counts for that list, while the
 * list's outcome window is open.
 *
 * The state is kept in localStorage when the SDK persists anything (storage 'indexeddb'), else in
 * memory for this page. Each change reads, merges and writes the stored value in one synchronous
 * step, so tabs of the same store add to one record instead of overwriting each other.
 */
import { OUTCOME_EVENT_TYPES } from '../core/live-events.js';

/** Most exposed ranking ids and clicked items kept; the oldest go first. */
export const MAX_ATTRIBUTION_ENTRIES = 200;

/** Stored state, oldest entries first. */
interface AttributionState {
  /** Pairs of ranking id and exposure time in ms since the epoch. */
  exposures: Array<[string, number]>;
  /** Triples of item id, ranking id of its last click and click time, one per item. */
  clicks: Array<[string, string, number]>;
}

type KeyValueStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export class OutcomeAttribution {
  private memory: AttributionState = { exposures: [], clicks: [] };

  constructor(
    // Set to undefined after a read or write throws, so the state then stays in memory.
    private storage: KeyValueStorage | undefined,
    private readonly key: string,
    /** Milliseconds after its exposure in which a list's outcomes count. */
    private readonly windowMs: number,
    private readonly now: () => number,
  ) {}

  /** Records that the list `rankingId` was exposed at `time`. */
  exposed(rankingId: string, time: number): void {
    this.update((state) => {
      if (!state.exposures.some(([id]) => id === rankingId)) state.exposures.push([rankingId, time]);
    });
  }

  /** Returns the exposure time of `rankingId` when its outcome window is open, else undefined. */
  exposedAt(rankingId: string): number | undefined {
    const entry = this.read().exposures.find(([id]) => id === rankingId);
    return entry !== undefined && this.now() - entry[1] <= this.windowMs ? entry[1] : undefined;
  }

  /**
   * Returns the ranking id an outcome event counts for, or undefined: its `listId` when that is an
   * exposed list in its window, else for add_to_cart and purchase the list of the item's last
   * click. A click with an exposed list id is remembered for its item.
   */
  attribute(type: string, itemId: string | undefined, listId: string | undefined): string | undefined {
    if (!OUTCOME_EVENT_TYPES.has(type)) return undefined;
    const fromList = listId !== undefined && this.exposedAt(listId) !== undefined ? listId : undefined;
    if (type === 'click') {
      if (fromList !== undefined && itemId !== undefined) this.rememberClick(itemId, fromList);
      return fromList;
    }
    if (fromList !== undefined || itemId === undefined) return fromList;
    const click = this.read().clicks.find(([item]) => item === itemId);
    return click !== undefined && this.exposedAt(click[1]) !== undefined ? click[1] : undefined;
  }

  /** Erases every stored exposure and click, for forget(). */
  clear(): void {
    this.memory = { exposures: [], clicks: [] };
    try {
      this.storage?.removeItem(this.key);
    } catch {
      // Storage that throws (private mode) keeps nothing, so there is nothing to remove.
    }
  }

  private rememberClick(itemId: string, rankingId: string): void {
    this.update((state) => {
      state.clicks = state.clicks.filter(([item]) => item !== itemId);
      state.clicks.push([itemId, rankingId, this.now()]);
    });
  }

  private read(): AttributionState {
    if (!this.storage) return this.memory;
    let text: string | null;
    try {
      text = this.storage.getItem(this.key);
    } catch {
      // A blocked localStorage (some sandboxed frames) keeps the state for this page only.
      this.storage = undefined;
      return this.memory;
    }
    try {
      const parsed: unknown = JSON.parse(text ?? 'null');
      if (isState(parsed)) return parsed;
    } catch {
      // A value another version or a script wrote that is not ours is replaced on the next write.
    }
    return { exposures: [], clicks: [] };
  }

  // Reads, changes, drops entries whose window closed and keeps the newest MAX_ATTRIBUTION_ENTRIES.
  private update(change: (state: AttributionState) => void): void {
    const state = this.read();
    change(state);
    const oldest = this.now() - this.windowMs;
    state.exposures = state.exposures.filter(([, time]) => time >= oldest).slice(-MAX_ATTRIBUTION_ENTRIES);
    const open = new Set(state.exposures.map(([id]) => id));
    state.clicks = state.clicks.filter(([, ranking]) => open.has(ranking)).slice(-MAX_ATTRIBUTION_ENTRIES);
    this.memory = state;
    if (!this.storage) return;
    try {
      this.storage.setItem(this.key, JSON.stringify(state));
    } catch {
      // A full or blocked localStorage keeps the state for this page only.
      this.storage = undefined;
    }
  }
}

function isState(value: unknown): value is AttributionState {
  if (typeof value !== 'object' || value === null) return false;
  const { exposures, clicks } = value as Partial<AttributionState>;
  const exposuresOk = Array.isArray(exposures) && exposures.every((entry) => Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'number');
  const clicksOk = Array.isArray(clicks) && clicks.every((entry) => Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'string' && typeof entry[2] === 'number');
  return exposuresOk && clicksOk;
}
