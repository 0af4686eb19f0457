// What a registry answered when it refused: the HTTP status and its OCI error list, worded as
// distribution's errcode package words them ("manifest unknown: manifest unknown"), which is what
// dockerd passes on to the docker CLI. Each class has the kind (and so the HTTP status) dockerd gives
// the same failure: most pass on as errdefs.Unknown (500), checked against Debian's dockerd 20.10.
import { STATUS_CODES } from 'node:http';
import { UnauthorizedError, UnknownError } from '../../lib/errors.js';

export interface OciError {
  code: string;
  message?: string;
  detail?: unknown;
}

/** A registry replied with an error status (dockerd: 500, unless pull words it as not found). */
export class RegistryResponseError extends UnknownError {
  constructor(readonly status: number, readonly errors: OciError[], readonly method: string, readonly url: string) {
    super(describeRegistryErrors(status, errors));
  }

  /** Rewords the error (dockerd puts context in front of the registry's words). */
  withMessage(message: string): this {
    this.message = message;
    return this;
  }

  hasCode(code: string): boolean {
    return this.errors.some((e) => e.code === code);
  }
}

/**
 * The registry or its token server refused the credentials, or its auth could not be followed. dockerd
 * answers 500 for these (a Basic login refused, a token server's OCI error list), not 401.
 */
export class RegistryAuthError extends UnknownError {}

/**
 * A token server refused the credentials without an OCI error list (Docker Hub's {"details"} body, or
 * none): the one refusal dockerd answers with 401.
 */
export class RegistryUnauthorizedError extends UnauthorizedError {}

/** The registry could not be reached at all (connection refused, TLS failure): the next endpoint may work. dockerd: 500. */
export class RegistryUnreachableError extends UnknownError {}

/** The registry sent content that is not what it claims (digest mismatch, bad manifest, truncated body). dockerd: 500. */
export class RegistryContentError extends UnknownError {}

/** errcode.Error.Error(): the code in lower case with spaces, then the message. */
export function describeOciError(e: OciError): string {
  const code = String(e.code ?? 'unknown').toLowerCase().replace(/_/g, ' ');
  return e.message ? `${code}: ${e.message}` : code;
}

function describeRegistryErrors(status: number, errors: OciError[]): string {
  if (errors.length === 1) return describeOciError(errors[0]!);
  if (errors.length > 1) return `errors:\n${errors.map(describeOciError).join('\n')}\n`;
  return `received unexpected HTTP status: ${status} ${STATUS_CODES[status] ?? ''}`.trimEnd();
}

/**
 * A token server's refusal (401 or 403), worded and classed as distribution's client and dockerd do:
 * an OCI error list passes on as it is (500); otherwise Docker Hub's {"details": "..."} or no body at
 * all becomes one "unauthorized" (401) or "denied" (500) error.
 */
export function tokenRefusal(status: 401 | 403, text: string): RegistryAuthError | RegistryUnauthorizedError {
  const errors = parseOciErrors(text);
  if (errors.length) return new RegistryAuthError(describeRegistryErrors(status, errors));
  const details = parseDetails(text);
  if (status === 401) return new RegistryUnauthorizedError(`unauthorized: ${details ?? 'authentication required'}`);
  return new RegistryAuthError(`denied: ${details ?? 'requested access to the resource is denied'}`);
}

function parseDetails(text: string): string | undefined {
  try {
    const details = (JSON.parse(text) as { details?: unknown }).details;
    return typeof details === 'string' && details ? details : undefined;
  } catch {
    return undefined; // not JSON: no details to tell
  }
}

/** Parses an OCI error body ({"errors":[...]}); anything else gives an empty list. */
export function parseOciErrors(text: string): OciError[] {
  try {
    const parsed = JSON.parse(text) as { errors?: unknown };
    if (!Array.isArray(parsed.errors)) return [];
    return parsed.errors.filter((e): e is OciError => typeof e === 'object' && e !== null && typeof (e as OciError).code === 'string');
  } catch {
    return [];
  }
}
