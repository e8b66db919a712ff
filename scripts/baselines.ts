/**
 * Measures the popularity and item-kNN baselines on datasets, under full ranking (history items
 * excluded) and under sampled ranking (99 negatives), and prints one table per dataset with the
 * time each row took.
 *
 * Usage: npx tsx scripts/baselines.ts [--json FILE] [DATASET_DIR_OR_demo ...]
 * Without datasets it runs amazon-beauty and amazon-scientific under $AISLE_DATA_DIR
 * (default ../shared/data relative to the repository root).
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { itemKnnScorer } from '../src/training/baselines/item-knn.js';
import { popularityScorer } from '../src/training/baselines/popularity.js';
import { loadDataset } from '../src/training/data/index.js';
import { splitLeaveOneOut } from '../src/training/data/split.js';
import { evaluate, evaluateSampled, formatTable, toResultsJson, type ResultRow, type ResultsJson, type Scorer } from '../src/training/evaluate.js';
import type { LeaveOneOutUser } from '../src/training/data/dataset.js';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DATA_DIR = process.env.AISLE_DATA_DIR ?? resolve(REPO_ROOT, '../shared/data');

type ScorerFactory = (users: readonly LeaveOneOutUser[], nItems: number) => Scorer;

const MODELS: Array<[string, ScorerFactory]> = [
  ['popularity', popularityScorer],
  ['item-knn', (users, nItems) => itemKnnScorer(users, nItems)],
  ['item-knn-w3-last3', (users, nItems) => itemKnnScorer(users, nItems, { window: 3, backward: 0.5, lastItems: 3 })],
];

async function measure(path: string): Promise<ResultsJson[]> {
  const started = performance.now();
  const dataset = await loadDataset(path);
  const { users, dropped } = splitLeaveOneOut(dataset);
  const nItems = dataset.items.length;
  console.log(`\n${dataset.name}: ${nItems} items, ${users.length} users (${dropped} dropped, < 3 items), loaded in ${ms(started)}`);

  const full: ResultRow[] = [];
  const sampled: ResultRow[] = [];
  for (const [model, factory] of MODELS) {
    const start = performance.now();
    const scorer = factory(users, nItems);
    full.push({ model, ...(await evaluate(users, nItems, scorer, { split: 'test' })) });
    const fullTime = ms(start);
    const sampledStart = performance.now();
    sampled.push({ model, ...(await evaluateSampled(users, nItems, scorer, { split: 'test', negatives: 99, seed: 12345 })) });
    console.log(`  ${model}: full ranking ${fullTime} (incl. building), sampled ${ms(sampledStart)}`);
  }
  console.log('\nfull ranking, history excluded, test split\n' + formatTable(full));
  console.log('\nsampled ranking, 99 negatives, seed 12345, test split\n' + formatTable(sampled));
  return [toResultsJson(dataset.name, 'leave-one-out test, full ranking, history excluded', full), toResultsJson(dataset.name, 'leave-one-out test, 99 sampled negatives', sampled)];
}

function ms(start: number): string {
  return `${((performance.now() - start) / 1000).toFixed(1)} s`;
}

async function main(argv: string[]): Promise<void> {
  const jsonAt = argv.indexOf('--json');
  const jsonFile = jsonAt >= 0 ? argv[jsonAt + 1] : undefined;
  const paths = jsonAt < 0 ? argv : argv.filter((_, i) => i !== jsonAt && i !== jsonAt + 1);
  const targets = paths.length > 0 ? paths : ['amazon-beauty', 'amazon-scientific'].map((name) => join(DATA_DIR, name));

  const reports: ResultsJson[] = [];
  for (const path of targets) reports.push(...(await measure(path)));
  if (jsonFile) await writeFile(jsonFile, `${JSON.stringify(reports, null, 2)}\n`);
}

await main(process.argv.slice(2));
