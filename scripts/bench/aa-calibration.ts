/**
 * False positive rate of the report's two tests on simulated A/A experiments
 * (scripts/bench/aa-simulation.ts): the share of runs each test calls significant, where the
 * nominal rate is alpha. A test whose rate stays near alpha can be trusted on traffic where one
 * device is shown many lists.
 *
 *   npm run bench:aa -- --runs 400 --devices 300,60,2000 --json
 *
 * Progress goes to stderr; with --json one JSON object goes to stdout.
 */
import { parseArgs } from 'node:util';
import { simulateAaRuns, type AaFalsePositives } from './aa-simulation.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '400' },
    devices: { type: 'string', default: '300' },
    lists: { type: 'string', default: '20' },
    ctrs: { type: 'string', default: '0.05,0.4' },
    alpha: { type: 'string', default: '0.05' },
    seed: { type: 'string', default: '20261205' },
    json: { type: 'boolean', default: false },
  },
});

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`Invalid --${name} ${JSON.stringify(text)}: use a whole number of at least 1.`);
  return value;
}

function probability(name: string, text: string): number {
  const value = Number(text);
  if (!(value >= 0 && value <= 1) || text.trim() === '') throw new Error(`Invalid --${name} ${JSON.stringify(text)}: use a number from 0 to 1.`);
  return value;
}

const runs = positiveInteger('runs', values.runs);
const deviceCounts = values.devices.split(',').map((text) => positiveInteger('devices', text));
const lists = positiveInteger('lists', values.lists);
const ctrTexts = values.ctrs.split(',');
if (ctrTexts.length !== 2) throw new Error(`Invalid --ctrs ${JSON.stringify(values.ctrs)}: give two click probabilities, such as 0.05,0.4.`);
const ctrs = [probability('ctrs', ctrTexts[0]), probability('ctrs', ctrTexts[1])] as const;
const alpha = probability('alpha', values.alpha);
const seed = Number(values.seed);
if (!Number.isInteger(seed)) throw new Error(`Invalid --seed ${JSON.stringify(values.seed)}: use a whole number.`);

const results: Array<{ devices: number } & AaFalsePositives> = [];
for (const devices of deviceCounts) {
  const started = Date.now();
  const result = simulateAaRuns({ runs, devices, lists, ctrs, alpha, seed }, (done, counts) => {
    if (done % 50 === 0 || done === runs) process.stderr.write(`${devices} devices: ${done}/${runs} runs, ${((Date.now() - started) / 1000).toFixed(0)} s, significant: z test ${counts.exposureTest}, bucket test ${counts.bucketTest}\n`);
  });
  results.push({ devices, ...result });
}

process.stderr.write(`\nA/A false positive rate at alpha = ${alpha}, ${lists} lists per device, device CTR ${ctrs[0]} or ${ctrs[1]}:\n`);
for (const result of results) {
  process.stderr.write(`  ${String(result.devices).padStart(5)} devices: z test ${(100 * result.exposureTest).toFixed(1)}%, device-bucket test ${(100 * result.bucketTest).toFixed(1)}% (${result.runs} runs)\n`);
}
if (values.json) process.stdout.write(`${JSON.stringify({ runs, lists, ctrs, alpha, seed, results })}\n`);
