/**
 * True exposure: an IntersectionObserver that records which items of a list the shopper actually
 * saw, and sends each one to the worker once as an `impression` event with its list and slot.
 *
 * An item counts as seen when at least `threshold` of its area stays inside the viewport (or the
 * given scroll root) for `minVisibleMs` without a break, while the page is visible. The defaults,
 * half of the item for one second, are the IAB/MRC display viewability rule. Items are the
 * elements under the container that match `itemSelector` (default `[data-aisle-item]`, whose value
 * is the item id). The slot is `data-aisle-position` when set, else the element's index among
 * them. Items added to the container later are observed too.
 *
 * The observers themselves (exposure-observer.ts) are a chunk of their own, loaded by the first
 * observeExposure() of a page, because most pages never call it. The options are checked here,
 * so invalid ones still throw at once.
 */
import { AisleError } from '../core/errors.js';
import type { AisleEventInput } from '../core/types.js';

/** Options of `observeExposure`. */
export interface ExposureOptions {
  /** List id sent with each impression; default the container's `data-aisle-list`, else its id, else 'list'. */
  listId?: string;
  /** Share of an item's area that must be visible, in (0, 1]; default 0.5. */
  threshold?: number;
  /** Milliseconds an item must stay visible without a break, 0 to 60000; default 1000. */
  minVisibleMs?: number;
  /** CSS selector of the item elements; default '[data-aisle-item]'. */
  itemSelector?: string;
  /** Attribute of an item element that contains its item id; default 'data-aisle-item'. */
  itemAttribute?: string;
  /** Scroll container that clips the items; default the viewport. */
  root?: Element | null;
  /** Called once per item when it counts as seen, after the impression is sent. */
  onImpression?: (record: ExposureRecord) => void;
}

/** One item slot that the shopper saw. */
export interface ExposureRecord {
  itemId: string;
  listId: string;
  /** 0-based slot in the list. */
  position: number;
  /** Milliseconds the item was visible in total, up to now (it keeps counting after the impression). */
  visibleMs: number;
  /** Milliseconds since the Unix epoch when it passed minVisibleMs. */
  seenAt: number;
}

/** Handle of one observed list. */
export interface ExposureTracker {
  /** The list id sent with each impression, as resolved from the options and the container. */
  readonly listId: string;
  /**
   * Resolves once the items are observed, which is as soon as the observers' code is loaded (the
   * first call of a page fetches it). Rejects with AISLE_NOT_FOUND when that code cannot be
   * loaded, and then nothing is recorded.
   */
  readonly ready: Promise<void>;
  /** Returns copies of the records of the items seen so far, in the order they were seen. */
  records(): ExposureRecord[];
  /** Stops observing; items that are visible but not yet seen long enough are not recorded. */
  disconnect(): void;
}

/** The part of the SDK that the tracker calls. */
export interface ImpressionSink {
  track(event: AisleEventInput): Promise<unknown>;
}

/** The options of observeExposure, checked and with their defaults. */
export interface ExposureSettings {
  listId: string;
  threshold: number;
  minVisibleMs: number;
  itemSelector: string;
  itemAttribute: string;
  root: Element | null;
  onImpression: (record: ExposureRecord) => void;
}

/** The part of a tracker that the observers implement. */
export type ExposureObserver = Pick<ExposureTracker, 'records' | 'disconnect'>;

/**
 * Starts recording which items of `container` become visible to the shopper, once the observers'
 * code is loaded. Throws AISLE_INVALID_ARGUMENT for invalid options.
 */
export function observeExposure(sink: ImpressionSink, container: Element, options: ExposureOptions = {}): ExposureTracker {
  const settings = checkOptions(container, options);
  let observer: ExposureObserver | undefined;
  let stopped = false;
  const ready = import('./exposure-observer.js').then(
    ({ startObserving }) => {
      if (!stopped) observer = startObserving(sink, container, settings);
    },
    (error: unknown) => {
      throw new AisleError('AISLE_NOT_FOUND', `observeExposure(): loading the code of the observers failed: ${error instanceof Error ? error.message : String(error)}; deploy every file of dist/sdk next to aisle.js.`, { cause: error });
    },
  );
  // A page that never reads `ready` must not get an unhandled rejection.
  ready.catch(() => undefined);

  return {
    listId: settings.listId,
    ready,
    records: () => observer?.records() ?? [],
    disconnect: () => {
      stopped = true;
      observer?.disconnect();
    },
  };
}

function checkOptions(container: Element, options: ExposureOptions): ExposureSettings {
  const threshold = options.threshold ?? 0.5;
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1)) throw invalid('threshold', threshold, 'a number in (0, 1]');
  const minVisibleMs = options.minVisibleMs ?? 1000;
  if (typeof minVisibleMs !== 'number' || !(minVisibleMs >= 0 && minVisibleMs <= 60_000)) throw invalid('minVisibleMs', minVisibleMs, 'milliseconds from 0 to 60000');
  if (typeof Element === 'undefined' || !(container instanceof Element)) throw invalid('container', container, 'a DOM element that contains the list items');
  if (typeof IntersectionObserver === 'undefined') throw new AisleError('AISLE_INVALID_ARGUMENT', 'observeExposure(): this browser has no IntersectionObserver, so exposure cannot be measured; track impressions with track({ type: "impression" }) instead.');
  return {
    listId: options.listId ?? (container.getAttribute('data-aisle-list') || container.id || 'list'),
    threshold,
    minVisibleMs,
    itemSelector: options.itemSelector ?? '[data-aisle-item]',
    itemAttribute: options.itemAttribute ?? 'data-aisle-item',
    root: options.root ?? null,
    // Read when an item is seen, so a handler set on the options later is the one called.
    onImpression: (record) => options.onImpression?.(record),
  };
}

function invalid(name: string, value: unknown, expected: string): AisleError {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new AisleError('AISLE_INVALID_ARGUMENT', `observeExposure(): ${name} must be ${expected}; got ${shown}.`);
}
