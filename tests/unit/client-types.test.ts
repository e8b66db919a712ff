import { describe, expectTypeOf, it } from 'vitest';
import type { Aisle, AisleErrorCode, AisleInfo, ExposureRecord, ExposureTracker, ProfileView, RankResult, ScoredItem, TrackResult } from '../../src/client/index.js';
import { AisleError, createAisle } from '../../src/client/index.js';

// Checked by the TypeScript compiler (npm run typecheck); at run time these are no-ops.
describe('public API types', () => {
  it('createAisle resolves to an Aisle', () => {
    expectTypeOf(createAisle).parameter(0).toHaveProperty('endpoint').toEqualTypeOf<string>();
    expectTypeOf(createAisle).returns.resolves.toEqualTypeOf<Aisle>();
  });

  it('calls return typed results', () => {
    expectTypeOf<Aisle['track']>().returns.resolves.toEqualTypeOf<TrackResult>();
    expectTypeOf<Aisle['recommend']>().returns.resolves.toEqualTypeOf<RankResult>();
    expectTypeOf<Aisle['rank']>().returns.resolves.toEqualTypeOf<RankResult>();
    expectTypeOf<Aisle['search']>().returns.resolves.toEqualTypeOf<RankResult>();
    expectTypeOf<Aisle['profile']>().returns.resolves.toEqualTypeOf<ProfileView>();
    expectTypeOf<Aisle['info']>().returns.resolves.toEqualTypeOf<AisleInfo>();
    expectTypeOf<Aisle['forget']>().returns.resolves.toBeVoid();
    expectTypeOf<RankResult['items']>().toEqualTypeOf<ScoredItem[]>();
  });

  it('options reject unknown backends', () => {
    expectTypeOf<Parameters<typeof createAisle>[0]['backend']>().toEqualTypeOf<'auto' | 'wasm' | 'webgpu' | undefined>();
    expectTypeOf<Parameters<typeof createAisle>[0]['storage']>().toEqualTypeOf<'indexeddb' | 'memory' | undefined>();
  });

  it('observeExposure returns a tracker at once', () => {
    expectTypeOf<Aisle['observeExposure']>().returns.toEqualTypeOf<ExposureTracker>();
    expectTypeOf<ExposureTracker['ready']>().resolves.toBeVoid();
    expectTypeOf<ExposureTracker['records']>().returns.toEqualTypeOf<ExposureRecord[]>();
  });

  it('errors carry a catalog code', () => {
    expectTypeOf<AisleError['code']>().toEqualTypeOf<AisleErrorCode>();
  });
});
