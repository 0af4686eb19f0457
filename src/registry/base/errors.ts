// The registry's errors: OCI distribution error codes, each with its HTTP status, in one place.
// Handlers throw RegistryError; the server turns it into {"errors":[{code,message,detail}]}.
import { noSpaceOr } from '../../lib/errors.js';

export const ERROR_CODES = {
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { status: 400, message: 'manifest references a manifest or blob unknown to registry' },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown to registry' },
  NAME_INVALID: { status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length' },
  TAG_INVALID: { status: 400, message: 'manifest tag did not match URI' },
  PAGINATION_NUMBER_INVALID: { status: 400, message: 'invalid number of results requested' },
  RANGE_INVALID: { status: 416, message: 'invalid content range' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, message: 'the operation is unsupported' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests' },
  MANIFEST_TOO_LARGE: { status: 413, message: 'manifest too large' },
  UNAVAILABLE: { status: 503, message: 'service unavailable' },
  UNKNOWN: { status: 500, message: 'unknown error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class RegistryError extends Error {
  readonly status: number;
  /** Extra response headers, e.g. WWW-Authenticate for 401 or Range for 416. */
  headers: Record<string, string> = {};

  constructor(readonly code: ErrorCode, message?: string, readonly detail?: unknown, options?: { cause?: unknown; status?: number }) {
    super(message ?? ERROR_CODES[code].message, options);
    this.name = 'RegistryError';
    this.status = options?.status ?? ERROR_CODES[code].status;
  }

  withHeaders(headers: Record<string, string>): this {
    Object.assign(this.headers, headers);
    return this;
  }

  toJSON(): { errors: Array<{ code: string; message: string; detail?: unknown }> } {
    // The 413 for manifests is spec'd by status; the code stays one the spec lists.
    const code = this.code === 'MANIFEST_TOO_LARGE' ? 'MANIFEST_INVALID'
      : this.code === 'RANGE_INVALID' ? 'BLOB_UPLOAD_INVALID' : this.code;
    return { errors: [{ code, message: this.message, ...(this.detail !== undefined ? { detail: this.detail } : {}) }] };
  }
}

/** Raised by storage drivers when a path does not exist. */
export class PathNotFoundError extends Error {
  constructor(readonly path: string, readonly driver: string) {
    super(`${driver}: path not found: ${path}`);
    this.name = 'PathNotFoundError';
  }
}

/** Raised by storage drivers for a path that is not a clean absolute path inside the store. */
export class InvalidPathError extends Error {
  constructor(readonly path: string, readonly driver: string) {
    super(`${driver}: invalid path: ${JSON.stringify(path)}`);
    this.name = 'InvalidPathError';
  }
}

/** Raised by storage drivers when a read or resume offset is outside the file. */
export class InvalidOffsetError extends Error {
  constructor(readonly path: string, readonly offset: number, readonly driver: string) {
    super(`${driver}: invalid offset ${offset} for ${path}`);
    this.name = 'InvalidOffsetError';
  }
}

/** Turns any thrown value into a RegistryError for the response. */
export function toRegistryError(failure: unknown): RegistryError {
  if (failure instanceof RegistryError) return failure;
  // A full disk: UNKNOWN (500) as distribution answers, the message in Docker's words.
  const err = noSpaceOr(failure);
  return new RegistryError('UNKNOWN', err instanceof Error ? err.message : String(err), undefined, { cause: err });
}
