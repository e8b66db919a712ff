/**
 * Reloading a running companion: load and check a models directory in full next to the served
 * one, then swap it in atomically (serving-state.ts). A directory that fails any start-up check
 * is rejected with the same coded error as at start-up, and the old one keeps serving. Reloads
 * run one at a time, and the next one starts only once the state before it is freed, so at most
 * two states are in memory.
 */
import type { FastifyBaseLogger } from 'fastify';
import { AisleError } from '../core/errors.js';
import type { ServingState } from './serving-state.js';
import { loadServerState, type LoadOptions } from './state.js';

/** Summary of the directory a reload swapped in, as logged and returned by POST /admin/reload. */
export interface ReloadResult {
  status: 'reloaded';
  modelsDir: string;
  version: string;
  items: number;
  dim: number;
  index: { type: string; ntotal: number };
  /** Milliseconds spent loading and checking the new directory. */
  loadMs: number;
}

/** Loads models directories into a ServingState, one reload at a time. */
export class Reloader {
  private readonly states: ServingState;
  private readonly loadOptions: LoadOptions;
  private readonly log: FastifyBaseLogger;
  private modelsDir: string;
  // Settles when the previous reload has swapped and its old state is freed.
  private queue: Promise<unknown> = Promise.resolve();

  constructor(states: ServingState, modelsDir: string, loadOptions: LoadOptions, log: FastifyBaseLogger) {
    this.states = states;
    this.modelsDir = modelsDir;
    this.loadOptions = loadOptions;
    this.log = log;
  }

  /**
   * Loads `modelsDir` (default: the directory served now) and makes it current. Rejects with the
   * load's coded error (AISLE_MANIFEST_INVALID, AISLE_MODEL_LOAD_FAILED,
   * AISLE_MODEL_CHECKSUM_MISMATCH, AISLE_INDEX_LOAD_FAILED) or AISLE_RELOAD_REJECTED for another
   * dim, and the served state stays as it was.
   */
  reload(modelsDir: string = this.modelsDir): Promise<ReloadResult> {
    let swapped!: (value: ReloadResult) => void;
    let failed!: (error: unknown) => void;
    const result = new Promise<ReloadResult>((resolve, reject) => {
      swapped = resolve;
      failed = reject;
    });

    // The queue entry waits for the drain of the old state; the caller only waits for the swap.
    this.queue = this.queue.then(async () => {
      try {
        const { report, drained } = await this.loadAndSwap(modelsDir);
        swapped(report);
        await drained;
      } catch (error) {
        this.log.error({ err: error, modelsDir }, 'reload failed; the previous models directory keeps serving');
        failed(error);
      }
    });
    return result;
  }

  private async loadAndSwap(modelsDir: string): Promise<{ report: ReloadResult; drained: Promise<void> }> {
    const started = performance.now();
    const next = await loadServerState(modelsDir, this.loadOptions);
    const served = this.states.state.manifest.dim;
    if (next.manifest.dim !== served) {
      await Promise.all([next.text.close(), next.queryEncoder?.close()]);
      next.ann.dispose();
      throw new AisleError(
        'AISLE_RELOAD_REJECTED',
        `Reloading ${modelsDir} was refused: its manifest has dim ${next.manifest.dim}, but the server serves dim ${served} and validates request vectors by it. Restart the companion to change dim.`,
        { details: { modelsDir, dim: next.manifest.dim, servedDim: served } },
      );
    }

    const loadMs = performance.now() - started;
    const drained = this.states.swap(next);
    this.modelsDir = modelsDir;
    const report: ReloadResult = {
      status: 'reloaded',
      modelsDir,
      version: next.manifest.version,
      items: next.catalog.size,
      dim: next.manifest.dim,
      index: { type: next.ann.type, ntotal: next.ann.ntotal },
      loadMs: Math.round(loadMs),
    };
    this.log.info(report, 'models directory reloaded');
    return { report, drained };
  }
}
