/**
 * The FAISS index of a trained catalog. IVF needs enough training vectors per list, so for a small
 * catalog buildIndex builds exact 'Flat' instead and the warning goes to the training log. The
 * manifest then records the description actually built.
 */
import { buildIndex, type BuiltIndex } from '../../server/ann/build-index.js';

/** Builds the inner-product index of the item vectors and logs each fallback warning. */
export async function buildCatalogIndex(vectors: Float32Array, dim: number, description: string, log: (line: string) => void): Promise<BuiltIndex> {
  const built = await buildIndex(vectors, dim, description, 'ip');
  for (const warning of built.warnings) log(`warning: ${warning}`);
  return built;
}
