/**
 * Shoppers of the demo store and the click model that writes their histories.
 *
 * Each shopper has hidden tastes: 1–3 preferred categories (the later ones complements of the
 * first), 1–3 preferred brands among those categories, a price level and a preferred style.
 * Histories are sessions spread over 30 days. Within a session the shopper mostly stays in the
 * current category and moves to an item of close style, often of the same brand. Sometimes the
 * shopper switches to a complementary category, and after a purchase switches to one with
 * probability 0.7 (socks after shoes, mugs after coffee). That order is the sequential signal that
 * lets a sequence model beat popularity. Each visit is one event of the deepest funnel step reached:
 * view, click, add_to_cart or purchase. A shopper never visits the same item twice.
 */
import type { SequenceEventType } from '../../core/types.js';
import { DEMO_CATEGORIES, type DemoBrand, type DemoItem } from './demo-catalog.js';
import type { Random } from '../../core/random.js';

/** One generated event. */
export interface DemoEvent {
  item: number;
  type: SequenceEventType;
  timestamp: number;
}

/** Hidden tastes of one shopper. */
export interface DemoTaste {
  categories: number[];
  categoryWeights: number[];
  brands: Set<number>;
  /** Preferred price divided by the category median. */
  priceLevel: number;
  style: number;
  /** Cache of `utility` per item (-1 = not computed yet), filled while generating. */
  utilities?: Float64Array;
}

/** Start of the generated 30-day window: 2026-11-01T00:00:00Z. */
export const DEMO_START_MS = Date.UTC(2026, 10, 1);
const DAY_MS = 24 * 3600 * 1000;
const WINDOW_DAYS = 30;

/** Index of the demo catalog used by the click model. */
export interface DemoCatalogIndex {
  items: readonly DemoItem[];
  brands: readonly DemoBrand[];
  /** Item indices per category. */
  byCategory: number[][];
  categoryIndex: Map<string, number>;
}

/** Groups the items by category for the click model. */
export function indexCatalog(items: readonly DemoItem[], brands: readonly DemoBrand[]): DemoCatalogIndex {
  const byCategory = DEMO_CATEGORIES.map(() => [] as number[]);
  items.forEach((item, i) => byCategory[item.category].push(i));
  return { items, brands, byCategory, categoryIndex: new Map(DEMO_CATEGORIES.map((category, c) => [category.name, c])) };
}

/** Draws one shopper's hidden tastes. */
export function drawTaste(random: Random, catalog: DemoCatalogIndex): DemoTaste {
  const first = random.weighted(DEMO_CATEGORIES.map((category) => category.share));
  const complements = DEMO_CATEGORIES[first].complements.map((name) => catalog.categoryIndex.get(name) as number);
  const categories = [first, ...random.shuffle(complements).slice(0, random.int(3))];
  const candidates = catalog.brands.map((_, b) => b).filter((b) => catalog.brands[b].categories.some((c) => categories.includes(c)));
  const brands = new Set(random.shuffle(candidates).slice(0, 1 + random.int(3)));
  return {
    categories,
    categoryWeights: categories.map((_, i) => (i === 0 ? 2 : 1)),
    brands,
    priceLevel: random.pick([0.7, 1, 1.4]),
    style: random.next(),
  };
}

/** Generates one shopper's history, oldest first. */
export function generateHistory(random: Random, catalog: DemoCatalogIndex, taste: DemoTaste): DemoEvent[] {
  const sessions = 1 + Math.min(9, Math.floor(-Math.log(1 - random.next()) * 2.5));
  const starts = Array.from({ length: sessions }, () => DEMO_START_MS + random.next() * WINDOW_DAYS * DAY_MS).sort((a, b) => a - b);
  const seen = new Set<number>();
  const events: DemoEvent[] = [];
  let lastPurchase: number | undefined;
  for (const start of starts) {
    const from = lastPurchase !== undefined && random.next() < 0.5 ? complementOf(random, catalog, lastPurchase) : preferredCategory(random, taste);
    lastPurchase = generateSession(random, catalog, taste, seen, events, from, Math.max(start, events.at(-1)?.timestamp ?? 0) + 1000);
  }
  return events;
}

/** Appends one session's events; returns the item of its last purchase, if any. */
function generateSession(random: Random, catalog: DemoCatalogIndex, taste: DemoTaste, seen: Set<number>, events: DemoEvent[], category: number, start: number): number | undefined {
  const length = 3 + Math.min(12, Math.floor(-Math.log(1 - random.next()) * 3));
  let time = start;
  let current: number | undefined;
  let purchased: number | undefined;
  for (let step = 0; step < length; step++) {
    const next = current === undefined ? pickItem(random, catalog, taste, seen, category) : nextItem(random, catalog, taste, seen, current, purchased === current);
    if (next === undefined) break;
    const type = funnelStep(random, catalog, taste, next);
    seen.add(next);
    events.push({ item: next, type, timestamp: Math.round(time) });
    if (type === 'purchase') purchased = next;
    current = next;
    time += 1000 * Math.exp(4 + 0.8 * random.normal());
  }
  return purchased;
}

/** Picks the item after `current`: same category and close style, a complement, or a preferred category. */
function nextItem(random: Random, catalog: DemoCatalogIndex, taste: DemoTaste, seen: ReadonlySet<number>, current: number, justBought: boolean): number | undefined {
  const roll = random.next();
  if (justBought ? roll < 0.7 : roll > 0.85) return pickItem(random, catalog, taste, seen, complementOf(random, catalog, current), current);
  if (roll < 0.7) return pickItem(random, catalog, taste, seen, catalog.items[current].category, current);
  return pickItem(random, catalog, taste, seen, preferredCategory(random, taste));
}

/** Draws an unseen item of `category` by the shopper's utility, near `anchor` when given. */
function pickItem(random: Random, catalog: DemoCatalogIndex, taste: DemoTaste, seen: ReadonlySet<number>, category: number, anchor?: number): number | undefined {
  const pool = catalog.byCategory[category].filter((i) => !seen.has(i));
  if (pool.length === 0) return undefined;
  const weights = pool.map((i) => cachedUtility(catalog, taste, i) * (anchor === undefined ? 1 : closeness(catalog, anchor, i)));
  return pool[random.weighted(weights)];
}

/** Utility per item, computed once per shopper because every pick of a session reuses it. */
function cachedUtility(catalog: DemoCatalogIndex, taste: DemoTaste, i: number): number {
  taste.utilities ??= new Float64Array(catalog.items.length).fill(-1);
  if (taste.utilities[i] < 0) taste.utilities[i] = utility(catalog, taste, i);
  return taste.utilities[i];
}

/** Scores how much the shopper likes an item, before any sequential effect. */
export function utility(catalog: DemoCatalogIndex, taste: DemoTaste, i: number): number {
  const item = catalog.items[i];
  const brand = taste.brands.has(item.brand) ? 4 : 1;
  const price = Math.exp(-(Math.log(item.priceRatio / taste.priceLevel) ** 2) / (2 * 0.35 ** 2));
  const style = Math.exp(-(circularDistance(item.style, taste.style) ** 2) / (2 * 0.25 ** 2));
  return item.appeal * brand * (0.2 + price) * (0.3 + style);
}

/** Similarity of the next item to the current one: close style and the same brand. */
function closeness(catalog: DemoCatalogIndex, anchor: number, i: number): number {
  const a = catalog.items[anchor];
  const b = catalog.items[i];
  const style = Math.exp(-(circularDistance(a.style, b.style) ** 2) / (2 * 0.05 ** 2));
  return (a.brand === b.brand ? 3 : 1) * (0.02 + style);
}

/** Deepest funnel step of one visit: mostly views, more often deeper for liked brands and prices. */
function funnelStep(random: Random, catalog: DemoCatalogIndex, taste: DemoTaste, i: number): SequenceEventType {
  const item = catalog.items[i];
  const liked = (taste.brands.has(item.brand) ? 1.5 : 1) * (Math.abs(Math.log(item.priceRatio / taste.priceLevel)) < 0.3 ? 1.3 : 1);
  if (random.next() > 0.25 * liked) return 'view';
  if (random.next() > 0.35) return 'click';
  return random.next() > 0.45 ? 'add_to_cart' : 'purchase';
}

function complementOf(random: Random, catalog: DemoCatalogIndex, item: number): number {
  const name = random.pick(DEMO_CATEGORIES[catalog.items[item].category].complements);
  return catalog.categoryIndex.get(name) as number;
}

function preferredCategory(random: Random, taste: DemoTaste): number {
  return taste.categories[random.weighted(taste.categoryWeights)];
}

function circularDistance(a: number, b: number): number {
  const d = Math.abs(a - b);
  return Math.min(d, 1 - d);
}
