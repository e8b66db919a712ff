/**
 * Products the demo adds to its catalog after training, through the companion's POST /v1/items.
 * They have text but no shopper ever saw them. Their titles are in other scripts and with
 * accents, so the demo shows new items and search beyond English and ASCII at once.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ItemMeta } from '../../src/core/types.js';

/** The added products; their ids start with 'new-'. */
export const DEMO_NEW_ITEMS: ItemMeta[] = [
  { id: 'new-ja-trail', title: 'トレイルランニングシューズ 軽量', category: 'Running shoes', brand: 'Trailborn', price: 120, tags: ['running-shoes', 'trailborn', 'trail-runner'] },
  { id: 'new-ru-socks', title: 'Носки для бега компрессионные', category: 'Running socks', brand: 'Northpeak', price: 16, tags: ['running-socks', 'northpeak', 'compression-socks'] },
  { id: 'new-el-mat', title: 'Στρώμα γιόγκα από φελλό', category: 'Yoga mats', brand: 'Sprig', price: 52, tags: ['yoga-mats', 'sprig', 'cork-mat'] },
  { id: 'new-fr-creme', title: 'Café crème torréfié, grains entiers', category: 'Coffee', brand: 'Moonbrew', price: 17, tags: ['coffee', 'moonbrew', 'whole-beans'] },
];

/** Returns a random admin token for a companion started by the demo or its tests; it is never printed. */
export function demoAdminToken(): string {
  return randomBytes(24).toString('hex');
}

/**
 * Adds DEMO_NEW_ITEMS to a companion started with `adminToken`. Returns how many were added:
 * 0 when the models have no item content model (trained before it existed) or the items are
 * already there.
 */
export async function addDemoNewItems(companion: FastifyInstance, adminToken: string, log: (line: string) => void): Promise<number> {
  const response = await companion.inject({ method: 'POST', url: '/v1/items', payload: { items: DEMO_NEW_ITEMS }, headers: { authorization: `Bearer ${adminToken}` } });
  if (response.statusCode !== 200) {
    log(`New demo products not added: ${(response.json() as { error?: { message?: string } }).error?.message ?? `HTTP ${response.statusCode}`}`);
    return 0;
  }
  log(`Added ${DEMO_NEW_ITEMS.length} new products with titles in Japanese, Russian, Greek and French (POST /v1/items)`);
  return DEMO_NEW_ITEMS.length;
}
