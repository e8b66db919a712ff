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
  /** Returns copies of the records of the items seen so far, in the order they were seen. */
  records(): ExposureRecord[];
  /** Stops observing; items that are visible but not yet seen long enough are not recorded. */
  disconnect(): void;
}

/** The part of the SDK that the tracker calls. */
export interface ImpressionSink {
  track(event: AisleEventInput): Promise<unknown>;
}

interface SlotState {
  itemId: string;
  position: number;
  /** performance.now() when the current visible stretch began, or undefined while hidden. */
  visibleSince?: number;
  /** Milliseconds of visible stretches that ended. */
  pastVisibleMs: number;
  timer?: ReturnType<typeof setTimeout>;
  record?: ExposureRecord;
}

/** Starts recording which items of `container` become visible to the shopper. */
export function observeExposure(sink: ImpressionSink, container: Element, options: ExposureOptions = {}): ExposureTracker {
  const threshold = options.threshold ?? 0.5;
  if (typeof threshold !== 'number' || !(threshold > 0 && threshold <= 1)) throw invalid('threshold', threshold, 'a number in (0, 1]');
  const minVisibleMs = options.minVisibleMs ?? 1000;
  if (typeof minVisibleMs !== 'number' || !(minVisibleMs >= 0 && minVisibleMs <= 60_000)) throw invalid('minVisibleMs', minVisibleMs, 'milliseconds from 0 to 60000');
  if (typeof Element === 'undefined' || !(container instanceof Element)) throw invalid('container', container, 'a DOM element that contains the list items');
  if (typeof IntersectionObserver === 'undefined') throw new AisleError('AISLE_INVALID_ARGUMENT', 'observeExposure(): this browser has no IntersectionObserver, so exposure cannot be measured; track impressions with track({ type: "impression" }) instead.');
  const itemSelector = options.itemSelector ?? '[data-aisle-item]';
  const itemAttribute = options.itemAttribute ?? 'data-aisle-item';
  const listId = options.listId ?? (container.getAttribute('data-aisle-list') || container.id || 'list');

  const slots = new Map<Element, SlotState>();
  const seen: ExposureRecord[] = [];
  const seenKeys = new Set<string>();
  let stopped = false;

  const pageVisible = () => typeof document === 'undefined' || document.visibilityState !== 'hidden';
  const intersecting = new Set<Element>();

  const startStretch = (slot: SlotState) => {
    if (slot.visibleSince !== undefined || stopped) return;
    slot.visibleSince = performance.now();
    if (slot.record) return;
    slot.timer = setTimeout(() => onSeen(slot), minVisibleMs);
  };
  const endStretch = (slot: SlotState) => {
    if (slot.visibleSince === undefined) return;
    slot.pastVisibleMs += performance.now() - slot.visibleSince;
    slot.visibleSince = undefined;
    // The rule requires one unbroken stretch, so a break restarts the count.
    clearTimeout(slot.timer);
    slot.timer = undefined;
  };
  const visibleMsOf = (slot: SlotState) => slot.pastVisibleMs + (slot.visibleSince === undefined ? 0 : performance.now() - slot.visibleSince);

  const onSeen = (slot: SlotState) => {
    slot.timer = undefined;
    const key = `${slot.itemId}\u0000${slot.position}`;
    if (stopped || seenKeys.has(key)) return;
    seenKeys.add(key);
    slot.record = { itemId: slot.itemId, listId, position: slot.position, visibleMs: visibleMsOf(slot), seenAt: Date.now() };
    seen.push(slot.record);
    // track() resolves even when the worker is down. A rejection here means an invalid id in
    // the page's markup, so it is dropped rather than thrown from a timer.
    sink.track({ type: 'impression', itemId: slot.itemId, listId, position: slot.position }).catch(() => undefined);
    options.onImpression?.({ ...slot.record });
  };

  const observer = new IntersectionObserver(
    (entries) => {
      for (const entry of entries) {
        const slot = slots.get(entry.target);
        if (!slot) continue;
        const visible = entry.isIntersecting && entry.intersectionRatio >= threshold;
        if (visible) intersecting.add(entry.target);
        else intersecting.delete(entry.target);
        if (visible && pageVisible()) startStretch(slot);
        else endStretch(slot);
      }
    },
    // A tiny step below the threshold makes the observer report the crossing in both directions.
    { root: options.root ?? null, threshold: [0, Math.max(0, threshold - 1e-3), threshold] },
  );

  const items = () => Array.from(container.querySelectorAll(itemSelector));
  const attach = () => {
    items().forEach((element, index) => {
      const itemId = element.getAttribute(itemAttribute);
      if (!itemId) return;
      const positionText = element.getAttribute('data-aisle-position');
      const position = positionText !== null && /^\d+$/.test(positionText) ? Number(positionText) : index;
      const known = slots.get(element);
      if (known && known.itemId === itemId && known.position === position) return;
      if (known) {
        endStretch(known);
        observer.unobserve(element);
      }
      slots.set(element, { itemId, position, pastVisibleMs: 0 });
      observer.observe(element);
    });
    for (const [element, slot] of slots) {
      if (container.contains(element)) continue;
      endStretch(slot);
      observer.unobserve(element);
      intersecting.delete(element);
      slots.delete(element);
    }
  };

  const mutations = new MutationObserver(() => attach());
  mutations.observe(container, { childList: true, subtree: true, attributes: true, attributeFilter: [itemAttribute, 'data-aisle-position'] });
  const onVisibility = () => {
    for (const [element, slot] of slots) {
      if (pageVisible() && intersecting.has(element)) startStretch(slot);
      else endStretch(slot);
    }
  };
  document.addEventListener('visibilitychange', onVisibility);
  attach();

  return {
    listId,
    records: () => seen.map((record) => {
      const slot = [...slots.values()].find((entry) => entry.record === record);
      return { ...record, visibleMs: slot ? visibleMsOf(slot) : record.visibleMs };
    }),
    disconnect: () => {
      if (stopped) return;
      for (const slot of slots.values()) endStretch(slot);
      for (const record of seen) {
        const slot = [...slots.values()].find((entry) => entry.record === record);
        if (slot) record.visibleMs = slot.pastVisibleMs;
      }
      stopped = true;
      observer.disconnect();
      mutations.disconnect();
      document.removeEventListener('visibilitychange', onVisibility);
    },
  };
}

function invalid(name: string, value: unknown, expected: string): AisleError {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return new AisleError('AISLE_INVALID_ARGUMENT', `observeExposure(): ${name} must be ${expected}; got ${shown}.`);
}
