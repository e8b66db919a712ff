import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../../src/client/index.js';
import { DEFAULT_ADAPTATION } from '../../src/core/adaptation.js';

const endpoint = 'https://reco.example.com';

describe('createAisle adaptation option', () => {
  it('is off by default', () => {
    expect(resolveOptions({ endpoint }).adaptation).toBeUndefined();
    expect(resolveOptions({ endpoint, adaptation: false }).adaptation).toBeUndefined();
  });

  it('fills in the defaults', () => {
    expect(resolveOptions({ endpoint, adaptation: true }).adaptation).toEqual(DEFAULT_ADAPTATION);
    expect(resolveOptions({ endpoint, adaptation: { learningRate: 0.5, itemVector: false } }).adaptation).toEqual({ ...DEFAULT_ADAPTATION, learningRate: 0.5, itemVector: false });
  });

  it('rejects values out of range', () => {
    expect(() => resolveOptions({ endpoint, adaptation: { l2: -1 } })).toThrow('createAisle(): option adaptation.l2 must be a number from 0 to 10; got -1.');
    expect(() => resolveOptions({ endpoint, adaptation: { skipAfterMs: Number.NaN } })).toThrow('createAisle(): option adaptation.skipAfterMs must be a number from 0 to 86400000; got NaN.');
    expect(() => resolveOptions({ endpoint, adaptation: { itemVector: 'yes' as never } })).toThrow('createAisle(): option adaptation.itemVector must be true or false; got "yes".');
    expect(() => resolveOptions({ endpoint, adaptation: 'on' as never })).toThrow('createAisle(): option adaptation must be true, false or an object of adaptation options; got "on".');
  });
});
