/**
 * Checks of the `train` options that run before any training, so a bad --index or --out fails
 * within a second and not after minutes of tower training.
 */
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { AisleError } from '../core/errors.js';
import { FaissIndex } from '../server/ann/faiss.js';

/** Dims `train` picks when none is given: 32 for small datasets, 64 for the rest. */
const DEFAULT_DIMS = [32, 64];

/**
 * Builds an empty FAISS index from `description` and disposes it. Checks every default dim when
 * `dim` is undefined, because some descriptions (PQ, for example) depend on the dim. Throws
 * AISLE_INVALID_ARGUMENT naming the description.
 */
export function checkIndexDescription(description: string, dim: number | undefined): void {
  for (const candidate of dim === undefined ? DEFAULT_DIMS : [dim]) {
    try {
      FaissIndex.create(candidate, description, 'ip').dispose();
    } catch (error) {
      if (!(error instanceof AisleError) || error.code !== 'AISLE_INVALID_ARGUMENT') throw error;
      throw new AisleError(
        'AISLE_INVALID_ARGUMENT',
        `train: --index ${JSON.stringify(description)} is not a FAISS index_factory description for dim ${candidate}. ` +
          `Pass one such as 'HNSW32,Flat', 'Flat' or 'IVF1024,Flat'. ${error.message}`,
        { cause: error, details: { description, dim: candidate } },
      );
    }
  }
}

/**
 * Creates `dir` with its parents and writes and removes a probe file in it. Throws
 * AISLE_INVALID_ARGUMENT naming the directory when either step fails.
 */
export async function checkWritableDirectory(dir: string): Promise<void> {
  const probe = join(dir, `.aisle-write-check-${process.pid}`);
  try {
    await makeDirectories(resolve(dir));
    await writeFile(probe, '');
    await rm(probe);
  } catch (error) {
    throw new AisleError(
      'AISLE_INVALID_ARGUMENT',
      `train: writing the models directory --out ${JSON.stringify(dir)} failed (${(error as Error).message}). Pass a directory you can create and write.`,
      { cause: error, details: { dir } },
    );
  }
}

/**
 * Creates `dir` and its missing parents one at a time. NOTE: on Node 20.20.2, mkdir with
 * `recursive: true` on /proc/nope did not settle within 5 s while the plain mkdir rejected with
 * ENOENT at once, so this walks up to the first existing ancestor and creates each level plainly.
 */
async function makeDirectories(dir: string): Promise<void> {
  const missing: string[] = [];
  let current = dir;
  while (!(await exists(current)) && dirname(current) !== current) {
    missing.unshift(current);
    current = dirname(current);
  }
  for (const path of missing) await mkdir(path);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
