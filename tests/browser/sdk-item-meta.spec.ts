/**
 * Item metadata in results of the built SDK: the worker sends an item's metadata to the page
 * once, and later results fill it in on the page. Every result must still carry full metadata of
 * its own, equal to the companion's record, and unchanged by what the page did to earlier results.
 */
import { expect, test, type Page } from '@playwright/test';
import type { Aisle, ItemMeta, RankResult } from '../../src/client/index.js';
import { ensureSdkBuild, ensureTrainedModels, startCompanion, startSite, type Running } from './fixtures/sdk-environment.js';

declare global {
  interface Window {
    AisleSdk: typeof import('../../src/client/index.js');
    aisle: Aisle;
  }
}

let companion: Running;
let site: Running;
/** Ids passed to rank(): the 30 most popular items. */
let rankedIds: string[];
/** The companion's metadata of each id in `rankedIds`, by id. */
let expected: Map<string, Pick<ItemMeta, 'title' | 'category' | 'brand' | 'price' | 'tags'>>;

test.beforeAll(async () => {
  test.setTimeout(900_000);
  ensureSdkBuild();
  companion = await startCompanion(ensureTrainedModels());
  site = await startSite();
  const trending = (await (await fetch(`${companion.url}/v1/trending?k=30`)).json()) as { items: Array<{ id: string }> };
  rankedIds = trending.items.slice(0, 30).map((item) => item.id);
  const records = (await (await fetch(`${companion.url}/v1/items?ids=${rankedIds.map(encodeURIComponent).join(',')}`)).json()) as { items: Array<ItemMeta> };
  expected = new Map(records.items.map((item) => [item.id, { title: item.title, category: item.category, brand: item.brand, price: item.price, tags: item.tags }]));
});

test.afterAll(async () => {
  await companion?.close();
  await site?.close();
});

async function openAisle(page: Page): Promise<void> {
  await page.goto(`${site.url}/esm.html`);
  await page.waitForFunction(() => window.AisleSdk !== undefined);
  await page.evaluate(async (endpoint) => {
    window.aisle = await window.AisleSdk.createAisle({ endpoint, timeoutMs: 20_000, storage: 'memory' });
  }, companion.url);
}

/** Checks that every item of `result` carries the companion's metadata. */
function expectCompanionMeta(result: RankResult): void {
  expect(result.degraded).toBeUndefined();
  expect(result.items).toHaveLength(rankedIds.length);
  for (const scored of result.items) {
    const item = scored.item!;
    expect(item.id).toBe(scored.id);
    expect({ title: item.title, category: item.category, brand: item.brand, price: item.price, tags: item.tags }).toEqual(expected.get(scored.id));
  }
}

test('repeated rank keeps full item metadata', async ({ page }) => {
  await openAisle(page);
  const first = await page.evaluate((ids) => window.aisle.rank(ids), rankedIds);
  expectCompanionMeta(first);

  // The page changes the items of one result; the next result must not see the changes.
  const second = await page.evaluate(async (ids) => {
    const changed = await window.aisle.rank(ids);
    for (const scored of changed.items) {
      scored.item!.title = 'changed by the page';
      scored.item!.tags?.push('changed');
      scored.item!.predictedTags?.splice(0);
    }
    return window.aisle.rank(ids);
  }, rankedIds);
  expectCompanionMeta(second);
  const firstById = new Map(first.items.map((scored) => [scored.id, scored.item]));
  for (const scored of second.items) expect(scored.item).toEqual(firstById.get(scored.id));
});

test('item metadata survives forget', async ({ page }) => {
  await openAisle(page);
  const before = await page.evaluate((ids) => window.aisle.rank(ids), rankedIds);
  expectCompanionMeta(before);
  const after = await page.evaluate(async (ids) => {
    await window.aisle.forget();
    return window.aisle.rank(ids);
  }, rankedIds);
  expectCompanionMeta(after);
});

test('concurrent calls share item metadata', async ({ page }) => {
  await openAisle(page);
  const results = await page.evaluate((ids) => Promise.all([window.aisle.rank(ids), window.aisle.rank(ids.slice(10)), window.aisle.recommend({ k: 10 }), window.aisle.rank(ids)]), rankedIds);
  expectCompanionMeta(results[0]);
  expectCompanionMeta(results[3]);
  expect(results[1].items.map((scored) => scored.item?.title)).toEqual(results[1].items.map((scored) => expected.get(scored.id)!.title));
  for (const scored of results[2].items) expect(scored.item?.id).toBe(scored.id);
});
