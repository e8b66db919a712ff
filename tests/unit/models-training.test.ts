import { beforeAll, describe, expect, it } from 'vitest';
import type { Dataset, LeaveOneOutUser } from '../../src/training/data/dataset.js';
import { createRandom } from '../../src/core/random.js';
import { leaveOneOut } from '../../src/training/data/split.js';
import { trainRanker, type RankerList } from '../../src/training/models/train-ranker.js';
import { trainTowers } from '../../src/training/models/train-towers.js';
import { initTensorflow } from '../../src/training/models/tf.js';
import { rankerForward } from '../../src/training/models/ranker.js';
import { tf } from '../../src/training/models/tf.js';

beforeAll(async () => {
  await initTensorflow();
});

/** Users walk a ring of items: after item i comes item i + 1, so the next item is predictable. */
function ringDataset(items: number, users: number): Dataset {
  const random = createRandom(3);
  return {
    name: 'ring',
    items: Array.from({ length: items }, (_, i) => ({ id: `item-${i}`, tags: [`group-${i % 5}`] })),
    itemText: Array.from({ length: items }, (_, i) => `ring item ${i}`),
    sequences: Array.from({ length: users }, (_, u) => {
      const start = random.int(items);
      const length = 5 + random.int(6);
      return { user: `u${u}`, items: Int32Array.from({ length }, (_, k) => (start + k) % items) };
    }),
    hasTimestamps: false,
    orderNote: 'synthetic',
  };
}

describe('tower training', () => {
  it('lowers the loss and learns a predictable next item', async () => {
    const dataset = ringDataset(40, 300);
    const users: LeaveOneOutUser[] = leaveOneOut(dataset);
    const result = await trainTowers(dataset, users, {
      dim: 16, seqLen: 8, blocks: 1, heads: 1, dropout: 0.1, epochs: 4, batchSize: 64, negatives: 16,
      temperature: 0.1, learningRate: 0.01, patience: 4, validationUsers: 300, seed: 1, usesAges: false,
    });
    const losses = result.epochs.map((epoch) => epoch.loss);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    // Random ranking of 40 items (history excluded) gives HR@10 near 0.3; the ring is learnable.
    expect(result.bestValidation['HR@10']).toBeGreaterThan(0.6);
  });
});

describe('ranker training', () => {
  it('learns to put the labelled row first', () => {
    const random = createRandom(5);
    const featureCount = 4;
    const lists: RankerList[] = Array.from({ length: 200 }, () => {
      const count = 10;
      const features = Float32Array.from({ length: count * featureCount }, () => random.next());
      const label = random.int(count);
      features[label * featureCount] += 1; // the target has a larger first feature
      return { features, count, label };
    });
    const ranker = trainRanker(lists, { featureCount, hidden: [8], epochs: 30, batchSize: 16, learningRate: 0.01, patience: 30, seed: 1, name: 'test' });

    let hits = 0;
    for (const list of lists) {
      const scores = tf.tidy(() => rankerForward(ranker, tf.tensor2d(list.features, [list.count, featureCount])).dataSync());
      const best = scores.indexOf(Math.max(...scores));
      if (best === list.label) hits++;
    }
    expect(hits / lists.length).toBeGreaterThan(0.9);
  });
});
