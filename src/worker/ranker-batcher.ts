/**
 * Coalescing of ranker runs. Calls that reach the ranker while other page calls wait in the
 * worker's message queue are joined into one model run over the stacked feature matrices, and
 * each caller gets its own rows' scores back.
 *
 * The join is exact because the ranker scores every row on its own: the JavaScript ranker accepts
 * only row-wise graphs, and ONNX Runtime runs the ranker at the 'basic' optimization level (see
 * model-runner.ts). A ranker whose scores depend on the batch would break this.
 */

/** Runs the ranker on a row-major feature matrix [rows × featureCount]. */
export type RankerRun = (features: Float32Array, rows: number, featureCount: number) => Promise<Float32Array>;

/** Schedules a callback as a new task, after the tasks already queued (the page's messages). */
export type TaskScheduler = { post(callback: () => void): void; close(): void };

interface PendingRequest {
  features: Float32Array;
  rows: number;
  featureCount: number;
  resolve(scores: Float32Array): void;
  reject(error: unknown): void;
}

/**
 * Extra task hops a batch may wait while requests keep arriving. The page's messages reach the
 * worker one by one from another thread, so a burst can still be arriving when the first hop
 * ends. A batch that grew during a hop waits one more, up to this many times.
 */
export const MAX_EXTRA_HOPS = 3;

/** Counters of a batcher: scoring requests and the model runs that served them. */
export interface BatcherStats {
  requests: number;
  runs: number;
}

/** Joins ranker requests that arrive before the next task into one run. */
export class RankerBatcher {
  private queue: PendingRequest[] = [];
  private scheduled = false;
  /** Queue length when the pending hop was posted, and hops the batch waited beyond the first. */
  private lengthAtPost = 0;
  private extraHops = 0;
  private readonly stats: BatcherStats = { requests: 0, runs: 0 };

  constructor(
    private readonly run: RankerRun,
    private readonly scheduler: TaskScheduler | undefined,
    /** Whether requests join now; when it returns false each request runs at once. */
    private readonly joinRuns: () => boolean = () => true,
  ) {}

  /** Returns the scores of `rows` rows; with a scheduler, the run may be shared with other requests. */
  rank(features: Float32Array, rows: number, featureCount: number): Promise<Float32Array> {
    this.stats.requests++;
    if (!this.scheduler || !this.joinRuns()) {
      this.stats.runs++;
      return this.run(features, rows, featureCount);
    }
    return new Promise<Float32Array>((resolve, reject) => {
      this.queue.push({ features, rows, featureCount, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      this.extraHops = 0;
      this.post();
    });
  }

  private post(): void {
    this.lengthAtPost = this.queue.length;
    this.scheduler!.post(() => {
      // A lone request never waits more than one hop; a batch that grew meanwhile waits for more.
      if (this.queue.length > this.lengthAtPost && this.extraHops < MAX_EXTRA_HOPS) {
        this.extraHops++;
        this.post();
        return;
      }
      void this.flush();
    });
  }

  /** Returns a copy of the counters. */
  counters(): BatcherStats {
    return { ...this.stats };
  }

  private async flush(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    // Requests of another width cannot share a matrix; each width group gets its own run.
    const groups = new Map<number, PendingRequest[]>();
    for (const request of batch) groups.set(request.featureCount, [...(groups.get(request.featureCount) ?? []), request]);
    await Promise.all([...groups.values()].map((group) => this.runGroup(group)));
  }

  private async runGroup(group: PendingRequest[]): Promise<void> {
    const featureCount = group[0].featureCount;
    const rows = group.reduce((total, request) => total + request.rows, 0);
    const features = group.length === 1 ? group[0].features : new Float32Array(rows * featureCount);
    if (group.length > 1) {
      let offset = 0;
      for (const request of group) {
        features.set(request.features, offset);
        offset += request.features.length;
      }
    }

    this.stats.runs++;
    let scores: Float32Array;
    try {
      scores = await this.run(features, rows, featureCount);
    } catch (error) {
      for (const request of group) request.reject(error);
      return;
    }
    let row = 0;
    for (const request of group) {
      request.resolve(scores.slice(row, row + request.rows));
      row += request.rows;
    }
  }
}

/**
 * Returns a scheduler that runs callbacks as new tasks through a MessageChannel, or through
 * setTimeout where MessageChannel is missing. A message task runs after the messages already
 * queued for the worker, so every call the page sent in one go reaches the batcher first.
 */
export function createTaskScheduler(): TaskScheduler {
  if (typeof MessageChannel === 'undefined') return { post: (callback) => void setTimeout(callback, 0), close: () => undefined };
  const channel = new MessageChannel();
  const callbacks: Array<() => void> = [];
  channel.port1.onmessage = () => callbacks.shift()?.();
  // Node keeps a process alive while a port listens; the engine's own work should not.
  (channel.port1 as { unref?: () => void }).unref?.();
  return {
    post: (callback) => {
      callbacks.push(callback);
      channel.port2.postMessage(null);
    },
    close: () => {
      channel.port1.close();
      channel.port2.close();
    },
  };
}
