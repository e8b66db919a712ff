/** Product cards and grids; every card carries the data attributes the browser tests read. */
import type { CatalogItem } from '../catalog.js';
import { formatPrice, h } from '../dom.js';
import { productImage } from '../image.js';

/** Called when the shopper opens a product from a list, with the list id and 0-based position. */
export type OpenProduct = (item: CatalogItem, listId: string, position: number) => void;

/** Builds one product card linking to the product page. */
export function productCard(item: CatalogItem, listId: string, position: number, onOpen: OpenProduct, lifted = 0): HTMLElement {
  const link = h(
    'a',
    { class: 'card-link', attrs: { href: `#/item/${encodeURIComponent(item.id)}` } },
    h('div', { class: 'card-image', html: productImage(item) }),
    h(
      'div',
      { class: 'card-body' },
      h('div', { class: 'card-brand', text: item.brand ?? 'Unbranded' }),
      h('div', { class: 'card-title', text: item.title ?? item.id, attrs: { title: item.title ?? item.id } }),
      h(
        'div',
        { class: 'card-meta' },
        // Some datasets have no prices; an empty slot reads better than a dash on every card.
        h('span', { class: 'card-price', text: item.price === undefined ? '' : formatPrice(item.price) }),
        h('span', { class: 'card-category', text: item.category ?? '', attrs: { title: item.category ?? '' } }),
      ),
    ),
  );
  link.addEventListener('click', (event) => {
    // Let modified clicks open a new tab as links normally do.
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
    event.preventDefault();
    onOpen(item, listId, position);
  });
  const badge = lifted > 0 && h('span', { class: 'card-lifted', text: '↑ for you', data: { testid: 'lifted-badge' }, attrs: { title: `Your recent activity moved this product up ${lifted} ${lifted === 1 ? 'place' : 'places'}.` } });
  return h('article', { class: 'card', data: { testid: 'product-card', itemId: item.id, category: item.category ?? '', lifted: String(lifted) } }, badge, link);
}

/** Builds a grid of cards, or an empty-state message. */
export function productGrid(items: CatalogItem[], listId: string, onOpen: OpenProduct, emptyText = 'No products to show.', lifted?: ReadonlyMap<string, number>): HTMLElement {
  if (items.length === 0) return h('p', { class: 'empty', text: emptyText });
  return h('div', { class: 'grid' }, ...items.map((item, position) => productCard(item, listId, position, onOpen, lifted?.get(item.id) ?? 0)));
}
