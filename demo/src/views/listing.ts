/** Listing pages: the home page with category chips, a category page and search results. */
import type { CatalogItem } from '../catalog.js';
import { h } from '../dom.js';
import { productGrid, type OpenProduct } from './card.js';

/** Everything a listing page shows. */
export interface ListingContent {
  title: string;
  subtitle?: string;
  /** Set when the order is a fallback (the engine failed or is degraded). */
  notice?: string;
  items: CatalogItem[];
  listId: string;
  categories: string[];
  activeCategory?: string;
  /** Search pages: tag facets of the results, the selected ones, and what a click does. */
  facets?: { tags: Array<[string, number]>; selected: readonly string[]; onToggle: (tag: string) => void };
  /** Search pages: how many places personalization lifted each item, by id. */
  lifted?: ReadonlyMap<string, number>;
}

/** Builds the facet chips of a search page; a selected tag stays listed so it can be cleared. */
function facetChips(facets: NonNullable<ListingContent['facets']>): HTMLElement | false {
  const shown = [...facets.tags];
  for (const tag of facets.selected) if (!shown.some(([name]) => name === tag)) shown.unshift([tag, 0]);
  if (shown.length === 0) return false;
  return h(
    'div',
    { class: 'chips facets', attrs: { role: 'toolbar', 'aria-label': 'Filter by tag' } },
    h('span', { class: 'muted facets-label', text: 'Filter:' }),
    ...shown.map(([tag, count]) => {
      const selected = facets.selected.includes(tag);
      return h('button', {
        class: `chip${selected ? ' chip-active' : ''}`,
        text: `${chipLabel(tag)} (${count})`,
        data: { testid: 'facet-chip', tag },
        attrs: { type: 'button', 'aria-pressed': String(selected), title: tag },
        on: { click: () => facets.onToggle(tag) },
      });
    }),
  );
}

const MAX_CHIP_CHARS = 28;

/**
 * Shortens a long category to its last words. Category paths of some datasets are joined without
 * separators and share their first words, so the end of the path is the part that distinguishes them.
 */
export function chipLabel(category: string): string {
  if (category.length <= MAX_CHIP_CHARS) return category;
  const words = category.split(/\s+/);
  let label = words.pop() ?? category;
  while (words.length > 0 && label.length + words[words.length - 1].length + 1 <= MAX_CHIP_CHARS) label = `${words.pop()} ${label}`;
  return `…${label}`;
}

/** Builds the category chips; "All" leads back to the home page. */
function categoryChips(categories: string[], active: string | undefined, onCategory: (category: string | undefined) => void): HTMLElement {
  const chip = (label: string, category: string | undefined) =>
    h('button', {
      class: `chip${category === active ? ' chip-active' : ''}`,
      text: chipLabel(label),
      data: { testid: 'category-chip', category: category ?? '' },
      attrs: { type: 'button', 'aria-pressed': String(category === active), title: label },
      on: { click: () => onCategory(category) },
    });
  return h('div', { class: 'chips', attrs: { role: 'toolbar', 'aria-label': 'Categories' } }, chip('All', undefined), ...categories.map((category) => chip(category, category)));
}

/** Builds a listing page. */
export function listingPage(content: ListingContent, onOpen: OpenProduct, onCategory: (category: string | undefined) => void): HTMLElement {
  return h(
    'div',
    { class: 'listing', data: { testid: 'listing', listId: content.listId } },
    content.categories.length > 0 && categoryChips(content.categories, content.activeCategory, onCategory),
    h('div', { class: 'listing-head' }, h('h1', { class: 'listing-title', text: content.title, attrs: { title: content.title } }), content.subtitle && h('p', { class: 'muted', text: content.subtitle })),
    content.facets ? facetChips(content.facets) : false,
    content.notice && h('p', { class: 'notice', data: { testid: 'degraded-notice' }, text: content.notice }),
    productGrid(content.items, content.listId, onOpen, undefined, content.lifted),
  );
}

/** Builds the placeholder shown while a page loads. */
export function loadingPage(): HTMLElement {
  return h('div', { class: 'loading', attrs: { 'aria-busy': 'true' } }, h('div', { class: 'spinner' }), 'Loading…');
}
