import { describe, expect, it } from 'vitest';
import type { ExperimentsView } from '../../src/client/index.js';
import { rowSource } from '../../demo/src/experiment.js';
import { countProfileEvents } from '../../demo/src/views/profile-view.js';

const endpoint = 'http://127.0.0.1:8787';
const control = { experiment: 'personalized-vs-popular', variant: 'popular' };
const viewOf = (...assignments: Array<[string, string]>): ExperimentsView => ({
  deviceId: 'device-1',
  assignments: assignments.map(([experiment, variant]) => ({ experiment, variant, changes: {} })),
});

describe('demo rowSource', () => {
  it('shows trending in the control variant', () => {
    expect(rowSource({ endpoint, popularityControl: control }, viewOf(['personalized-vs-popular', 'popular']))).toBe('trending');
  });

  it('recommends in the other variant', () => {
    expect(rowSource({ endpoint, popularityControl: control }, viewOf(['personalized-vs-popular', 'personalized']))).toBe('recommend');
  });

  it('matches the experiment name too', () => {
    expect(rowSource({ endpoint, popularityControl: control }, viewOf(['other-experiment', 'popular']))).toBe('recommend');
  });

  it('recommends without a configured control', () => {
    expect(rowSource({ endpoint }, viewOf(['personalized-vs-popular', 'popular']))).toBe('recommend');
  });

  it('recommends outside any experiment', () => {
    expect(rowSource({ endpoint, popularityControl: control }, { deviceId: null, assignments: [] })).toBe('recommend');
  });
});

describe('demo countProfileEvents', () => {
  it('leaves impressions out', () => {
    const events = [
      { type: 'view', itemId: 'a', timestamp: 1 },
      { type: 'impression', itemId: 'b', timestamp: 2 },
      { type: 'impression', itemId: 'c', timestamp: 2 },
      { type: 'click', itemId: 'b', timestamp: 3 },
    ];
    expect(countProfileEvents({ events })).toBe(2);
  });

  it('is 0 for impressions only', () => {
    expect(countProfileEvents({ events: [{ type: 'impression', itemId: 'b', timestamp: 2 }] })).toBe(0);
  });
});
