/**
 * Decoding of the user vectors and query vectors that clients send as base64 float32 LE.
 */
import { AisleError } from '../core/errors.js';
import { base64ToBytes, decodeVector, isFiniteVector, norm } from '../core/vector.js';

function invalid(field: string, reason: string, message: string): AisleError {
  return new AisleError('AISLE_INVALID_VECTOR', `Invalid \`${field}\`: ${message}`, { details: { field, reason } });
}

/**
 * Decodes a base64 vector of `dim` float32 values and returns it L2-normalized, so inner products
 * with the normalized item vectors are cosines in [-1, 1]. Throws AISLE_INVALID_VECTOR with
 * `details.reason` one of 'not_base64', 'wrong_dim', 'non_finite', 'zero_norm'.
 */
export function decodeQueryVector(text: string, dim: number, field: string): Float32Array {
  const bytes = base64ToBytes(text);
  if (bytes === null) {
    throw invalid(field, 'not_base64', 'the value is not base64 (standard alphabet with = padding, a multiple of 4 characters).');
  }
  const vector = decodeVector(text);
  if (vector === null) {
    throw invalid(field, 'wrong_dim', `the value decodes to ${bytes.length} bytes, which is not a whole number of float32 values; dim ${dim} needs ${dim * 4} bytes.`);
  }
  if (vector.length !== dim) {
    throw invalid(field, 'wrong_dim', `the vector has ${vector.length} values but the models have dim ${dim}.`);
  }
  if (!isFiniteVector(vector)) {
    throw invalid(field, 'non_finite', 'the vector contains NaN or infinite values.');
  }

  // Finite float32 values cannot overflow the float64 sum inside norm().
  const length = norm(vector);
  if (length === 0) throw invalid(field, 'zero_norm', 'the vector has zero norm, so it has no direction to search.');

  const normalized = new Float32Array(dim);
  for (let i = 0; i < dim; i++) normalized[i] = vector[i] / length;
  return normalized;
}
