/**
 * The storefront controller: routes (hash based, so any static host serves the demo), page
 * rendering, event tracking and the recommended row. Every engine call goes through `Engine`,
 * which turns failures into null results, so each page falls back to a plain catalog order.
 */
import type { Catalog, CatalogItem } from './catalog.js';
import type { DemoConfig } from './config.js';
import { formatMs, h, replaceChildren } from './dom.js';
import type { Engine, EngineResult } from './engine.js';
import { rowSource, type RowSource } from './experiment.js';
import { CONTROL_ROW_SUBTITLE, fallbackNotice, personalRowSubtitle, searchSubtitle } from './messages.js';
import { listingPage, loadingPage } from './views/listing.js';
import { AislePanel } from './views/panel.js';
import { productPage, showSimilar } from './views/product-page.js';
import { cartCount, countProfileEvents, profileItemIds, profileView } from './views/profile-view.js';
import { RecommendedRow } from './views/recommended-row.js';
import { MAX_SEARCH_LENGTH, StoreHeader } from './views/header.js';

const ROW_SIZE = 12;
const LISTING_SIZE = 48;
const SIMILAR_SIZE = 6;
/** Milliseconds between two stats() samples of the panel's latency plot. */
const STATS_POLL_MS = 1000;

type TrackInput = Parameters<Engine['track']>[0];

/** The storefront application. */
export class App {
  private readonly header: StoreHeader;
  private readonly row: RecommendedRow;
  private readonly panel: AislePanel;
  private readonly view = h('main', { class: 'view' });
  private readonly toast = h('div', { class: 'toast', attrs: { role: 'status' } });
  private categories: string[] = [];
  private cart = 0;
  private storedEvents = 0;
  /** Increments per recommend call, so only the newest result reaches the row. */
  private rowTicket = 0;
  private viewTicket = 0;
  private currentItemId: string | undefined;
  /** The item the shopper opened from a list: its click event already covers the product view. */
  private openedFromList: string | undefined;
  /** Source of the row's items on this device: 'trending' in an experiment's popularity control. */
  private source: RowSource = 'recommend';

  constructor(private readonly config: DemoConfig, private readonly catalog: Catalog, private readonly engine: Engine) {
    const open = (item: CatalogItem, listId: string, position: number) => this.openProduct(item, listId, position);
    this.header = new StoreHeader((query) => { location.hash = `#/search/${encodeURIComponent(query)}`; }, config.dataset);
    this.row = new RecommendedRow(open, (itemId) => engine.explain(itemId), (container, options) => engine.observeExposure(container, options));
    this.panel = new AislePanel(() => void this.forget());
    engine.onCall((record) => this.panel.showCall(record));
  }

  /** Mounts the page into `root` and renders the current route. */
  async mount(root: HTMLElement): Promise<void> {
    const banner = this.engine.startFailure
      ? h('p', { class: 'banner', data: { testid: 'engine-banner' }, text: `Personalization is off: ${this.engine.startFailure.reason}. The store works as usual.` })
      : null;
    replaceChildren(root, this.header.element, this.panel.element, h('div', { class: 'page' }, banner, this.row.element, this.view), this.toast);
    window.addEventListener('hashchange', () => void this.route());

    const profile = await this.engine.profile();
    this.storedEvents = countProfileEvents(profile);
    this.cart = cartCount(profile);
    this.header.setCartCount(this.cart);
    this.categories = await this.loadCategories();
    const experiments = await this.engine.experiments();
    this.source = rowSource(this.config, experiments);
    this.panel.showExperiments(experiments.assignments);
    // route() refreshes the row, through the view event on a product page and directly on the others.
    await Promise.all([this.refreshInfo(), this.route()]);
    // The panel plots stats() once a second, so latency moves while the shopper browses.
    setInterval(() => void this.refreshStats(), STATS_POLL_MS);
  }

  private async loadCategories(): Promise<string[]> {
    const popular = await this.catalog.trending(200).catch(() => []);
    const counts = new Map<string, number>();
    for (const item of popular) if (item.category) counts.set(item.category, (counts.get(item.category) ?? 0) + 1);
    return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 12).map(([category]) => category);
  }

  private async route(): Promise<void> {
    const hash = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
    const [page, ...rest] = hash.split('/');
    const argument = rest.join('/');
    const ticket = ++this.viewTicket;
    this.currentItemId = page === 'item' ? argument : undefined;
    if (page !== 'item') this.header.searchInput.value = page === 'search' ? argument : '';
    this.show(ticket, loadingPage());
    window.scrollTo({ top: 0 });

    if (page === 'item' && argument) return this.showProduct(ticket, argument);
    // A product page or a search gets a fresh row from its view, click or search event, and every
    // other page view gets one here. So each page view computes the row once.
    if (!(page === 'search' && argument)) void this.refreshRow();
    if (page === 'category' && argument) return this.showCategory(ticket, argument);
    if (page === 'search' && argument) return this.showSearch(ticket, argument);
    if (page === 'profile') return this.showProfile(ticket);
    return this.showHome(ticket);
  }

  /** Replaces the main view unless a newer navigation has started since `ticket`. */
  private show(ticket: number, element: HTMLElement): boolean {
    if (ticket !== this.viewTicket) return false;
    replaceChildren(this.view, element);
    return true;
  }

  private goToCategory(category: string | undefined): void {
    location.hash = category ? `#/category/${encodeURIComponent(category)}` : '#/';
  }

  private async showHome(ticket: number): Promise<void> {
    let items: CatalogItem[] = [];
    let notice: string | undefined;
    try {
      items = await this.catalog.trending(LISTING_SIZE);
    } catch (error) {
      notice = `The catalog could not be loaded from the companion at ${this.catalog.endpoint}. Is it running? (${error instanceof Error ? error.message : String(error)})`;
    }
    const page = listingPage(
      { title: 'Popular right now', subtitle: 'The most popular products across all shoppers.', notice, items, listId: 'trending', categories: this.categories },
      (item, listId, position) => this.openProduct(item, listId, position),
      (category) => this.goToCategory(category),
    );
    this.show(ticket, page);
  }

  private async showCategory(ticket: number, category: string): Promise<void> {
    const found = await this.catalog.category(category, LISTING_SIZE).catch(() => []);
    const ranked = await this.engine.rank(found.map((item) => item.id));
    const items = ranked ? await this.resolve(ranked) : found;
    const subtitle = ranked ? `${items.length} products, sorted for you on this device in ${formatMs(ranked.tookMs)}.` : `${items.length} products.`;
    const page = listingPage(
      { title: category, subtitle, notice: fallbackNotice(ranked, this.engine.lastFailure('rank')), items, listId: `category:${category}`, categories: this.categories, activeCategory: category },
      (item, listId, position) => this.openProduct(item, listId, position),
      (next) => this.goToCategory(next),
    );
    this.show(ticket, page);
  }

  private async showSearch(ticket: number, typed: string, tags: string[] = []): Promise<void> {
    // A query in the URL skips the search box's maxlength, and the SDK rejects longer queries.
    const query = typed.trim().slice(0, MAX_SEARCH_LENGTH);
    if (tags.length === 0) void this.trackAndRefresh({ type: 'search', query });
    const answer = await this.engine.search(query, LISTING_SIZE, tags);
    // A degraded search may come back empty; plain companion search still finds the products.
    const result = answer && answer.items.length === 0 && answer.degraded ? null : answer;
    const items = result ? await this.resolve(result) : await this.catalog.search(query, LISTING_SIZE).catch(() => []);
    const subtitle = searchSubtitle(items.length, result !== null, result?.tookMs);
    const page = listingPage(
      {
        title: `Results for “${query}”`,
        subtitle,
        notice: fallbackNotice(answer, this.engine.lastFailure('search')),
        items,
        listId: 'search',
        categories: this.categories,
        facets: result ? { tags: result.facets ?? [], selected: tags, onToggle: (tag) => this.toggleFacet(typed, tags, tag) } : undefined,
        lifted: new Map((result?.items ?? []).map((entry) => [entry.id, entry.lifted ?? 0])),
      },
      (item, listId, position) => this.openProduct(item, listId, position),
      (category) => this.goToCategory(category),
    );
    this.show(ticket, page);
  }

  /** Searches again with `tag` added to or removed from the selected facets. */
  private toggleFacet(query: string, selected: string[], tag: string): void {
    const next = selected.includes(tag) ? selected.filter((name) => name !== tag) : [...selected, tag];
    void this.showSearch(++this.viewTicket, query, next);
  }

  private async showProduct(ticket: number, itemId: string): Promise<void> {
    const [item] = await this.catalog.items([itemId]).catch(() => []);
    if (!item) {
      this.show(ticket, h('p', { class: 'empty', text: `No product with id ${itemId} in this catalog.` }));
      return;
    }
    if (this.openedFromList === itemId) this.openedFromList = undefined;
    else void this.trackAndRefresh({ type: 'view', itemId });

    const page = productPage(item, {
      onAddToCart: (target) => this.addToCart(target, 'add_to_cart'),
      onBuy: (target) => this.addToCart(target, 'purchase'),
      onOpen: (target, listId, position) => this.openProduct(target, listId, position),
      onCategory: (category) => this.goToCategory(category),
    });
    if (!this.show(ticket, page.element)) return;
    const similar = await this.similarItems(item);
    showSimilar(page.similar, similar, (target, listId, position) => this.openProduct(target, listId, position));
  }

  /**
   * Similar items: the companion's co-visitation neighbours, topped up with a text search in
   * the same category, then reranked for this shopper.
   */
  private async similarItems(item: CatalogItem): Promise<CatalogItem[]> {
    const neighborIds = (item.neighbors ?? []).map(([id]) => id).slice(0, SIMILAR_SIZE * 2);
    const neighbors = await this.catalog.items(neighborIds).catch(() => []);
    const query = [item.category, item.title].filter(Boolean).join(' ').slice(0, 200);
    const found = neighbors.length >= SIMILAR_SIZE || !query ? [] : await this.catalog.search(query, 40).catch(() => []);
    const sameCategory = found.filter((candidate) => candidate.category === item.category);
    const pool = [...neighbors, ...sameCategory].filter((candidate, index, all) => candidate.id !== item.id && all.findIndex((other) => other.id === candidate.id) === index);
    const ranked = await this.engine.rank(pool.map((candidate) => candidate.id));
    const ordered = ranked ? await this.resolve(ranked) : pool;
    return ordered.slice(0, SIMILAR_SIZE);
  }

  private async showProfile(ticket: number): Promise<void> {
    const profile = await this.engine.profile();
    await this.catalog.items(profileItemIds(profile)).catch(() => []);
    this.storedEvents = countProfileEvents(profile);
    const page = profileView(profile, (id) => this.catalog.cached(id), {
      onForget: () => void this.forget(),
      onOpenId: (id) => { location.hash = `#/item/${encodeURIComponent(id)}`; },
    });
    this.show(ticket, page);
  }

  /** Opens a product from a list: records the click, then refreshes the row. */
  private openProduct(item: CatalogItem, listId: string, position: number): void {
    this.openedFromList = item.id;
    location.hash = `#/item/${encodeURIComponent(item.id)}`;
    void this.trackAndRefresh({ type: 'click', itemId: item.id, listId, position });
  }

  /**
   * Records an add to cart or a purchase. An add to cart counts at once. Then the count is rebuilt
   * from the stored events, so a purchase takes its item out of the cart, as after a reload.
   */
  private addToCart(item: CatalogItem, type: 'add_to_cart' | 'purchase'): void {
    if (type === 'add_to_cart') {
      this.cart += 1;
      this.header.setCartCount(this.cart);
    }
    this.notify(type === 'purchase' ? `Order placed: ${item.title ?? item.id}` : `Added to cart: ${item.title ?? item.id}`);
    void this.trackAndRefresh({ type, itemId: item.id }).then(() => this.recountCart());
  }

  /** Sets the cart count from the stored events; keeps the page's own count when the engine has no profile. */
  private async recountCart(): Promise<void> {
    const profile = await this.engine.profile();
    if (!profile) return;
    this.cart = cartCount(profile);
    this.header.setCartCount(this.cart);
  }

  private async trackAndRefresh(event: TrackInput): Promise<void> {
    if (await this.engine.track(event)) this.storedEvents += 1;
    await this.refreshRow();
    await this.refreshInfo();
  }

  /** Asks the engine for the row; shows trending when it fails or returns nothing. */
  private async refreshRow(): Promise<void> {
    const ticket = ++this.rowTicket;
    const exclude = this.currentItemId ? [this.currentItemId] : undefined;
    // The popularity control calls recommend() too, because the SDK issues the list's ranking id
    // and counts its experiment exposure there. So both variants count their lists the same way.
    const result = await this.engine.recommend(ROW_SIZE, exclude);
    const personalized = this.source === 'recommend' && result !== null && result.items.length > 0;
    const items = personalized ? await this.resolve(result) : await this.catalog.trending(ROW_SIZE).catch(() => []);
    if (ticket !== this.rowTicket) return;

    const failure = this.engine.lastFailure('recommend');
    const notice = items.length === 0 ? `Recommendations are unavailable right now${failure ? ` (${failure.code}: ${failure.reason})` : ''}.` : fallbackNotice(result, failure);
    const personal = this.storedEvents > 0 && result !== null && !result.degraded;
    let subtitle = personal ? personalRowSubtitle(this.storedEvents, result?.tookMs) : 'Trending now. Open a few products and this row adapts to you.';
    if (this.source === 'trending') subtitle = CONTROL_ROW_SUBTITLE;
    // A click on the row carries the ranking id as its list id, so the companion counts it as an
    // outcome of this list's exposure.
    this.row.show({ items, subtitle, notice, eventCount: this.storedEvents, listId: result?.rankingId ?? 'recommended', source: this.source });
  }

  private async refreshInfo(): Promise<void> {
    this.panel.showInfo(await this.engine.info(), this.engine.startFailure);
  }

  private async refreshStats(): Promise<void> {
    this.panel.showStats(await this.engine.stats());
  }

  /** Resolves an engine result to catalog items, fetching metadata the result did not carry. */
  private async resolve(result: EngineResult): Promise<CatalogItem[]> {
    this.catalog.remember(result.items.flatMap((entry) => (entry.item ? [{ ...entry.item, id: entry.id }] : [])));
    const ids = result.items.map((entry) => entry.id);
    const missing = ids.filter((id) => !this.catalog.cached(id));
    if (missing.length > 0) await this.catalog.items(missing).catch(() => []);
    return ids.map((id) => this.catalog.cached(id)).filter((item): item is CatalogItem => item !== undefined);
  }

  private async forget(): Promise<void> {
    const forgotten = await this.engine.forget();
    this.storedEvents = 0;
    if (forgotten) {
      this.cart = 0;
      this.header.setCartCount(0);
    }
    this.notify(forgotten ? 'Done: everything Aisle stored on this device is erased.' : 'Forget me failed; see the Aisle panel.');
    await this.refreshRow();
    await this.refreshInfo();
    if (location.hash.startsWith('#/profile')) await this.route();
  }

  private notify(text: string): void {
    this.toast.textContent = text;
    this.toast.classList.add('toast-visible');
    window.setTimeout(() => this.toast.classList.remove('toast-visible'), 2600);
  }
}
