import { describe, expect, it } from 'vitest';
import { checkFusion } from '../../src/worker/arguments.js';

describe('checkFusion', () => {
  it('returns the POST /v1/search fields', () => {
    expect(checkFusion(undefined, undefined)).toEqual({});
    expect(checkFusion('rrf', undefined)).toEqual({ fusion: 'rrf' });
    expect(checkFusion('weighted', undefined)).toEqual({ fusion: 'weighted' });
    expect(checkFusion('weighted', { bm25: 0, vector: 1 })).toEqual({ fusion: 'weighted', weights: { bm25: 0, vector: 1 } });
  });

  it.each([
    ['linear', undefined, 'search(): options.fusion must be \'learned\', \'rrf\' or \'weighted\'; got "linear".'],
    [undefined, { bm25: 0.5, vector: 0.5 }, 'search(): options.fusion must be \'learned\', \'rrf\' or \'weighted\' when options.weights is set; got undefined.'],
    ['rrf', { bm25: 0.5, vector: 0.5 }, 'search(): options.weights applies only to fusion \'weighted\'; got fusion "rrf". Remove weights or set fusion: \'weighted\'.'],
    ['weighted', { bm25: 1.5, vector: 0.5 }, 'search(): options.weights must be { bm25, vector } with each weight a number from 0 to 1, like { bm25: 0.4, vector: 0.6 }; got {"bm25":1.5,"vector":0.5}.'],
    ['weighted', { bm25: 0.5 }, 'search(): options.weights must be { bm25, vector } with each weight a number from 0 to 1, like { bm25: 0.4, vector: 0.6 }; got {"bm25":0.5}.'],
    ['weighted', { bm25: 0.5, vector: 0.5, title: 1 }, 'search(): options.weights must be { bm25, vector } with each weight a number from 0 to 1, like { bm25: 0.4, vector: 0.6 }; got {"bm25":0.5,"vector":0.5,"title":1}.'],
  ])('rejects fusion %j with weights %j', (fusion, weights, message) => {
    expect(() => checkFusion(fusion, weights)).toThrowError(expect.objectContaining({ code: 'AISLE_INVALID_ARGUMENT', message }));
  });
});
