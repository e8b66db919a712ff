/**
 * The observers of observeExposure (exposure.ts), which loads this module on first use: an
 * IntersectionObserver that times each item's visible stretches, and a MutationObserver that
 * follows the items added, moved or removed later.
 */
import type { ExposureObserver, ExposureRecord, ExposureSettings, ImpressionSink } from './exposure.js';

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

/** Observes the items of `container` with checked `settings` until disconnect(). */
export function startObserving(sink: ImpressionSink, container: Element, settings: ExposureSettings): ExposureObserver {
  const { listId, threshold, minVisibleMs, itemSelector, itemAttribute, root, onImpression } = settings;
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
    onImpression({ ...slot.record });
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
    { root, threshold: [0, Math.max(0, threshold - 1e-3), threshold] },
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
