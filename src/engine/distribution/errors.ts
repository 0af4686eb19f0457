// What a registry answered when it refused: the HTTP status and its OCI error list, worded as
// distribution's errcode package words them ("manifest unknown: manifest unknown"), which is what
// dockerd passes on to the docker CLI.
import { STATUS_CODES } from 'node:http';
import { BerthError } from '../../lib/errors.js';

export interface OciError {
  code: string;
  message?: string;
  detail?: unknown;
}

/** A registry replied with an error status. */
export class RegistryResponseError extends BerthError {
  override readonly code = 'REGISTRY';
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

/** The registry wants credentials we don't have, or refused the ones we sent. */
export class RegistryAuthError extends BerthError {
  override readonly code = 'UNAUTHORIZED';
}

/** The registry could not be reached at all (connection refused, TLS failure): the next endpoint may work. */
export class RegistryUnreachableError extends BerthError {
  override readonly code = 'UNAVAILABLE';
}

/** The registry sent content that is not what it claims (digest mismatch, bad manifest, truncated body). */
export class RegistryContentError extends BerthError {
  override readonly code = 'INVALID_CONTENT';
}

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
