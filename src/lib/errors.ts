/**
 * The kinds of error Berth code throws. Callers check the kind with `instanceof`; each API maps kinds to
 * its own wire shape in one place (the engine: `src/engine/api/errors.ts`, Docker's `{"message"}`).
 */
export class BerthError extends Error {
  /** Stable machine-readable kind, also used to pick the HTTP status. */
  readonly code: string = 'SYSTEM';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Something named does not exist (404). */
export class NotFoundError extends BerthError {
  override readonly code = 'NOT_FOUND';
}

/** The caller's input is malformed or not allowed (400). */
export class InvalidArgumentError extends BerthError {
  override readonly code = 'INVALID_ARGUMENT';
}

/** The request clashes with the current state: a name taken, an object in use (409). */
export class ConflictError extends BerthError {
  override readonly code = 'CONFLICT';
}

/** Nothing to do: already started, already stopped (304). */
export class NotModifiedError extends BerthError {
  override readonly code = 'NOT_MODIFIED';
}

/** The caller may not do this (403). */
export class ForbiddenError extends BerthError {
  override readonly code = 'FORBIDDEN';
}

/** A dependency is not reachable or not ready (503). */
export class UnavailableError extends BerthError {
  override readonly code = 'UNAVAILABLE';
}

/** Something failed inside Berth or the system under it (500). */
export class SystemError extends BerthError {
  override readonly code = 'SYSTEM';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
