/** SHA-256 of model bytes through Web Crypto, available in workers, pages and Node 20. */
import { AisleError } from '../core/errors.js';

/** Returns the lowercase hex SHA-256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  // crypto.subtle exists only in secure contexts: https pages, localhost and 127.0.0.1.
  if (!subtle) {
    throw new AisleError('AISLE_MODEL_LOAD_FAILED', 'Checking a model file failed: crypto.subtle is missing because the page is not a secure context; serve the store over https (or from localhost).');
  }
  const digest = await subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  let hex = '';
  for (const byte of new Uint8Array(digest)) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
