import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { TOWER_IO, RANKER_IO } from '../../src/core/model-dir.js';
import { createRandom, type Random } from '../../src/core/random.js';
import { randomNormals } from '../../src/training/models/init.js';
import { createRanker, rankerForward, STUDENT_HIDDEN, type RankerWeights } from '../../src/training/models/ranker.js';
import { exportRanker } from '../../src/training/models/ranker-onnx.js';
import { initTensorflow, l2Normalize, tf } from '../../src/training/models/tf.js';
import { createUserTower, towerHidden, type UserTowerConfig } from '../../src/training/models/user-tower.js';
import { exportUserTower } from '../../src/training/models/user-tower-onnx.js';

beforeAll(async () => {
  await initTensorflow();
});

/** Random left-padded tower inputs: row b has `lengths[b]` real events ending at position L-1. */
function towerInputs(random: Random, lengths: number[], seqLen: number, dim: number) {
  const batch = lengths.length;
  const itemVectors = new Float32Array(batch * seqLen * dim);
  const eventTypes = new Int32Array(batch * seqLen);
  const ages = new Float32Array(batch * seqLen);
  const mask = new Float32Array(batch * seqLen);
  lengths.forEach((length, b) => {
    for (let p = seqLen - length; p < seqLen; p++) {
      const cell = b * seqLen + p;
      mask[cell] = 1;
      eventTypes[cell] = 1 + random.int(4);
      ages[cell] = random.next();
      itemVectors.set(randomNormals(random, dim, 0.3), cell * dim);
    }
  });
  return { itemVectors, eventTypes, ages, mask };
}

describe('user tower export', () => {
  it('matches the tfjs forward pass with padding', async () => {
    const config: UserTowerConfig = { dim: 16, seqLen: 8, blocks: 2, heads: 2, dropout: 0.3 };
    const random = createRandom(7);
    const weights = createUserTower(config, random);
    const lengths = [8, 5, 1, 3];
    const input = towerInputs(random, lengths, config.seqLen, config.dim);
    const [b, l, d] = [lengths.length, config.seqLen, config.dim];

    const hidden = towerHidden(
      weights,
      config,
      {
        itemVectors: tf.tensor3d(input.itemVectors, [b, l, d]),
        eventTypes: tf.tensor2d(input.eventTypes, [b, l], 'int32'),
        ages: tf.tensor2d(input.ages, [b, l]),
        mask: tf.tensor2d(input.mask, [b, l]),
      },
      false,
    );
    const expected = l2Normalize(hidden.slice([0, l - 1, 0], [b, 1, d]).reshape([b, d])).dataSync();

    const session = await ort.InferenceSession.create(exportUserTower(weights, config));
    const out = await session.run({
      [TOWER_IO.itemVectors]: new ort.Tensor('float32', input.itemVectors, [b, l, d]),
      [TOWER_IO.eventTypes]: new ort.Tensor('int64', BigInt64Array.from(input.eventTypes, (v) => BigInt(v)), [b, l]),
      [TOWER_IO.ages]: new ort.Tensor('float32', input.ages, [b, l]),
      [TOWER_IO.mask]: new ort.Tensor('float32', input.mask, [b, l]),
    });
    await session.release();

    const actual = out[TOWER_IO.output];
    expect(actual.dims).toEqual([b, d]);
    const data = actual.data as Float32Array;
    for (let i = 0; i < expected.length; i++) expect(Math.abs(data[i] - expected[i])).toBeLessThan(1e-4);
    for (let row = 0; row < b; row++) {
      const norm = Math.hypot(...data.subarray(row * d, (row + 1) * d));
      expect(norm).toBeCloseTo(1, 5);
    }
  });
});

describe('ranker export', () => {
  const featureCount = 17;
  const count = 200;
  const random = createRandom(11);
  const features = Float32Array.from({ length: count * featureCount }, () => random.next());
  let ranker: RankerWeights;

  beforeAll(async () => {
    await initTensorflow();
    ranker = createRanker(featureCount, STUDENT_HIDDEN, random);
  });

  async function score(precision: 'fp32' | 'int8'): Promise<Float32Array> {
    const session = await ort.InferenceSession.create(exportRanker(ranker, precision));
    const out = await session.run({ [RANKER_IO.input]: new ort.Tensor('float32', features, [count, featureCount]) });
    await session.release();
    expect(out[RANKER_IO.output].dims).toEqual([count]);
    return out[RANKER_IO.output].data as Float32Array;
  }

  it('fp32 matches the tfjs forward pass', async () => {
    const expected = rankerForward(ranker, tf.tensor2d(features, [count, featureCount])).dataSync();
    const actual = await score('fp32');
    for (let i = 0; i < count; i++) expect(Math.abs(actual[i] - expected[i])).toBeLessThan(1e-4);
  });

  it('int8 stays close to fp32 and keeps the order', async () => {
    const exact = await score('fp32');
    const quantized = await score('int8');
    const spread = Math.max(...exact) - Math.min(...exact);
    let maxError = 0;
    for (let i = 0; i < count; i++) maxError = Math.max(maxError, Math.abs(exact[i] - quantized[i]));
    // Per-column int8 weights: the error stays within 2% of the score range on these inputs.
    expect(maxError).toBeLessThan(0.02 * spread);

    let concordant = 0;
    let pairs = 0;
    for (let i = 0; i < count; i++) {
      for (let j = i + 1; j < count; j++) {
        pairs++;
        if (Math.sign(exact[i] - exact[j]) === Math.sign(quantized[i] - quantized[j])) concordant++;
      }
    }
    expect(concordant / pairs).toBeGreaterThan(0.97);
  });
});
