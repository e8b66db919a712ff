/**
 * Builds a ready-to-search index from a whole catalog of item vectors in one call: create, train
 * when the family needs it, add. IVF needs enough training vectors per list, so small catalogs
 * fall back to exact Flat search.
 */
import { FaissIndex, type Metric } from './faiss.js';
import { checkDim, checkVectors } from './validate.js';

/**
 * Training vectors per IVF list below which buildIndex uses Flat. FAISS 1.7.3's k-means warns
 * below 39 points per centroid and throws below 1; with so few vectors the lists are poor and an
 * exact search is cheap anyway.
 */
export const IVF_MIN_TRAINING_VECTORS_PER_LIST = 39;

/** The built index and what buildIndex changed on the way. */
export interface BuiltIndex {
  index: FaissIndex;
  /** Description actually built: the requested one, or 'Flat' after a fallback. */
  description: string;
  /** Human-readable warnings for the caller to log, for example the IVF to Flat fallback. */
  warnings: string[];
}

/**
 * Creates an index from `description`, trains it on `vectors` when it needs training, and adds
 * `vectors` (row-major n×dim; labels are row numbers). An IVF description with fewer than
 * nlist × 39 vectors builds 'Flat' instead and returns a warning. The caller owns the index and
 * must dispose it; on failure it is disposed here.
 */
export async function buildIndex(vectors: Float32Array, dim: number, description: string, metric: Metric = 'ip'): Promise<BuiltIndex> {
  const operation = 'buildIndex';
  checkDim(operation, dim);
  const n = checkVectors(operation, vectors, dim);
  const warnings: string[] = [];

  let built = description;
  let index = FaissIndex.create(dim, description, metric);
  try {
    const minimum = index.nlist * IVF_MIN_TRAINING_VECTORS_PER_LIST;
    if (!index.isTrained && index.nlist > 0 && n < minimum) {
      warnings.push(
        `buildIndex: '${description}' has nlist=${index.nlist} and needs at least ${minimum} vectors (${IVF_MIN_TRAINING_VECTORS_PER_LIST} per list) to train, got ${n}; built exact 'Flat' instead.`,
      );
      index.dispose();
      built = 'Flat';
      index = FaissIndex.create(dim, built, metric);
    }

    if (!index.isTrained) await index.train(vectors);
    await index.add(vectors);
    return { index, description: built, warnings };
  } catch (error) {
    index.dispose();
    throw error;
  }
}
