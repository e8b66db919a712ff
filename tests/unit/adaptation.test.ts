import { describe, expect, it } from 'vitest';
import { adaptationCorrection, copyAdaptation, emptyAdaptation, isAdaptationState, type AdaptationExample } from '../../src/core/adaptation.js';
import { FEATURE_COUNT } from '../../src/core/features.js';
import { adaptationStep } from '../../src/worker/adaptation/tf-trainer.js';

const T0 = 1_790_000_000_000;

function row(values: Record<number, number>): Float32Array {
  const features = new Float32Array(FEATURE_COUNT);
  for (const [index, value] of Object.entries(values)) features[Number(index)] = value;
  return features;
}

function example(features: Record<number, number>, vector: number[], offset: number, label: 0 | 1): AdaptationExample {
  return { features: row(features), vector: Float32Array.from(vector), offset, label };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('adaptation update rule', () => {
  it('moves toward a click from zero weights', async () => {
    // p = sigmoid(0) = 0.5, so every gradient is (0.5 - 1) · input and one step of 0.5 adds 0.25 · input.
    const next = await adaptationStep(emptyAdaptation(T0), [example({ 0: 1, 6: 0.5 }, [1, 0], 0, 1)], { learningRate: 0.5, l2: 0, skipWeight: 0.5, itemVector: true }, T0 + 1);
    expect(next.featureWeights[0]).toBe(0.25);
    expect(next.featureWeights[6]).toBe(0.125);
    expect(next.featureWeights.filter((_, j) => j !== 0 && j !== 6)).toEqual(new Array(FEATURE_COUNT - 2).fill(0));
    expect(next.vectorWeights).toEqual([0.25, 0]);
    expect(next.bias).toBe(0.25);
    expect(next.clicks).toBe(1);
    expect(next.skips).toBe(0);
    expect(next.updatedAt).toBe(T0 + 1);
  });

  it('moves away from a skip', async () => {
    // A lone skip: gradient (0.5 - 0) · input; its weight cancels in the weighted mean.
    const next = await adaptationStep(emptyAdaptation(T0), [example({ 2: 1 }, [0, 1], 0, 0)], { learningRate: 0.5, l2: 0, skipWeight: 0.5, itemVector: true }, T0);
    expect(next.featureWeights[2]).toBe(-0.25);
    expect(next.vectorWeights).toEqual([0, -0.25]);
    expect(next.bias).toBe(-0.25);
    expect(next.skips).toBe(1);
  });

  it('uses the ranker score as an offset', async () => {
    // A click on an item the ranker already scores at 2 has a smaller gradient: 1 - sigmoid(2).
    const next = await adaptationStep(emptyAdaptation(T0), [example({ 0: 1 }, [1, 0], 2, 1)], { learningRate: 1, l2: 0, skipWeight: 1, itemVector: true }, T0);
    expect(next.featureWeights[0]).toBeCloseTo(1 - sigmoid(2), 6);
    expect(next.featureWeights[0]).toBeCloseTo(0.11920292, 6);
  });

  it('weights skips and applies the L2 penalty', async () => {
    const start = { ...emptyAdaptation(T0), bias: 0.1 };
    start.featureWeights[0] = 0.4;
    start.featureWeights[1] = -0.2;
    const examples = [example({ 0: 1, 1: 0.5 }, [0.6, 0.8], 0.3, 1), example({ 0: 0.2, 1: 1 }, [0.8, -0.6], -0.1, 0)];
    const options = { learningRate: 0.3, l2: 0.1, skipWeight: 0.25, itemVector: true };
    const next = await adaptationStep(start, examples, options, T0);

    // The same step in float64: weighted mean of (p - y) · input over weights 1 and 0.25, plus l2 · w.
    const w = [0.4, -0.2, 0, 0];
    const inputs = [[1, 0.5, 0.6, 0.8], [0.2, 1, 0.8, -0.6]];
    const logits = inputs.map((x, i) => [0.3, -0.1][i] + x.reduce((sum, value, j) => sum + value * w[j], 0) + 0.1);
    const residuals = logits.map((z, i) => (sigmoid(z) - [1, 0][i]) * [1, 0.25][i] / 1.25);
    const expected = w.map((value, j) => value - 0.3 * (residuals[0] * inputs[0][j] + residuals[1] * inputs[1][j] + 0.1 * value));
    expect(next.featureWeights[0]).toBeCloseTo(expected[0], 6);
    expect(next.featureWeights[1]).toBeCloseTo(expected[1], 6);
    expect(next.vectorWeights[0]).toBeCloseTo(expected[2], 6);
    expect(next.vectorWeights[1]).toBeCloseTo(expected[3], 6);
    expect(next.bias).toBeCloseTo(0.1 - 0.3 * (residuals[0] + residuals[1]), 6);
    expect(next.clicks).toBe(1);
    expect(next.skips).toBe(1);
    // The input state is not changed.
    expect(start.featureWeights[0]).toBe(0.4);
  });

  it('keeps vector weights empty when turned off', async () => {
    const next = await adaptationStep(emptyAdaptation(T0), [example({ 0: 1 }, [1, 0], 0, 1)], { learningRate: 0.5, l2: 0, skipWeight: 1, itemVector: false }, T0);
    expect(next.vectorWeights).toEqual([]);
    expect(next.featureWeights[0]).toBe(0.25);
  });

  it('returns the same state for no examples', async () => {
    const state = emptyAdaptation(T0);
    expect(await adaptationStep(state, [], { learningRate: 0.5, l2: 0, skipWeight: 1, itemVector: true }, T0 + 5)).toBe(state);
  });
});

describe('adaptationCorrection', () => {
  it('adds both terms and clips', () => {
    const state = emptyAdaptation(T0);
    state.featureWeights[0] = 2;
    state.featureWeights[7] = -1;
    state.vectorWeights = [0.5, 0.25];
    expect(adaptationCorrection(state, row({ 0: 0.5, 7: 0.25 }), [1, 2], 3)).toBe(1.75);
    expect(adaptationCorrection(state, row({ 0: 1 }), [4, 4], 3)).toBe(3);
    expect(adaptationCorrection(state, row({ 7: 1 }), [-8, 0], 3)).toBe(-3);
  });

  it('skips vector weights of another dim', () => {
    const state = emptyAdaptation(T0);
    state.featureWeights[0] = 1;
    state.vectorWeights = [1, 1];
    expect(adaptationCorrection(state, row({ 0: 0.5 }), [1, 1, 1], 3)).toBe(0.5);
  });

  it('validates stored states', () => {
    const state = emptyAdaptation(T0);
    expect(isAdaptationState(copyAdaptation(state))).toBe(true);
    expect(isAdaptationState({ ...state, featureWeights: [1, 2] })).toBe(false);
    expect(isAdaptationState({ ...state, bias: Number.NaN })).toBe(false);
    expect(isAdaptationState(null)).toBe(false);
  });
});
