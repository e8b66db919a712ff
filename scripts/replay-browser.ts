/**
 * Real data through the real pipeline: trains on a dataset (or reuses a trained models
 * directory), serves it with the companion, and replays test users' histories in headless
 * Chromium through the SDK's `track()`. Then it compares `recommend({ k: 10 })` with each
 * user's held-out next item and prints HR@10 and NDCG@10 for Aisle in the browser, for the same
 * models evaluated offline on the same users, and for popularity.
 *
 *   node --import tsx scripts/replay-browser.ts --data ../shared/data/amazon-scientific --users 500
 *
 * Progress goes to stderr; with --json one JSON object goes to stdout.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import type { Aisle } from '../src/client/index.js';
import { ndcg } from '../src/core/metrics.js';
import { leaveOneOut } from '../src/training/data/split.js';
import type { LeaveOneOutUser } from '../src/training/data/dataset.js';
import { historyFor } from '../src/training/data/split.js';
import { evaluate, formatTable, type ResultRow } from '../src/training/evaluate.js';
import { itemKnnScorer } from '../src/training/baselines/item-knn.js';
import { popularityScorer } from '../src/training/baselines/popularity.js';
import { evaluateModels } from '../src/training/pipeline/evaluate-models.js';
import { checkSameCatalog, loadModels } from '../src/training/pipeline/load-models.js';
import { loadTrainingData } from '../src/training/train.js';
import { CHROMIUM_ARGS, REPO_ROOT, ensureSdkBuild, startCompanion, startSite } from '../tests/browser/fixtures/sdk-environment.js';

declare global {
  interface Window {
    AisleSdk: typeof import('../src/client/index.js');
    aisle: Aisle;
  }
}

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '../shared/data/amazon-scientific' },
    models: { type: 'string' },
    users: { type: 'string', default: '500' },
    seed: { type: 'string', default: '42' },
    json: { type: 'boolean', default: false },
  },
});

const log = (line: string) => process.stderr.write(`${line}\n`);
const dataPath = resolve(values.data);
const modelsDir = resolve(values.models ?? join(REPO_ROOT, '.cache', 'models', basename(dataPath)));
const userCount = Number(values.users);
const seed = Number(values.seed);

/** One replayed user: item ids of the history (oldest first), event types and the held-out item id. */
interface Replay {
  user: string;
  items: string[];
  types: string[];
  target: string;
}

/** Picks `count` users spread evenly over the split, so the sample does not depend on file order runs. */
function sampleUsers(users: readonly LeaveOneOutUser[], count: number): LeaveOneOutUser[] {
  if (users.length <= count) return [...users];
  const step = users.length / count;
  return Array.from({ length: count }, (_, i) => users[Math.floor(i * step)]);
}

async function main(): Promise<void> {
  if (!existsSync(join(modelsDir, 'manifest.json'))) {
    log(`replay: training ${dataPath} into ${modelsDir}`);
    const result = spawnSync('node', ['bin/aisle.mjs', 'train', '--data', dataPath, '--out', modelsDir, '--seed', String(seed)], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    if (result.status !== 0) throw new Error(`aisle train failed with exit code ${result.status}`);
  }
  ensureSdkBuild();

  const dataset = await loadTrainingData(dataPath, undefined, seed);
  const allUsers = leaveOneOut(dataset);
  const users = sampleUsers(allUsers, userCount);
  log(`replay: ${users.length} test users of ${dataset.name}`);

  // Offline: the same models through onnxruntime-node and the FAISS index, on the same users.
  const models = await loadModels(modelsDir);
  let offline;
  try {
    checkSameCatalog(dataset, models.catalog);
    offline = (await evaluateModels(users, { ...models, usesAges: models.manifest.usesAges }, log)).rows;
  } finally {
    await models.dispose();
  }

  const replays: Replay[] = users.map((user) => {
    const history = historyFor(user, 'test');
    return {
      user: user.user,
      items: Array.from(history.items, (index) => dataset.items[index].id),
      types: Array.from(history.items, (_, i) => history.types?.[i] ?? 'view'),
      target: dataset.items[user.test].id,
    };
  });

  // Browser: the built SDK in Chromium, the real companion, IndexedDB, the worker.
  const companion = await startCompanion(modelsDir);
  const site = await startSite();
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, headless: true });
  const ranks: number[] = [];
  let degraded = 0;
  const started = Date.now();
  try {
    const page = await browser.newPage();
    page.on('pageerror', (error) => log(`replay: page error ${error.message}`));
    await page.goto(`${site.url}/esm.html`);
    await page.waitForFunction(() => window.AisleSdk !== undefined);
    await page.evaluate(async (endpoint) => {
      window.aisle = await window.AisleSdk.createAisle({ endpoint, timeoutMs: 30_000 });
    }, companion.url);

    for (let i = 0; i < replays.length; i++) {
      const result = await page.evaluate(async (replay) => {
        await window.aisle.forget();
        // Timestamps one second apart, ending a minute ago: the order is what the models use.
        const start = Date.now() - 60_000 - replay.items.length * 1000;
        for (let j = 0; j < replay.items.length; j++) {
          await window.aisle.track({ type: replay.types[j] as 'view', itemId: replay.items[j], timestamp: start + j * 1000 });
        }
        const recommended = await window.aisle.recommend({ k: 10 });
        return { ids: recommended.items.map((item) => item.id), degraded: recommended.degraded?.reason };
      }, replays[i]);
      if (result.degraded) degraded++;
      ranks.push(result.ids.indexOf(replays[i].target));
      if ((i + 1) % 50 === 0 || i + 1 === replays.length) {
        const seconds = (Date.now() - started) / 1000;
        log(`replay: ${i + 1}/${replays.length} users, ${seconds.toFixed(0)} s, ETA ${((seconds / (i + 1)) * (replays.length - i - 1)).toFixed(0)} s`);
      }
    }
  } finally {
    await browser.close();
    await companion.close();
    await site.close();
  }

  const browserRow = {
    model: 'aisle-browser',
    'HR@10': ranks.filter((rank) => rank >= 0).length / ranks.length,
    'NDCG@10': ranks.reduce((sum, rank) => sum + ndcg(rank, 10), 0) / ranks.length,
  };
  // The baselines count on every user's training data, not only on the replayed sample's.
  const itemCount = dataset.items.length;
  const rows: ResultRow[] = [
    { model: 'popularity', ...(await evaluate(users, itemCount, popularityScorer(allUsers, itemCount), { split: 'test' })) },
    { model: 'item-knn', ...(await evaluate(users, itemCount, itemKnnScorer(allUsers, itemCount), { split: 'test' })) },
    ...offline.filter((row) => row.model === 'student-int8'),
  ];
  log(`\n${formatTable(rows)}`);
  log(`aisle-browser  HR@10 ${browserRow['HR@10'].toFixed(4)}  NDCG@10 ${browserRow['NDCG@10'].toFixed(4)}  (${degraded} degraded answers)`);
  // One standard error of a hit rate over n users: sqrt(p (1 - p) / n).
  const int8 = rows.find((row) => row.model === 'student-int8');
  if (int8) {
    const standardError = Math.sqrt((int8['HR@10'] * (1 - int8['HR@10'])) / ranks.length);
    log(`browser - offline HR@10: ${(browserRow['HR@10'] - int8['HR@10']).toFixed(4)} (one standard error ${standardError.toFixed(4)})`);
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ dataset: dataset.name, users: ranks.length, degraded, rows: [...rows, browserRow] })}\n`);
  }
}

await main();
