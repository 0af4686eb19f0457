import { BerthError, type ErrorKind } from '../../lib/errors.js';

/**
 * The one place that maps error kinds to the HTTP status dockerd answers with. The switch is
 * exhaustive: a new kind does not compile until it is mapped here.
 */
export function statusForKind(kind: ErrorKind): number {
  switch (kind) {
    case 'NOT_FOUND': return 404;
    case 'INVALID_ARGUMENT': return 400;
    case 'CONFLICT': return 409;
    case 'NOT_MODIFIED': return 304;
    case 'FORBIDDEN': return 403;
    case 'UNAUTHORIZED': return 401;
    case 'UNAVAILABLE': return 503;
    case 'SYSTEM': return 500;
    case 'UNKNOWN': return 500;
    case 'NOT_IMPLEMENTED': return 501;
    default: return unmapped(kind);
  }
}

/** The status for any thrown value: its kind's, or 500 for what is not a BerthError. */
export function statusForError(err: unknown): number {
  return err instanceof BerthError ? statusForKind(err.code) : 500;
}

function unmapped(kind: never): never {
  throw new Error(`error kind ${String(kind)} has no HTTP status`);
}
