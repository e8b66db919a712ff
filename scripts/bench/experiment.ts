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
 * or not by the cascade click model with position bias. Every list is one exposure, and a click carries its
 * ranking id. The bench checks that the companion counted exactly the exposures and clicks it sent.
 *
 * The worker's Engine runs in Node (onnxruntime-node, in-memory store) with the SDK's default
 * options (adaptation off). AisleClient itself needs a browser Worker, so this script repeats its
 * glue in `showList` and `click`: merge recommendDefaults() into recommend(), expose() once per
 * shown list, tag a click with rankingOf(listId).
 *
 *   npm run bench:experiment -- --shoppers 400 --json
 *
 * Progress and the report go to stderr; with --json one JSON object goes to stdout.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { toLiveEvent, toMinute, LiveEventSender } from '../../src/client/beacon.js';
import { ExperimentClient, EXPERIMENTS_LOAD_MS } from '../../src/client/experiments.js';
import type { DemoCatalogIndex } from '../../src/training/data/demo-shoppers.js';
import { Engine } from '../../src/worker/engine.js';
import { answerList, createSimulatedEngine, demoCatalog, drawShopper, type ClickModel, type SimulatedShopper } from './adaptation-shoppers.js';
import { addSession, describeCounts, emptyCounts, logResult, selectExperiments, startExperimentCompanion, summarizeExperiment, type BenchExperiment, type ExperimentResult } from './experiment-companion.js';

const { values } = parseArgs({
  options: {
    shoppers: { type: 'string', default: '400' },
    views: { type: 'string', default: '20' },
    k: { type: 'string', default: '10' },
    seed: { type: 'string', default: '5000' },
    past: { type: 'string', default: '5' },
    gamma: { type: 'string', default: '0.03' },
    fatigue: { type: 'string', default: '1' },
    alpha: { type: 'string', default: '0.05' },
    experiment: { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
  },
});

const REPO_ROOT = join(import.meta.dirname, '..', '..');
const MODELS_DIR = join(REPO_ROOT, 'demo', 'public', 'models');
const log = (line: string) => process.stderr.write(`${line}\n`);

/** The page of one simulated shopper: the SDK's experiment client and event sender over one device. */
interface ShopperPage {
  experiments: ExperimentClient;
  sender: LiveEventSender;
  variant: string;
}

async function openPage(endpoint: string): Promise<ShopperPage> {
  // A fresh client without storage draws a new random device id, as a first visit does.
  const experiments = new ExperimentClient(endpoint, 'bench', { fetch, randomId: () => randomUUID(), now: () => Date.now() });
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

/** Tracks a click in the engine and queues its live event tagged with the ranking id, as track() does. */
async function click(page: ShopperPage, engine: Engine, itemId: string, listId: string, position: number): Promise<void> {
  await engine.track({ type: 'click', itemId, listId, position });
  const live = toLiveEvent('click', itemId, Date.now(), page.experiments.rankingOf(listId));
  if (live) page.sender.add(live);
}

/** Runs one shopper's session; returns the variant and its exposures and clicks. */
async function runSession(endpoint: string, engine: Engine, experiment: BenchExperiment, catalog: DemoCatalogIndex, shopper: SimulatedShopper, clock: { now: number }, views: number, k: number, model: ClickModel): Promise<{ variant: string; exposures: number; clicks: number }> {
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
  let clicks = 0;
  for (let step = 0; step < views; step++) {
    clock.now += 40_000;
    const list = await showList(page, engine, endpoint, shows, k);
    const items = list.ids.map((id) => indexOf.get(id)!);
    const outcome = answerList(catalog, shopper, step, items, model, skips);
    for (const slot of outcome.examined) {
      clock.now += 100;
      await engine.track({ type: 'impression', itemId: list.ids[slot], listId: list.rankingId, position: slot });
    }
    if (outcome.clicked !== undefined) {
      clock.now += 1000;
      await click(page, engine, list.ids[outcome.clicked], list.rankingId, outcome.clicked);
      clicks += 1;
    }
  }
  await page.sender.flush();
  if (page.sender.stats.failedBatches > 0) throw new Error(`POST /v1/events failed for ${page.sender.stats.failedBatches} batch(es).`);
  return { variant: page.variant, exposures: views, clicks };
}

async function runExperiment(experiment: BenchExperiment, catalog: DemoCatalogIndex, options: { shoppers: number; views: number; k: number; seed: number; past: number; model: ClickModel; alpha: number }): Promise<ExperimentResult> {
  const { app, endpoint } = await startExperimentCompanion(experiment, `bench-${options.seed}`, MODELS_DIR);
  const clock = { now: Date.now() };
  const sent = emptyCounts(experiment);
  const started = Date.now();
  let engine: Engine | undefined;
  try {
    engine = await createSimulatedEngine(endpoint, clock);
    for (let s = 0; s < options.shoppers; s++) {
      const shopper = drawShopper(catalog, options.seed + s, options.past);
      const session = await runSession(endpoint, engine, experiment, catalog, shopper, clock, options.views, options.k, options.model);
      addSession(sent, session);
      if ((s + 1) % 50 === 0 || s + 1 === options.shoppers) {
        log(`${experiment.name}: ${s + 1}/${options.shoppers} shoppers, ${((Date.now() - started) / 1000).toFixed(0)} s, CTR ${describeCounts(sent)}`);
      }
    }
    return await summarizeExperiment(endpoint, experiment, sent, options.alpha);

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
    model: { gamma: Number(values.gamma), fatigue: Number(values.fatigue) },
    alpha: Number(values.alpha),
  };
  const catalog = demoCatalog();
  const results: ExperimentResult[] = [];
  for (const experiment of selectExperiments(values.experiment)) results.push(await runExperiment(experiment, catalog, options));
  for (const result of results) logResult(result, options.alpha, log);
  if (values.json) process.stdout.write(`${JSON.stringify({ ...options, results })}\n`);
}

await main();
