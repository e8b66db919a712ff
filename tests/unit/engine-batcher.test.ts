import { describe, expect, it } from 'vitest';
import { createTaskScheduler, MAX_EXTRA_HOPS, RankerBatcher, type TaskScheduler } from '../../src/worker/ranker-batcher.js';

/** Returns a scheduler that keeps callbacks until the test runs them, one hop at a time or all. */
function manualScheduler(): TaskScheduler & { step(): void; flush(): void } {
  const callbacks: Array<() => void> = [];
  const step = () => callbacks.shift()?.();
  return {
    post: (callback) => callbacks.push(callback),
    close: () => undefined,
    step,
    flush: () => {
      while (callbacks.length > 0) step();
    },
  };
}

/** Returns a ranker that scores each row with the sum of its features and records the batch sizes. */
function summingRanker() {
  const batches: number[] = [];
  const run = async (features: Float32Array, rows: number, featureCount: number): Promise<Float32Array> => {
    batches.push(rows);
    return Float32Array.from({ length: rows }, (_, row) => features.subarray(row * featureCount, (row + 1) * featureCount).reduce((sum, value) => sum + value, 0));
  };
  return { run, batches };
}

const matrix = (rows: number, featureCount: number, start: number) => Float32Array.from({ length: rows * featureCount }, (_, i) => start + i);

describe('RankerBatcher', () => {
  it('joins requests into one run and splits the scores', async () => {
    const scheduler = manualScheduler();
    const ranker = summingRanker();
    const batcher = new RankerBatcher(ranker.run, scheduler);
    const first = batcher.rank(matrix(2, 3, 0), 2, 3);
    const second = batcher.rank(matrix(1, 3, 100), 1, 3);
    const third = batcher.rank(matrix(3, 3, 1000), 3, 3);
    scheduler.flush();

    expect(Array.from(await first)).toEqual([0 + 1 + 2, 3 + 4 + 5]);
    expect(Array.from(await second)).toEqual([100 + 101 + 102]);
    expect(Array.from(await third)).toEqual([3003, 3012, 3021]);
    expect(ranker.batches).toEqual([6]);
    expect(batcher.counters()).toEqual({ requests: 3, runs: 1 });
  });

  it('flushes a lone request after one hop', async () => {
    const scheduler = manualScheduler();
    const ranker = summingRanker();
    const batcher = new RankerBatcher(ranker.run, scheduler);
    const lone = batcher.rank(matrix(1, 2, 0), 1, 2);
    scheduler.step();
    expect(Array.from(await lone)).toEqual([1]);
    expect(ranker.batches).toEqual([1]);
  });

  it('waits while a batch keeps growing', async () => {
    const scheduler = manualScheduler();
    const ranker = summingRanker();
    const batcher = new RankerBatcher(ranker.run, scheduler);
    const pending = [batcher.rank(matrix(1, 2, 0), 1, 2), batcher.rank(matrix(1, 2, 0), 1, 2)];
    // The batch grew during each hop, so each hop posts another, up to MAX_EXTRA_HOPS.
    for (let hop = 0; hop < MAX_EXTRA_HOPS; hop++) {
      scheduler.step();
      expect(ranker.batches).toEqual([]);
      pending.push(batcher.rank(matrix(1, 2, 0), 1, 2));
    }
    scheduler.step();
    await Promise.all(pending);
    expect(ranker.batches).toEqual([2 + MAX_EXTRA_HOPS]);
  });

  it('runs each width on its own', async () => {
    const scheduler = manualScheduler();
    const ranker = summingRanker();
    const batcher = new RankerBatcher(ranker.run, scheduler);
    const narrow = batcher.rank(matrix(2, 2, 0), 2, 2);
    const wide = batcher.rank(matrix(1, 4, 0), 1, 4);
    scheduler.flush();
    expect(Array.from(await narrow)).toEqual([1, 5]);
    expect(Array.from(await wide)).toEqual([6]);
    expect(batcher.counters().runs).toBe(2);
  });

  it('rejects every request of a failed run', async () => {
    const scheduler = manualScheduler();
    const batcher = new RankerBatcher(async () => Promise.reject(new Error('kernel failed')), scheduler);
    const first = batcher.rank(matrix(1, 2, 0), 1, 2);
    const second = batcher.rank(matrix(1, 2, 0), 1, 2);
    scheduler.flush();
    await expect(first).rejects.toThrow('kernel failed');
    await expect(second).rejects.toThrow('kernel failed');
  });

  it('starts a new batch after a flush', async () => {
    const scheduler = manualScheduler();
    const ranker = summingRanker();
    const batcher = new RankerBatcher(ranker.run, scheduler);
    const first = batcher.rank(matrix(1, 2, 0), 1, 2);
    scheduler.flush();
    await first;
    const second = batcher.rank(matrix(2, 2, 0), 2, 2);
    scheduler.flush();
    await second;
    expect(ranker.batches).toEqual([1, 2]);
  });

  it('runs at once while joining is off', async () => {
    const scheduler = manualScheduler();
    const ranker = summingRanker();
    let join = false;
    const batcher = new RankerBatcher(ranker.run, scheduler, () => join);
    await Promise.all([batcher.rank(matrix(1, 2, 0), 1, 2), batcher.rank(matrix(1, 2, 0), 1, 2)]);
    expect(ranker.batches).toEqual([1, 1]);
    join = true;
    const joined = [batcher.rank(matrix(1, 2, 0), 1, 2), batcher.rank(matrix(1, 2, 0), 1, 2)];
    scheduler.flush();
    await Promise.all(joined);
    expect(ranker.batches).toEqual([1, 1, 2]);
  });

  it('runs at once without a scheduler', async () => {
    const ranker = summingRanker();
    const batcher = new RankerBatcher(ranker.run, undefined);
    await Promise.all([batcher.rank(matrix(1, 2, 0), 1, 2), batcher.rank(matrix(1, 2, 0), 1, 2)]);
    expect(ranker.batches).toEqual([1, 1]);
    expect(batcher.counters()).toEqual({ requests: 2, runs: 2 });
  });
});

describe('createTaskScheduler', () => {
  it('runs callbacks in order after the current task', async () => {
    const scheduler = createTaskScheduler();
    const order: string[] = [];
    const done = new Promise<void>((resolve) => {
      scheduler.post(() => order.push('first'));
      scheduler.post(() => {
        order.push('second');
        resolve();
      });
    });
    order.push('current task');
    await done;
    expect(order).toEqual(['current task', 'first', 'second']);
    scheduler.close();
  });
});
