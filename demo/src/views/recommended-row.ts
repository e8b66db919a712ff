/** The "Recommended for you" row at the top of every page. */
import type { CatalogItem } from '../catalog.js';
import { h, replaceChildren } from '../dom.js';
import { productCard, type OpenProduct } from './card.js';

/** Content of the row: the items and a line on where they came from. */
export interface RowContent {
  items: CatalogItem[];
  /** Line under the heading, e.g. how the items were chosen. */
  subtitle: string;
  /** Set when the items are a fallback order; shown as a small notice. */
  notice?: string;
  /** Events the engine has stored for this shopper when the row was computed; tests wait on it. */
  eventCount: number;
}

/** The row element and its update method. */
export class RecommendedRow {
  readonly element: HTMLElement;
  private readonly subtitle = h('p', { class: 'row-subtitle', text: 'Loading…' });
  private readonly notice = h('p', { class: 'notice', data: { testid: 'degraded-notice' } });
  private readonly track = h('div', { class: 'row-track' });

  constructor(private readonly onOpen: OpenProduct) {
    this.notice.hidden = true;
    this.element = h(
      'section',
      { class: 'rec-row', data: { testid: 'recommended-row' }, attrs: { 'aria-label': 'Recommended for you' } },
      h('div', { class: 'row-head' }, h('h2', { text: 'Recommended for you' }), this.subtitle),
      this.notice,
      this.track,
    );
  }

  /** Replaces the items in one DOM update, so the row never shows a half-built state. */
  show(content: RowContent): void {
    this.subtitle.textContent = content.subtitle;
    this.notice.hidden = content.notice === undefined;
    this.notice.textContent = content.notice ?? '';
    this.element.dataset.state = content.notice === undefined ? 'personalized' : 'fallback';
    this.element.dataset.events = String(content.eventCount);
    const cards = content.items.map((item, position) => productCard(item, 'recommended', position, this.onOpen));
    replaceChildren(this.track, ...(cards.length > 0 ? cards : [h('p', { class: 'empty', text: 'Nothing to recommend yet.' })]));
  }
}
