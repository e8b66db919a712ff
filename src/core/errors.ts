/**
 * The one coded error catalog of Aisle, shared by the SDK, the worker, the companion and the CLI.
 * Each code has an HTTP status (used by the companion) and a class of failure. Messages are built
 * by the caller and name the operation, the bad value and the fix.
 */

export const ERROR_CATALOG = {
  // Input supplied by the storefront or an HTTP client.
  AISLE_INVALID_EVENT: { status: 400, kind: 'input', summary: 'An event passed to track() is invalid.' },
  AISLE_INVALID_ARGUMENT: { status: 400, kind: 'input', summary: 'An argument of a public call is invalid.' },
  AISLE_INVALID_REQUEST: { status: 400, kind: 'input', summary: 'An HTTP request body or query string is invalid.' },
  AISLE_INVALID_VECTOR: { status: 400, kind: 'input', summary: 'A vector has the wrong dim, a NaN or a zero norm.' },
  AISLE_NOT_FOUND: { status: 404, kind: 'input', summary: 'A requested route, file or item does not exist.' },
  AISLE_METHOD_NOT_ALLOWED: { status: 405, kind: 'input', summary: 'A route exists but not for the HTTP method of the request.' },
  AISLE_PAYLOAD_TOO_LARGE: { status: 413, kind: 'input', summary: 'A request body is larger than the limit.' },
  AISLE_HEADERS_TOO_LARGE: { status: 431, kind: 'input', summary: 'The request line and headers (URL included) are larger than the HTTP parser accepts.' },
  // Models and manifest.
  AISLE_MANIFEST_INVALID: { status: 500, kind: 'model', summary: 'manifest.json is missing a field or has a wrong value.' },
  AISLE_MODEL_LOAD_FAILED: { status: 500, kind: 'model', summary: 'A model file could not be fetched or parsed.' },
  AISLE_MODEL_CHECKSUM_MISMATCH: { status: 500, kind: 'model', summary: 'A model file does not match its sha256 in the manifest.' },
  AISLE_MODEL_RUN_FAILED: { status: 500, kind: 'model', summary: 'A model run failed or returned non-finite scores.' },
  AISLE_FEATURES_MISMATCH: { status: 500, kind: 'model', summary: 'The manifest lists other ranker features than this version of core computes.' },
  // Network and companion.
  AISLE_COMPANION_UNREACHABLE: { status: 502, kind: 'network', summary: 'The companion service did not answer.' },
  AISLE_COMPANION_ERROR: { status: 502, kind: 'network', summary: 'The companion service answered with an error.' },
  AISLE_TIMEOUT: { status: 504, kind: 'network', summary: 'A call did not finish within its time budget.' },
  // Device storage.
  AISLE_STORAGE_UNAVAILABLE: { status: 500, kind: 'storage', summary: 'IndexedDB is missing or failed to open; data is kept in memory.' },
  AISLE_STORAGE_FAILED: { status: 500, kind: 'storage', summary: 'A read or write of IndexedDB failed.' },
  // Engine life cycle.
  AISLE_DESTROYED: { status: 500, kind: 'lifecycle', summary: 'The engine was destroyed while or before the call ran.' },
  AISLE_WORKER_FAILED: { status: 500, kind: 'lifecycle', summary: 'The Web Worker could not start or crashed.' },
  // Companion internals and the native FAISS binding.
  AISLE_INDEX_LOAD_FAILED: { status: 500, kind: 'index', summary: 'A FAISS index file is missing, truncated or corrupt.' },
  AISLE_NATIVE_UNAVAILABLE: { status: 500, kind: 'index', summary: 'The FAISS addon is not built; run `npm run build:native`.' },
  AISLE_INTERNAL: { status: 500, kind: 'internal', summary: 'An unexpected internal error.' },
  // Training and data.
  AISLE_DATA_INVALID: { status: 500, kind: 'data', summary: 'A dataset file is missing or malformed.' },
  // Companion administration and catalog writes.
  AISLE_UNAUTHORIZED: { status: 401, kind: 'input', summary: 'An admin route or catalog write came without the admin token the server was started with.' },
  AISLE_RELOAD_REJECTED: { status: 409, kind: 'index', summary: 'A reload was refused because the new models directory cannot replace the served one (another dim); the old one keeps serving.' },
  AISLE_CONFLICT: { status: 409, kind: 'input', summary: 'An item to add has an id the catalog already has.' },
  // Experiments.
  AISLE_MODEL_VERSION_UNAVAILABLE: { status: 409, kind: 'model', summary: "An experiment variant asks for a model set version that the companion does not serve, or that this page does not run (a page runs one model set), so the device takes no part in that experiment." },
} as const;

export type AisleErrorCode = keyof typeof ERROR_CATALOG;

/** The error class of every failure that Aisle raises on purpose. */
export class AisleError extends Error {
  readonly code: AisleErrorCode;
  readonly details?: unknown;

  constructor(code: AisleErrorCode, message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AisleError';
    this.code = code;
    this.details = options?.details;
  }

  get status(): number {
    return ERROR_CATALOG[this.code].status;
  }

  /** Plain object that survives structured clone and JSON. */
  toJSON(): { name: string; code: AisleErrorCode; message: string; details?: unknown; cause?: string } {
    let cause: string | undefined;
    if (this.cause instanceof Error) cause = this.cause.message;
    else if (this.cause !== undefined) cause = String(this.cause);
    return { name: this.name, code: this.code, message: this.message, details: this.details, cause };
  }
}

export function isAisleError(value: unknown): value is AisleError {
  return value instanceof AisleError;
}

export function isErrorCode(value: unknown): value is AisleErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CATALOG, value);
}
