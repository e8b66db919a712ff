/** The product page: a large picture, the item's details, cart buttons and similar items. */
import type { CatalogItem } from '../catalog.js';
import { formatPrice, h } from '../dom.js';
import { productImage } from '../image.js';
import { productGrid, type OpenProduct } from './card.js';

/** Handlers of the product page's links and buttons. */
export interface ProductActions {
  onAddToCart: (item: CatalogItem) => void;
  onBuy: (item: CatalogItem) => void;
  onOpen: OpenProduct;
  onCategory: (category: string) => void;
}

/** Builds the product page; `similar` fills in later, when it has loaded. */
export function productPage(item: CatalogItem, actions: ProductActions): { element: HTMLElement; similar: HTMLElement } {
  const category = item.category ?? 'Uncategorized';
  const breadcrumb = h(
    'nav',
    { class: 'breadcrumb', attrs: { 'aria-label': 'Breadcrumb' } },
    h('a', { text: 'Home', attrs: { href: '#/' } }),
    ' / ',
    h('a', { text: category, attrs: { href: '#/' }, on: { click: (event) => { event.preventDefault(); actions.onCategory(category); } } }),
  );
  const tags = (item.tags ?? []).filter((tag) => tag !== item.category && tag !== item.brand).slice(0, 6);
  const details = h(
    'div',
    { class: 'product-details' },
    h('div', { class: 'product-brand', text: item.brand ?? 'Unbranded' }),
    h('h1', { class: 'product-title', text: item.title ?? item.id }),
    item.price === undefined ? h('div', { class: 'muted', text: 'Price not listed' }) : h('div', { class: 'product-price', text: formatPrice(item.price) }),
    h('div', { class: 'product-facts' }, h('span', { class: 'chip chip-static', text: category }), h('span', { class: 'product-sku', text: `Item ${item.id}` })),
    tags.length > 0 && h('ul', { class: 'tag-list' }, ...tags.map((tag) => h('li', { text: tag }))),
    h(
      'div',
      { class: 'product-actions' },
      h('button', { class: 'button', text: 'Add to cart', data: { testid: 'add-to-cart' }, on: { click: () => actions.onAddToCart(item) } }),
      h('button', { class: 'button button-dark', text: 'Buy now', data: { testid: 'buy-now' }, on: { click: () => actions.onBuy(item) } }),
    ),
    h('p', { class: 'privacy-note', text: 'Your history stays on this device and personalizes the store here. The server only receives an anonymous vector computed from it and your search text, never an id or your events.' }),
  );
  const similar = h('div', { class: 'similar-body' }, h('p', { class: 'empty', text: 'Loading similar items…' }));
  const element = h(
    'div',
    { class: 'product-page', data: { testid: 'product-page', itemId: item.id } },
    breadcrumb,
    h('div', { class: 'product-main' }, h('div', { class: 'product-image', html: productImage(item) }), details),
    h('section', { class: 'similar', data: { testid: 'similar-items' } }, h('h2', { text: 'Similar items' }), similar),
  );
  return { element, similar };
}

/** Fills the similar items section. */
export function showSimilar(container: HTMLElement, items: CatalogItem[], onOpen: OpenProduct): void {
  container.replaceChildren(productGrid(items, 'similar', onOpen, 'No similar items found.'));
}
