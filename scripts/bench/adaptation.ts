/**
 * Click-through rate with and without on-device adaptation, measured in one run over the same
 * simulated shoppers (scripts/bench/adaptation-shoppers.ts).
 *
 * It serves the demo models (demo/public/models) with the real companion on 127.0.0.1 and runs
 * the worker's Engine in Node: onnxruntime-node for the models, an in-memory store and
 * TensorFlow.js (cpu backend) for the adaptation step. For each shopper, each arm calls
 * forget(), tracks the shopper's past events, then runs `--steps` interactions: recommend({ k })
 * → the click model's impressions → track() of each impression and of the click. The simulated
 * clock moves 40 s per interaction, so impressions without a click count as skipped before the
 * next list. Arms: `baseline` (adaptation off) and one arm per `--config` (JSON of adaptation
 * options, default the SDK's defaults).
 *
 *   node --import tsx scripts/bench/adaptation.ts --shoppers 400 --seed 1000 --json --svg docs/img/adaptation-ctr.svg
 *
 * Progress goes to stderr; with --json one JSON object goes to stdout.
 */
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_ADAPTATION, type AdaptationOptions } from '../../src/core/adaptation.js';
import { createServer } from '../../src/server/app.js';
import { renderLineChart } from '../../src/training/report/line-chart.js';
import { Engine } from '../../src/worker/engine.js';
import { answerList, createSimulatedEngine, demoCatalog, drawShopper, type ClickModel, type SimulatedShopper } from './adaptation-shoppers.js';
import type { DemoCatalogIndex } from '../../src/training/data/demo-shoppers.js';

const { values } = parseArgs({
  options: {
    shoppers: { type: 'string', default: '400' },
    steps: { type: 'string', default: '30' },
    k: { type: 'string', default: '10' },
    seed: { type: 'string', default: '1000' },
    past: { type: 'string', default: '5' },
    gamma: { type: 'string', default: '0.03' },
    fatigue: { type: 'string', default: '1' },
    config: { type: 'string', multiple: true },
    json: { type: 'boolean', default: false },
    svg: { type: 'string' },
  },
});

const REPO_ROOT = join(import.meta.dirname, '..', '..');
const MODELS_DIR = join(REPO_ROOT, 'demo', 'public', 'models');
const STEP_MS = 40_000;
const log = (line: string) => process.stderr.write(`${line}\n`);

/** Clicks and lists of one arm: totals per interaction step and per shopper. */
interface ArmResult {
  name: string;
  adaptation: AdaptationOptions | null;
  clicksPerStep: number[];
  impressions: number;
  clicksPerShopper: number[];
}

/** Runs one shopper's session in one arm; returns the clicks per step and the impressions. */
async function runSession(engine: Engine, catalog: DemoCatalogIndex, shopper: SimulatedShopper, clock: { now: number }, steps: number, k: number, model: ClickModel): Promise<{ clicks: number[]; impressions: number }> {
  await engine.forget();
  const idOf = (index: number) => catalog.items[index].meta.id;
  const indexOf = new Map(catalog.items.map((item, i) => [item.meta.id, i]));
  for (const event of shopper.past) {
    clock.now += 1000;
    await engine.track({ type: event.type, itemId: idOf(event.item) });
  }

  const clicks: number[] = [];
  const skips = new Map<number, number>();
  let impressions = 0;
  for (let step = 0; step < steps; step++) {
    clock.now += STEP_MS;
    const list = await engine.recommend({ k });
    const items = list.items.map((item) => indexOf.get(item.id)!);
    const outcome = answerList(catalog, shopper, step, items, model, skips);
    for (const slot of outcome.examined) {
      clock.now += 100;
      await engine.track({ type: 'impression', itemId: idOf(items[slot]), listId: 'recs', position: slot });
    }
    impressions += outcome.examined.length;
    if (outcome.clicked !== undefined) {
      clock.now += 1000;
      await engine.track({ type: 'click', itemId: idOf(items[outcome.clicked]), listId: 'recs', position: outcome.clicked });
    }
    clicks.push(outcome.clicked === undefined ? 0 : 1);
  }
  return { clicks, impressions };
}

/** Mean and the half-width of its 95% normal confidence interval. */
function meanInterval(samples: readonly number[]): { mean: number; halfWidth: number } {
  const n = samples.length;
  const mean = samples.reduce((sum, x) => sum + x, 0) / n;
  const variance = samples.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (n - 1);
  return { mean, halfWidth: 1.96 * Math.sqrt(variance / n) };
}

async function main(): Promise<void> {
  const shopperCount = Number(values.shoppers);
  const steps = Number(values.steps);
  const k = Number(values.k);
  const seed = Number(values.seed);
  const gamma = Number(values.gamma);
  const model: ClickModel = { gamma, fatigue: Number(values.fatigue) };
  const configs: Array<{ name: string; adaptation: AdaptationOptions | null }> = [{ name: 'baseline', adaptation: null }];
  for (const text of values.config ?? ['{}']) configs.push({ name: `adaptation ${text}`, adaptation: { ...DEFAULT_ADAPTATION, ...(JSON.parse(text) as Partial<AdaptationOptions>) } });

  const catalog = demoCatalog();
  const app = await createServer({ modelsDir: MODELS_DIR });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const endpoint = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const clock = { now: Date.UTC(2026, 11, 1) };
  const arms: ArmResult[] = [];
  const engines: Engine[] = [];
  const started = Date.now();
  try {
    for (const config of configs) {
      engines.push(await createSimulatedEngine(endpoint, clock, config.adaptation));
      arms.push({ ...config, clicksPerStep: new Array<number>(steps).fill(0), impressions: 0, clicksPerShopper: [] });
    }
    for (let s = 0; s < shopperCount; s++) {
      const shopper = drawShopper(catalog, seed + s, Number(values.past));
      for (let a = 0; a < arms.length; a++) {
        const session = await runSession(engines[a], catalog, shopper, clock, steps, k, model);
        session.clicks.forEach((click, step) => (arms[a].clicksPerStep[step] += click));
        arms[a].impressions += session.impressions;
        arms[a].clicksPerShopper.push(session.clicks.reduce((sum, x) => sum + x, 0));
      }
      if ((s + 1) % 25 === 0 || s + 1 === shopperCount) {
        const ctr = arms.map((arm) => `${arm.name === 'baseline' ? 'off' : 'on'} ${(arm.clicksPerShopper.reduce((sum, x) => sum + x, 0) / ((s + 1) * steps)).toFixed(4)}`).join(', ');
        log(`adaptation: ${s + 1}/${shopperCount} shoppers, ${((Date.now() - started) / 1000).toFixed(0)} s, CTR ${ctr}`);
      }
    }
  } finally {
    for (const engine of engines) await engine.destroy();
    await app.close();
  }

  const baseline = arms[0];
  const rows = arms.map((arm) => {
    const ctr = meanInterval(arm.clicksPerShopper.map((clicks) => clicks / steps));
    const paired = meanInterval(arm.clicksPerShopper.map((clicks, s) => (clicks - baseline.clicksPerShopper[s]) / steps));
    return {
      arm: arm.name,
      adaptation: arm.adaptation,
      ctr: ctr.mean,
      ctrHalfWidth: ctr.halfWidth,
      clicksPerImpression: arm.clicksPerShopper.reduce((sum, x) => sum + x, 0) / arm.impressions,
      differenceToBaseline: paired.mean,
      differenceHalfWidth: paired.halfWidth,
      relativeLift: paired.mean / (baseline.clicksPerShopper.reduce((sum, x) => sum + x, 0) / (shopperCount * steps)),
      ctrPerStep: arm.clicksPerStep.map((clicks) => clicks / shopperCount),
    };
  });
  for (const row of rows) {
    log(`${row.arm}: CTR ${row.ctr.toFixed(4)} ± ${row.ctrHalfWidth.toFixed(4)}, clicks per impression ${row.clicksPerImpression.toFixed(4)}, difference ${row.differenceToBaseline.toFixed(4)} ± ${row.differenceHalfWidth.toFixed(4)} (${(100 * row.relativeLift).toFixed(1)}%)`);
  }

  if (values.svg) {
    // Mean CTR over windows of 5 interactions, so the curve shows the trend rather than noise.
    const window = 5;
    const x = Array.from({ length: Math.ceil(steps / window) }, (_, w) => Math.min(steps, (w + 1) * window));
    const smooth = (perStep: number[]) => x.map((end, w) => perStep.slice(w * window, end).reduce((sum, v) => sum + v, 0) / (end - w * window));
    const svg = renderLineChart({
      title: `CTR per interaction, ${shopperCount} simulated shoppers`,
      xLabel: 'interaction (mean of the last 5)',
      yLabel: 'CTR',
      x,
      series: rows.map((row, i) => ({ name: seriesName(row.arm, i, configs.length), values: smooth(row.ctrPerStep) })),
    });
    writeFileSync(values.svg, svg);
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ shoppers: shopperCount, steps, k, seed, clickModel: model, rows })}\n`);
}

/** Returns the legend entry of an arm: 'adaptation off' or 'on', or the configuration when there are several. */
function seriesName(arm: string, index: number, arms: number): string {
  if (index === 0) return 'adaptation off';
  return arms > 2 ? arm : 'adaptation on';
}

await main();
