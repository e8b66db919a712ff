/** The store header: logo, search box, navigation and the cart counter. */
import { h } from '../dom.js';

/** Maximum length of the search text, because the SDK's search() rejects queries over 512 characters. */
export const MAX_SEARCH_LENGTH = 512;

/** The header element and its cart counter. */
export class StoreHeader {
  readonly element: HTMLElement;
  private readonly cartCount = h('span', { class: 'cart-count', data: { testid: 'cart-count' }, text: '0' });
  readonly searchInput = h('input', {
    class: 'search-input',
    attrs: { type: 'search', name: 'q', placeholder: 'Search products, brands, categories', 'aria-label': 'Search products', autocomplete: 'off', maxlength: String(MAX_SEARCH_LENGTH) },
    data: { testid: 'search-input' },
  });

  constructor(onSearch: (query: string) => void, datasetName?: string) {
    const form = h('form', { class: 'search', attrs: { role: 'search' } }, this.searchInput, h('button', { class: 'search-button', text: 'Search', attrs: { type: 'submit' } }));
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const query = this.searchInput.value.trim().slice(0, MAX_SEARCH_LENGTH);
      if (query) onSearch(query);
    });
    const logo = h(
      'a',
      { class: 'logo', attrs: { href: '#/' } },
      h('span', { class: 'logo-mark', text: 'A' }),
      h('span', { class: 'logo-text' }, 'Aisle Market', datasetName ? h('small', { text: datasetName }) : null),
    );
    const nav = h(
      'nav',
      { class: 'nav' },
      h('a', { text: 'Shop', attrs: { href: '#/' } }),
      h('a', { text: 'Your profile', attrs: { href: '#/profile' }, data: { testid: 'profile-link' } }),
      h('span', { class: 'cart', attrs: { title: 'Items in your cart' } }, 'Cart ', this.cartCount),
    );
    this.element = h('header', { class: 'topbar' }, h('div', { class: 'topbar-inner' }, logo, form, nav));
  }

  /** Shows the number of items in the cart. */
  setCartCount(count: number): void {
    this.cartCount.textContent = String(count);
  }
}
