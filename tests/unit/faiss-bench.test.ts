/**
 * Pure parts of the FAISS benchmark: the IVF list count per catalog size and the choice of the
 * ANN setting that the HTTP benchmark serves.
 */
import { describe, expect, it } from 'vitest';

import { chooseSetting, type IndexReport, ivfListCount, type SweepPoint } from '../../scripts/bench/faiss-sweep.js';

function point(parameter: 'efSearch' | 'nprobe', value: number, recall100: number, qps: number): SweepPoint {
  return { parameter, value, recall10: recall100, recall100, qps, speedupVsFlat: qps / 100 };
}

function report(label: string, family: IndexReport['family'], points: SweepPoint[]): IndexReport {
  return { label, description: label, family, buildMs: 0, fromCache: false, indexBytes: 0, rssDeltaBytes: 0, path: `/tmp/${label}`, points };
}

describe('ivfListCount', () => {
  it('follows 4·√n as a power of two', () => {
    expect(ivfListCount(1_000_000)).toBe(4096);
    expect(ivfListCount(100_000)).toBe(1024);
  });

  it('keeps 39 training vectors per list', () => {
    expect(ivfListCount(4385)).toBe(64);
    expect(4385 / ivfListCount(4385)).toBeGreaterThanOrEqual(39);
    expect(ivfListCount(10)).toBe(1);
  });
});

describe('chooseSetting', () => {
  const flat = report('Flat', 'flat', [{ parameter: null, value: null, recall10: 1, recall100: 1, qps: 100, speedupVsFlat: 1 }]);

  it('takes the smallest setting reaching the recall target', () => {
    const ivf = report('IVF', 'ivf', [point('nprobe', 1, 0.9, 5000), point('nprobe', 2, 0.96, 3000), point('nprobe', 4, 0.99, 1500)]);
    const chosen = chooseSetting([flat, ivf]);

    expect(chosen).toMatchObject({ label: 'IVF', value: 2, meetsTarget: true, path: '/tmp/IVF' });
  });

  it('prefers a setting that meets the speed target', () => {
    const hnsw = report('HNSW', 'hnsw', [point('efSearch', 100, 0.97, 800)]);
    const ivf = report('IVF', 'ivf', [point('nprobe', 8, 0.95, 1200)]);
    const chosen = chooseSetting([flat, hnsw, ivf]);

    expect(chosen).toMatchObject({ label: 'IVF', meetsTarget: true });
  });

  it('falls back to the fastest that reaches recall', () => {
    const hnsw = report('HNSW', 'hnsw', [point('efSearch', 100, 0.97, 800)]);
    const ivf = report('IVF', 'ivf', [point('nprobe', 8, 0.95, 600)]);

    expect(chooseSetting([flat, hnsw, ivf])).toMatchObject({ label: 'HNSW', meetsTarget: false });
  });

  it('returns undefined when recall is never reached', () => {
    expect(chooseSetting([flat, report('IVF', 'ivf', [point('nprobe', 1, 0.5, 9000)])])).toBeUndefined();
  });
});
