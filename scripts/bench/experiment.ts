/**
 * A/B experiments driven by the simulated shoppers of scripts/bench/adaptation-shoppers.ts, through
 * the real experiment path. The companion runs on 127.0.0.1 with an experiment in its config. The
 * SDK's ExperimentClient loads GET /v1/experiments, assigns the device by hash of salt and device
 * id and issues ranking ids, and its LiveEventSender posts to POST /v1/events. The counts of
 * GET /v1/experiments/outcomes then go through the report functions of `aisle report`.
 *
 * Two experiments run one after the other, each on its own companion, with 50/50 weights:
 *   - `aa`: variants A and B both show recommend() results, so no difference is expected.
 *   - `popular`: variant `popular` (the control) shows GET /v1/trending, the list a store shows
 *     without Aisle, and variant `personalized` shows recommend() results.
 * Each simulated shopper gets a new random device id, so the real assignment splits them. It has a
 * short past history, then `--views` recommendation views of `--k` items each, each one clicked
 * or not by the cascade click model with position bias. `--revisit` scales the click probability of
 * an item the shopper already opened, a past product or a click. Its default 1 keeps no memory of
 * them. Every list is one exposure, and a click carries its ranking id. A clicked item goes to the cart with probability `--p-cart` times the shopper's
 * hidden taste match and is bought with probability `--p-buy` (conversion-model.ts). These two
 * are tracked without a list id, as a product page would, so the SDK attributes them to the
 * clicked list (src/client/attribution.ts). The bench checks that the companion counted exactly
 * the exposures, clicks, carts and purchases it sent.
 *
 * The worker's Engine runs in Node (onnxruntime-node, in-memory store) with the SDK's default
 * options (adaptation off). AisleClient itself needs a browser Worker, so this script repeats its
 * glue in `showList` and `trackOutcome`: merge recommendDefaults() into recommend(), expose() once
 * per shown list, tag an outcome with outcomeRanking(). The experiment client runs in 'returned'
 * exposure mode, because every list the bench shows is examined at least at its first slot.
 *
 *   npm run bench:experiment -- --shoppers 400 --json
 *
 * Progress and the report go to stderr; with --json one JSON object goes to stdout.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { toLiveEvent, toMinute, LiveEventSender } from '../../src/client/beacon.js';
import { ExperimentClient, EXPERIMENTS_LOAD_MS } from '../../src/client/experiments.js';
import { buildReport, formatReport, type ReportRow } from '../../src/cli/report.js';
import { createServer } from '../../src/server/app.js';
import { parseConfig } from '../../src/server/config.js';
import type { OutcomesResponse } from '../../src/server/experiments/outcomes.js';
import type { DemoCatalogIndex } from '../../src/training/data/demo-shoppers.js';
import { Engine } from '../../src/worker/engine.js';
import { answerList, createSimulatedEngine, demoCatalog, drawShopper, type ClickModel, type SimulatedShopper } from './adaptation-shoppers.js';
import { answerClick, type ConversionModel } from './conversion-model.js';
import { EXPERIMENTS, type BenchExperiment } from './experiment-companion.js';
import { describeRateVerdict, describeVerdict, shopperLevelTest, type ShopperLevelTest } from './experiment-summary.js';

const { values } = parseArgs({
  options: {
    shoppers: { type: 'string', default: '400' },
    views: { type: 'string', default: '20' },
    k: { type: 'string', default: '10' },
    seed: { type: 'string', default: '5000' },
    past: { type: 'string', default: '5' },
    gamma: { type: 'string', default: '0.03' },
    fatigue: { type: 'string', default: '1' },
    // 1 keeps the click model of the runs recorded in docs/benchmarks.md, and the browser bench uses 0.
    revisit: { type: 'string', default: '1' },
    alpha: { type: 'string', default: '0.05' },
    'p-cart': { type: 'string', default: '0.5' },
    'p-buy': { type: 'string', default: '0.4' },
    experiment: { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
  },
});

const REPO_ROOT = join(import.meta.dirname, '..', '..');
const MODELS_DIR = join(REPO_ROOT, 'demo', 'public', 'models');
const log = (line: string) => process.stderr.write(`${line}\n`);

/** Outcomes of one session or one variant: exposures and the exposures with a click, cart or purchase. */
interface OutcomeCounts {
  exposures: number;
  clicks: number;
  carts: number;
  purchases: number;
}

/** Counts this script sent per variant, to check against the companion's, and the CTR of each shopper. */
type SentCounts = Map<string, OutcomeCounts & { shopperCtr: number[] }>;

/** The page of one simulated shopper: the SDK's experiment client and event sender over one device. */
interface ShopperPage {
  experiments: ExperimentClient;
  sender: LiveEventSender;
  variant: string;
}

async function openPage(endpoint: string): Promise<ShopperPage> {
  // A fresh client without storage draws a new random device id, as a first visit does.
  const experiments = new ExperimentClient(endpoint, 'bench', { fetch, randomId: () => randomUUID(), now: () => Date.now() }, 'returned');
  await experiments.load(EXPERIMENTS_LOAD_MS);
  const view = experiments.view();
  if (view.error !== undefined || view.assignments.length !== 1) throw new Error(`Experiment assignment failed: ${view.error ?? JSON.stringify(view.assignments)}`);
  // Batches go out only on flush() at the end of a session, so an exposure and its click are
  // never in two requests racing each other.
  const sender = new LiveEventSender(endpoint, { maxBatch: 500, flushMs: 600_000 }, { fetch });
  return { experiments, sender, variant: view.assignments[0].variant };
}

/** Returns the item ids the variant shows and the list's ranking id; queues the exposure, as recommend() does. */
async function showList(page: ShopperPage, engine: Engine, endpoint: string, shows: 'recommend' | 'trending', k: number): Promise<{ ids: string[]; rankingId: string }> {
  let ids: string[];
  if (shows === 'trending') {
    const response = await fetch(`${endpoint}/v1/trending?k=${k}`);
    if (!response.ok) throw new Error(`GET /v1/trending returned HTTP ${response.status}`);
    ids = ((await response.json()) as { items: Array<{ id: string }> }).items.map((item) => item.id);
  } else {
    ids = (await engine.recommend({ ...page.experiments.recommendDefaults(), k })).items.map((item) => item.id);
  }
  const exposure = page.experiments.expose();
  if (exposure === null) throw new Error('The device is in no experiment, so the list has no ranking id.');
  for (const event of exposure.exposures) page.sender.add({ ...event, time: toMinute(event.time) });
  return { ids, rankingId: exposure.rankingId };
}

/** Tracks an outcome in the engine and queues its live event tagged with its ranking id, as track() does. */
async function trackOutcome(page: ShopperPage, engine: Engine, type: 'click' | 'add_to_cart' | 'purchase', itemId: string, listId?: string, position?: number): Promise<void> {
  await engine.track({ type, itemId, ...(listId === undefined ? {} : { listId }), ...(position === undefined ? {} : { position }) });
  const live = toLiveEvent(type, itemId, Date.now(), page.experiments.outcomeRanking(type, itemId, listId));
  if (live) page.sender.add(live);
}

/** Runs one shopper's session; returns the variant and its outcome counts. */
async function runSession(endpoint: string, engine: Engine, experiment: BenchExperiment, catalog: DemoCatalogIndex, shopper: SimulatedShopper, clock: { now: number }, views: number, k: number, model: ClickModel, conversion: ConversionModel): Promise<OutcomeCounts & { variant: string }> {
  const page = await openPage(endpoint);
  const shows = experiment.variants.find((variant) => variant.name === page.variant)?.shows;
  if (shows === undefined) throw new Error(`The companion assigned variant ${page.variant}, which experiment ${experiment.name} of this bench does not define.`);

  await engine.forget();
  for (const event of shopper.past) {
    clock.now += 1000;
    await engine.track({ type: event.type, itemId: catalog.items[event.item].meta.id });
  }

  const indexOf = new Map(catalog.items.map((item, i) => [item.meta.id, i]));
  const skips = new Map<number, number>();
  // Items the shopper opened: its past products and its clicks, whose click probability model.revisit scales.
  const opened = new Set(shopper.past.map((event) => event.item));
  let clicks = 0;
  let carts = 0;
  let purchases = 0;
  for (let step = 0; step < views; step++) {
    clock.now += 40_000;
    const list = await showList(page, engine, endpoint, shows, k);
    const items = list.ids.map((id) => indexOf.get(id)!);
    const outcome = answerList(catalog, shopper, step, items, model, skips, opened);
    for (const slot of outcome.examined) {
      clock.now += 100;
      await engine.track({ type: 'impression', itemId: list.ids[slot], listId: list.rankingId, position: slot });
    }
    if (outcome.clicked === undefined) continue;
    const itemId = list.ids[outcome.clicked];
    opened.add(items[outcome.clicked]);
    clock.now += 1000;
    await trackOutcome(page, engine, 'click', itemId, list.rankingId, outcome.clicked);
    clicks += 1;
    const after = answerClick(catalog, shopper, step, items[outcome.clicked], conversion);
    if (after.addToCart) {
      clock.now += 5000;
      await trackOutcome(page, engine, 'add_to_cart', itemId);
      carts += 1;
    }
    if (after.purchase) {
      clock.now += 5000;
      await trackOutcome(page, engine, 'purchase', itemId);
      purchases += 1;
    }
  }
  await page.sender.flush();
  if (page.sender.stats.failedBatches > 0) throw new Error(`POST /v1/events failed for ${page.sender.stats.failedBatches} batch(es).`);
  return { variant: page.variant, exposures: views, clicks, carts, purchases };
}

/** Result of one experiment: the companion's outcomes, the report rows and the verdict. */
interface ExperimentResult {
  experiment: string;
  outcomes: OutcomesResponse;
  rows: ReportRow[];
  verdict: string;
  /** Second variant against the first, with the shopper as the unit. */
  shopperLevel: (ShopperLevelTest & { shoppers: [number, number] }) | null;
}

async function runExperiment(experiment: BenchExperiment, catalog: DemoCatalogIndex, options: { shoppers: number; views: number; k: number; seed: number; past: number; model: ClickModel; conversion: ConversionModel; alpha: number }): Promise<ExperimentResult> {
  const config = parseConfig({ experiments: [{ name: experiment.name, salt: `bench-${options.seed}`, variants: experiment.variants.map((variant) => ({ name: variant.name, weight: 1 })) }] }, 'experiment bench');
  const app = await createServer({ modelsDir: MODELS_DIR, live: config.live });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const endpoint = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const clock = { now: Date.now() };
  const sent: SentCounts = new Map(experiment.variants.map((variant) => [variant.name, { exposures: 0, clicks: 0, carts: 0, purchases: 0, shopperCtr: [] as number[] }]));
  const started = Date.now();
  let engine: Engine | undefined;
  try {
    engine = await createSimulatedEngine(endpoint, clock);
    for (let s = 0; s < options.shoppers; s++) {
      const shopper = drawShopper(catalog, options.seed + s, options.past);
      const session = await runSession(endpoint, engine, experiment, catalog, shopper, clock, options.views, options.k, options.model, options.conversion);
      const counts = sent.get(session.variant)!;
      counts.exposures += session.exposures;
      counts.clicks += session.clicks;
      counts.carts += session.carts;
      counts.purchases += session.purchases;
      counts.shopperCtr.push(session.clicks / session.exposures);
      if ((s + 1) % 50 === 0 || s + 1 === options.shoppers) {
        const ctr = [...sent].map(([name, c]) => `${name} ${c.exposures === 0 ? '-' : (c.clicks / c.exposures).toFixed(4)}`).join(', ');
        log(`${experiment.name}: ${s + 1}/${options.shoppers} shoppers, ${((Date.now() - started) / 1000).toFixed(0)} s, CTR ${ctr}`);
      }
    }

    const response = await fetch(`${endpoint}/v1/experiments/outcomes`);
    if (!response.ok) throw new Error(`GET /v1/experiments/outcomes returned HTTP ${response.status}`);
    const outcomes = (await response.json()) as OutcomesResponse;
    const counted = outcomes.experiments[0].variants;
    for (const variant of counted) {
      const mine = sent.get(variant.name)!;
      // One click per list at most, so every cart and purchase is the first of its exposure.
      if (variant.exposures !== mine.exposures || variant.click !== mine.clicks || variant.add_to_cart !== mine.carts || variant.purchase !== mine.purchases) {
        const counted = `${variant.exposures} exposures, ${variant.click} clicks, ${variant.add_to_cart} carts and ${variant.purchase} purchases`;
        throw new Error(`The companion counted ${counted} for ${variant.name}, but the bench sent ${mine.exposures}, ${mine.clicks}, ${mine.carts} and ${mine.purchases}.`);
      }
    }
    const rows = buildReport(outcomes, options.alpha);
    const verdict = [
      describeVerdict(rows[0], counted[0].click, rows[1], counted[1].click, options.alpha),
      describeRateVerdict('conversion', rows[0], counted[0].purchase, rows[1], counted[1].purchase, options.alpha),
    ].join('\n');
    const [control, treatment] = experiment.variants.map((variant) => sent.get(variant.name)!.shopperCtr);
    const test = shopperLevelTest(treatment, control);
    return { experiment: experiment.name, outcomes, rows, verdict, shopperLevel: test === null ? null : { ...test, shoppers: [control.length, treatment.length] } };
  } finally {
    await engine?.destroy();
    await app.close();
  }
}

async function main(): Promise<void> {
  const options = {
    shoppers: Number(values.shoppers),
    views: Number(values.views),
    k: Number(values.k),
    seed: Number(values.seed),
    past: Number(values.past),
    model: { gamma: Number(values.gamma), fatigue: Number(values.fatigue), revisit: Number(values.revisit) },
    conversion: { pCart: Number(values['p-cart']), pBuy: Number(values['p-buy']) },
    alpha: Number(values.alpha),
  };
  for (const [name, value] of [['--p-cart', options.conversion.pCart], ['--p-buy', options.conversion.pBuy]] as const) {
    if (!(value >= 0 && value <= 1)) throw new Error(`Invalid ${name} ${JSON.stringify(values[name.slice(2) as 'p-cart' | 'p-buy'])}: use a probability from 0 to 1.`);
  }
  if (!(options.model.revisit >= 0 && options.model.revisit <= 1)) throw new Error(`Invalid --revisit ${JSON.stringify(values.revisit)}: use a factor from 0 to 1.`);
  const keys = values.experiment ?? EXPERIMENTS.map((experiment) => experiment.key);
  const catalog = demoCatalog();
  const results: ExperimentResult[] = [];
  for (const key of keys) {
    const experiment = EXPERIMENTS.find((entry) => entry.key === key);
    if (experiment === undefined) throw new Error(`Invalid --experiment ${JSON.stringify(key)}: use ${EXPERIMENTS.map((entry) => entry.key).join(' or ')}.`);
    results.push(await runExperiment(experiment, catalog, options));
  }
  for (const result of results) {
    log(`\n${formatReport(result.rows, options.alpha)}${result.verdict}`);
    const test = result.shopperLevel;
    if (test !== null) log(`Per-shopper CTR (${test.shoppers[0]} vs ${test.shoppers[1]} shoppers): difference ${test.difference.toFixed(4)} ± ${test.halfWidth.toFixed(4)}, p = ${test.pValue.toFixed(4)}.`);
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ ...options, results })}\n`);
}

await main();
