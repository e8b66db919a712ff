/** The "Recommended for you" row at the top of every page. */
import type { CatalogItem } from '../catalog.js';
import { h, replaceChildren } from '../dom.js';
import type { ExposureOptions, ExposureTracker } from '../../../src/client/index.js';
import type { RowSource } from '../experiment.js';
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
  /** List id of the clicks and impressions: the SDK's ranking id when the device is in an experiment. */
  listId: string;
  source: RowSource;
}

/** Returns the reasons that raised an item, strongest first, or null when the engine has none. */
export type ExplainItem = (itemId: string) => Promise<string[] | null>;

/** Starts recording which cards of the row the shopper saw, or returns null when it cannot. */
export type ObserveExposure = (container: Element, options: ExposureOptions) => ExposureTracker | null;

/** Reasons shown on hover; more would not fit the card. */
const MAX_REASONS = 3;

/** The row element and its update method. */
export class RecommendedRow {
  readonly element: HTMLElement;
  private readonly subtitle = h('p', { class: 'row-subtitle', text: 'Loading…' });
  private readonly notice = h('p', { class: 'notice', data: { testid: 'degraded-notice' } });
  private readonly track = h('div', { class: 'row-track' });
  private exposure: ExposureTracker | null = null;
  /** Number of show() calls, as `data-renders`: a driver waits for it to grow after an action. */
  private renders = 0;

  constructor(
    private readonly onOpen: OpenProduct,
    private readonly explain?: ExplainItem,
    private readonly observe?: ObserveExposure,
  ) {
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
    this.element.dataset.listId = content.listId;
    this.element.dataset.renders = String(++this.renders);
    this.element.dataset.source = content.source;
    const cards = content.items.map((item, position) => this.withExplanation(productCard(item, content.listId, position, this.onOpen), item.id));
    replaceChildren(this.track, ...(cards.length > 0 ? cards : [h('p', { class: 'empty', text: 'Nothing to recommend yet.' })]));
    this.observeCards(content.listId);
  }

  /**
   * Records each card that stays half visible for one second as an impression of the list.
   * `data-seen` counts them, so a test or a driver can wait until the row was seen.
   */
  private observeCards(listId: string): void {
    this.exposure?.disconnect();
    this.element.dataset.seen = '0';
    let seen = 0;
    const onImpression = () => {
      seen += 1;
      this.element.dataset.seen = String(seen);
    };
    this.exposure = this.observe?.(this.track, { listId, itemSelector: '[data-testid=product-card]', itemAttribute: 'data-item-id', onImpression }) ?? null;
  }

  /** Shows why the engine recommends the card's item while the pointer is over it, asked once per card. */
  private withExplanation(card: HTMLElement, itemId: string): HTMLElement {
    const explain = this.explain;
    if (!explain) return card;
    const tip = h('div', { class: 'why', data: { testid: 'explanation' }, attrs: { role: 'tooltip' } });
    tip.hidden = true;
    card.append(tip);
    let asked = false;
    card.addEventListener('mouseenter', () => {
      tip.hidden = false;
      if (asked) return;
      asked = true;
      tip.textContent = 'Why this item…';
      void explain(itemId).then((reasons) => {
        const shown = (reasons ?? []).slice(0, MAX_REASONS);
        const lines = shown.length > 0 ? shown : ['Recommended for you'];
        replaceChildren(tip, h('strong', { text: 'Why this item' }), h('ul', {}, ...lines.map((line) => h('li', { text: line }))));
        tip.dataset.ready = 'true';
      });
    });
    card.addEventListener('mouseleave', () => (tip.hidden = true));
    return card;
  }
}
