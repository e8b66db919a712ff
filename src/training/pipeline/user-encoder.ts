/**
 * Computes user vectors with the exported user tower in onnxruntime-node, from histories laid out
 * by core's `buildTowerInput` (the worker's own input code), so that ranker training and the
 * offline evaluation see the user vectors the worker would compute.
 */
import * as ort from 'onnxruntime-node';
import { TOWER_IO } from '../../core/model-dir.js';
import { buildTowerInput } from '../../core/sequence.js';
import type { HistoryEntry } from '../../core/types.js';

/** One history to encode and the time it is encoded at (ms since the epoch; ignored without ages). */
export interface EncoderRequest {
  history: readonly HistoryEntry[];
  now: number;
}

/** A loaded user tower. Call `dispose()` when done. */
export class UserEncoder {
  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly seqLen: number,
    private readonly dim: number,
    private readonly usesAges: boolean,
  ) {}

  /** Loads user_tower.onnx bytes. */
  static async create(model: Uint8Array, seqLen: number, dim: number, usesAges: boolean): Promise<UserEncoder> {
    return new UserEncoder(await ort.InferenceSession.create(model), seqLen, dim, usesAges);
  }

  /** Returns the user vectors of `requests` as one row-major [requests, D] array, in batches. */
  async encode(requests: readonly EncoderRequest[], batchSize = 512): Promise<Float32Array> {
    const out = new Float32Array(requests.length * this.dim);
    for (let start = 0; start < requests.length; start += batchSize) {
      const part = requests.slice(start, start + batchSize);
      out.set(await this.run(part), start * this.dim);
    }
    return out;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }

  private async run(requests: readonly EncoderRequest[]): Promise<Float32Array> {
    const [rows, length, dim] = [requests.length, this.seqLen, this.dim];
    const itemVectors = new Float32Array(rows * length * dim);
    const eventTypes = new BigInt64Array(rows * length);
    const ages = new Float32Array(rows * length);
    const mask = new Float32Array(rows * length);
    requests.forEach((request, row) => {
      const input = buildTowerInput(request.history, length, dim, request.now, this.usesAges);
      itemVectors.set(input.itemVectors, row * length * dim);
      eventTypes.set(input.eventTypes, row * length);
      ages.set(input.ages, row * length);
      mask.set(input.mask, row * length);
    });
    const output = await this.session.run({
      [TOWER_IO.itemVectors]: new ort.Tensor('float32', itemVectors, [rows, length, dim]),
      [TOWER_IO.eventTypes]: new ort.Tensor('int64', eventTypes, [rows, length]),
      [TOWER_IO.ages]: new ort.Tensor('float32', ages, [rows, length]),
      [TOWER_IO.mask]: new ort.Tensor('float32', mask, [rows, length]),
    });
    return output[TOWER_IO.output].data as Float32Array;
  }
}
