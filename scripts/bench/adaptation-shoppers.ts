/**
 * Simulated shoppers of the demo store for the adaptation benchmark: each has the hidden tastes of
 * the demo data generator (src/training/data/demo-shoppers.ts) and reacts to a recommended list
 * by a cascade click model with position bias.
 *
 * The shopper walks down the list. Slot p is examined with probability 1 / (1 + p)^0.8 (slot 0
 * always). An examined item is an impression, and it is clicked with probability
 * 1 - exp(-gamma · utility · categoryFactor). Here utility is the generator's taste score (brand,
 * price level, style, appeal), and categoryFactor is 2 for the shopper's main category, 1 for
 * the others it likes and 0.15 for the rest. Each earlier skip of the same item in the session
 * multiplies that probability by `fatigue`: a shopper who passed over an item is less likely to
 * want it the next time it is shown. An item the shopper already opened in the session (clicked, or
 * viewed as a past product) has its probability multiplied by `revisit`: with 0 the shopper does
 * not click a product again that it has just looked at. The walk stops at the first click.
 *
 * Every random draw is a hash of (shopper seed, interaction, slot or item), so the arms of one run
 * face the same shopper with the same draws (common random numbers), which makes their paired
 * difference far less noisy than two independent samples.
 */
import * as ortNode from 'onnxruntime-node';
import type { ResolvedOptions } from '../../src/client/protocol.js';
import type { AdaptationOptions } from '../../src/core/adaptation.js';
import { createRandom } from '../../src/core/random.js';
import type { Manifest } from '../../src/core/types.js';
import { selectBackend } from '../../src/runtime/backend.js';
import type { ModelBytes } from '../../src/runtime/model-runner.js';
import type { OrtModule } from '../../src/runtime/ort.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { Engine } from '../../src/worker/engine.js';
import { generateBrands, generateItems } from '../../src/training/data/demo-catalog.js';
import { drawTaste, generateHistory, indexCatalog, utility, type DemoCatalogIndex, type DemoEvent, type DemoTaste } from '../../src/training/data/demo-shoppers.js';

/** Items of the demo store, generated exactly as the demo models' training data was (seed 42). */
export function demoCatalog(): DemoCatalogIndex {
  const random = createRandom(42);
  const brands = generateBrands(random);
  return indexCatalog(generateItems(random, brands, 3000), brands);
}

/** One simulated shopper: hidden tastes, a short past history and a seed for its draws. */
export interface SimulatedShopper {
  seed: number;
  taste: DemoTaste;
  /** Events before the measured session, oldest first. */
  past: DemoEvent[];
}

/** Draws the shopper of `seed` with up to `pastEvents` events of history. */
export function drawShopper(catalog: DemoCatalogIndex, seed: number, pastEvents: number): SimulatedShopper {
  const random = createRandom(seed);
  const taste = drawTaste(random, catalog);
  const past = generateHistory(random, catalog, taste).slice(0, pastEvents);
  return { seed, taste, past };
}

/** Outcome of one list: the slots the shopper examined (impressions) and the clicked slot. */
export interface ListOutcome {
  examined: number[];
  clicked?: number;
}

/** Parameters of the click model. */
export interface ClickModel {
  /** Scale of the click probability. */
  gamma: number;
  /** Factor of the click probability per earlier skip of the same item in the session (1: none). */
  fatigue: number;
  /**
   * Factor of the click probability of an item the shopper already opened in the session (the
   * `opened` set of answerList). The default 1 keeps no memory of opened items, so a list that
   * keeps an item the shopper liked gets that item clicked again on every showing.
   */
  revisit?: number;
}

/**
 * Simulates the shopper's reaction to one recommended list of item indexes at interaction `step`. `skips` counts the earlier
 * skips of each item in this session and is updated with this list's skips. `opened` contains the items
 * the shopper already opened in the session, whose click probability `model.revisit` scales.
 */
export function answerList(catalog: DemoCatalogIndex, shopper: SimulatedShopper, step: number, items: readonly number[], model: ClickModel, skips: Map<number, number>, opened: ReadonlySet<number> = new Set()): ListOutcome {
  const examined: number[] = [];
  for (let slot = 0; slot < items.length; slot++) {
    if (uniform(shopper.seed, step, 1, slot) >= 1 / (1 + slot) ** 0.8) continue;
    examined.push(slot);
    const item = items[slot];
    const revisit = opened.has(item) ? (model.revisit ?? 1) : 1;
    const probability = clickProbability(catalog, shopper.taste, item, model.gamma) * model.fatigue ** (skips.get(item) ?? 0) * revisit;
    if (uniform(shopper.seed, step, 2, item) < probability) return { examined, clicked: slot };
    skips.set(item, (skips.get(item) ?? 0) + 1);
  }
  return { examined };
}

/**
 * Probability that the shopper clicks some item of `items` under the cascade model of answerList
 * without fatigue: how well the list matches the shopper's hidden tastes, free of the draws.
 */
export function expectedClick(catalog: DemoCatalogIndex, shopper: SimulatedShopper, items: readonly number[], gamma: number): number {
  let noClickYet = 1;
  let clicked = 0;
  for (let slot = 0; slot < items.length; slot++) {
    const chance = clickProbability(catalog, shopper.taste, items[slot], gamma) / (1 + slot) ** 0.8;
    clicked += noClickYet * chance;
    noClickYet *= 1 - chance;
  }
  return clicked;
}

/** Probability that the shopper clicks an examined item. */
export function clickProbability(catalog: DemoCatalogIndex, taste: DemoTaste, item: number, gamma: number): number {
  const at = taste.categories.indexOf(catalog.items[item].category);
  const categoryFactor = at < 0 ? 0.15 : taste.categoryWeights[at];
  return 1 - Math.exp(-gamma * utility(catalog, taste, item) * categoryFactor);
}

/** Hashes four integers to a float in [0, 1) (32-bit multiply-xorshift steps, as in the murmur3 finalizer). */
export function uniform(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16) ^ Math.imul(c + 0x27d4eb2f, 0x165667b1), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13) ^ Math.imul(d + 0x61c88647, 0xcc9e2d51), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/**
 * Creates the worker's Engine in Node over the companion at `endpoint`, with onnxruntime-node on
 * the wasm path, an in-memory store and the simulated clock, and waits for its models.
 */
export async function createSimulatedEngine(endpoint: string, clock: { now: number }, adaptation: AdaptationOptions | null = null): Promise<Engine> {
  const options: ResolvedOptions = { endpoint, models: `${endpoint}/models/manifest.json`, storage: 'memory', timeoutMs: 60_000, backend: 'wasm', dbName: 'unused', maxEvents: 1000, ranker: 'ort', ...(adaptation ? { adaptation } : {}) };
  const createRunner = async (bytes: ModelBytes, manifest: Manifest) => {
    const loadOrt = async () => ({ ort: ortNode as unknown as OrtModule, providers: { wasm: ['cpu'] } });
    return selectBackend({ request: 'wasm', loadOrt, bytes, manifest, probeWebGpu: async () => ({ adapter: false }) });
  };
  let ids = 0;
  const engine = await Engine.create(options, { fetch: (input, init) => fetch(input, init), store: new MemoryStore(), createRunner, now: () => clock.now, makeId: () => `sim-${++ids}` });
  await engine.info();
  await engine.ready;
  return engine;
}
