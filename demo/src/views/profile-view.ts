/**
 * "Your profile": what profile() returns, in readable form. Events become a list of the products
 * behind them, counts become bars and a vector becomes a colour strip. Any other field is shown
 * under its own name, so nothing the engine stores stays hidden from the shopper.
 */
import type { CatalogItem } from '../catalog.js';
import { h } from '../dom.js';
import { plural } from '../messages.js';
import { productImage } from '../image.js';

const EVENT_LABELS: Record<string, string> = {
  view: 'Viewed',
  click: 'Opened',
  add_to_cart: 'Added to cart',
  purchase: 'Bought',
  search: 'Searched for',
  impression: 'Saw',
};

/** One event as profile() lists it, as far as the page reads it. */
interface ProfileEvent {
  type: string;
  itemId?: string;
  query?: string;
  timestamp?: number;
}

function isEventList(value: unknown): value is ProfileEvent[] {
  return Array.isArray(value) && value.length > 0 && value.every((entry) => typeof entry === 'object' && entry !== null && typeof (entry as ProfileEvent).type === 'string');
}

function isNumberRecord(value: unknown): value is Record<string, number> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value) &&
    Object.values(value).length > 0 && Object.values(value).every((entry) => typeof entry === 'number');
}

function isVector(value: unknown): value is ArrayLike<number> {
  return (ArrayBuffer.isView(value) && !(value instanceof DataView)) || (Array.isArray(value) && value.length >= 8 && value.every((entry) => typeof entry === 'number'));
}

/** Headings of the known profile() fields. Other fields get a heading made from their name. */
const SECTION_LABELS: Record<string, string> = {
  events: 'Your recent activity',
  userVector: 'Your user vector (what the ranking model sees)',
  vectorVersion: 'User vector version',
  counts: 'Stored events by type',
  storage: 'Stored in',
};

/** Turns a camelCase or snake_case key into a heading. */
function labelOf(key: string): string {
  if (SECTION_LABELS[key]) return SECTION_LABELS[key];
  const words = key.replace(/_/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function timeAgo(timestamp: number | undefined): string {
  if (timestamp === undefined) return '';
  const seconds = Math.max(0, Math.round((Date.now() - timestamp) / 1000));
  if (seconds < 5) return 'just now';
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(timestamp).toLocaleDateString('en-US');
}

/**
 * Counts the shopper's actions in a profile: the events of the longest event list, or 0.
 * Impressions do not count, because the row's exposure observer records them, not the shopper.
 */
export function countProfileEvents(profile: object | null): number {
  if (!profile) return 0;
  return Math.max(0, ...Object.values(profile).filter(isEventList).map((events) => events.filter((event) => event.type !== 'impression').length));
}

/**
 * Returns the number of items in the cart, rebuilt from the stored events: per item, its
 * add_to_cart events minus its purchases, never below 0. The demo has no cart of its own, so this
 * is what the header shows after a reload. Forget me erases the events and so empties the cart.
 * NOTE: the engine keeps only the newest maxEvents events (1000 by default), so older adds drop out.
 */
export function cartCount(profile: object | null): number {
  if (!profile) return 0;
  const perItem = new Map<string, number>();
  for (const event of Object.values(profile).filter(isEventList).flat()) {
    if (!event.itemId) continue;
    const count = perItem.get(event.itemId) ?? 0;
    if (event.type === 'add_to_cart') perItem.set(event.itemId, count + 1);
    if (event.type === 'purchase') perItem.set(event.itemId, Math.max(0, count - 1));
  }
  return [...perItem.values()].reduce((sum, count) => sum + count, 0);
}

/** Item ids the profile's events refer to, so the caller can fetch their titles first. */
export function profileItemIds(profile: object | null): string[] {
  if (!profile) return [];
  const ids = Object.values(profile).filter(isEventList).flat().map((event) => event.itemId);
  return [...new Set(ids.filter((id): id is string => typeof id === 'string'))];
}

function eventList(events: ProfileEvent[], lookup: (id: string) => CatalogItem | undefined, onOpenId: (id: string) => void): HTMLElement {
  const newestFirst = [...events].sort((a, b) => (b.timestamp ?? 0) - (a.timestamp ?? 0)).slice(0, 40);
  return h(
    'ol',
    { class: 'event-list' },
    ...newestFirst.map((event) => {
      const item = event.itemId ? lookup(event.itemId) : undefined;
      const subject = event.type === 'search' ? `“${event.query ?? ''}”` : item?.title ?? event.itemId ?? '';
      const link = event.itemId
        ? h('a', { text: subject, attrs: { href: `#/item/${encodeURIComponent(event.itemId)}` }, on: { click: (clickEvent) => { clickEvent.preventDefault(); onOpenId(event.itemId as string); } } })
        : h('span', { text: subject });
      return h(
        'li',
        { class: 'event', data: { testid: 'profile-event', type: event.type } },
        h('div', { class: 'event-thumb', html: item ? productImage(item) : '' }),
        h('div', { class: 'event-text' }, h('span', { class: 'event-type', text: EVENT_LABELS[event.type] ?? event.type }), ' ', link, item?.category ? h('span', { class: 'event-category', text: ` · ${item.category}` }) : null),
        h('time', { class: 'event-time', text: timeAgo(event.timestamp) }),
      );
    }),
  );
}

/** Counts a profile's item events per category of the item, for a summary a shopper can read. */
function categoryCounts(events: ProfileEvent[], lookup: (id: string) => CatalogItem | undefined): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of events) {
    const category = event.itemId ? lookup(event.itemId)?.category : undefined;
    if (category) counts[category] = (counts[category] ?? 0) + 1;
  }
  return counts;
}

function countBars(counts: Record<string, number>): HTMLElement {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]).slice(0, 12);
  const max = Math.max(...entries.map(([, count]) => Math.abs(count)), 1e-9);
  return h(
    'ul',
    { class: 'bars' },
    ...entries.map(([name, count]) =>
      h('li', {}, h('span', { class: 'bar-label', text: name }), h('span', { class: 'bar', attrs: { style: `width:${(Math.abs(count) / max) * 100}%` } }), h('span', { class: 'bar-value', text: Number.isInteger(count) ? String(count) : count.toFixed(3) })),
    ),
  );
}

function vectorStrip(vector: ArrayLike<number>): HTMLElement {
  const values = Array.from(vector);
  const max = Math.max(...values.map(Math.abs), 1e-9);
  const cells = values.map((value) => {
    const strength = Math.round((Math.abs(value) / max) * 70);
    const hue = value >= 0 ? 172 : 14;
    return `<span style="background:hsl(${hue} 60% ${95 - strength * 0.6}%)"></span>`;
  });
  return h('div', {}, h('div', { class: 'vector-strip', html: cells.join('') }), h('p', { class: 'muted', text: `${values.length} numbers; teal is positive, orange negative.` }));
}

function valueView(value: unknown): HTMLElement {
  if (isNumberRecord(value)) return countBars(value);
  if (isVector(value)) return vectorStrip(value);
  if (value !== null && typeof value === 'object' && Object.keys(value).length === 0) return h('p', { class: 'stat', text: 'None' });
  if (value !== null && typeof value === 'object') return h('pre', { class: 'raw', text: JSON.stringify(value, null, 2) });
  const text = value === undefined || value === null ? 'None yet: it appears after your first product view.' : String(value);
  return h('p', { class: 'stat', text });
}

/** Builds the profile view. `lookup` resolves item ids to catalog items fetched beforehand. */
export function profileView(
  profile: object | null,
  lookup: (id: string) => CatalogItem | undefined,
  actions: { onForget: () => void; onOpenId: (id: string) => void },
): HTMLElement {
  const count = countProfileEvents(profile);
  const header = h(
    'div',
    { class: 'profile-head' },
    h('div', {}, h('h1', { text: 'Your profile' }), h('p', { class: 'muted', text: 'Everything below is stored in this browser only. Forget me erases it.' })),
    h('button', { class: 'button button-ghost', text: 'Forget me', data: { testid: 'forget-profile' }, on: { click: actions.onForget } }),
  );
  const sections: HTMLElement[] = [];
  if (!profile) {
    sections.push(h('p', { class: 'notice', text: 'The engine is not running, so there is no profile to show.' }));
  } else if (count === 0) {
    sections.push(h('p', { class: 'empty', data: { testid: 'profile-empty' }, text: 'Nothing is stored about you on this device.' }));
  }
  for (const [key, value] of Object.entries(profile ?? {})) {
    if (isEventList(value)) {
      // Impressions are what the row recorded as seen, not the shopper's actions, so they get one line.
      const shopperEvents = value.filter((event) => event.type !== 'impression');
      const impressions = value.length - shopperEvents.length;
      const impressionNote = impressions > 0 && h('p', { class: 'muted', data: { testid: 'profile-impressions' }, text: `Also stored: ${plural(impressions, 'impression')} of recommended items you saw.` });
      sections.push(h('section', { class: 'profile-section' }, h('h2', { text: `${labelOf(key)} (${shopperEvents.length})` }), eventList(shopperEvents, lookup, actions.onOpenId), impressionNote));
      const byCategory = categoryCounts(shopperEvents, lookup);
      if (Object.keys(byCategory).length > 0) sections.push(h('section', { class: 'profile-section' }, h('h2', { text: 'Categories you looked at' }), countBars(byCategory)));
      continue;
    }
    if (Array.isArray(value) && value.length === 0) continue;
    sections.push(h('section', { class: 'profile-section' }, h('h2', { text: labelOf(key) }), valueView(value)));
  }
  return h('div', { class: 'profile-view', data: { testid: 'profile-view', eventCount: String(count) } }, header, ...sections);
}
