/**
 * The kinds of error Berth code throws: a closed set. Every error class fixes one kind in `code`; each
 * API maps kinds to its own wire shape in one place (the engine: `src/engine/api/errors.ts`, Docker's
 * `{"message"}` with the status dockerd gives the same failure).
 */
export const ERROR_KINDS = [
  'NOT_FOUND', 'INVALID_ARGUMENT', 'CONFLICT', 'NOT_MODIFIED', 'FORBIDDEN', 'UNAUTHORIZED', 'UNAVAILABLE', 'SYSTEM', 'UNKNOWN',
  'NOT_IMPLEMENTED',
] as const;

export type ErrorKind = (typeof ERROR_KINDS)[number];

export abstract class BerthError extends Error {
  /** Stable machine-readable kind, the one thing that picks the HTTP status. */
  abstract readonly code: ErrorKind;
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

/** Another party refused the credentials in a way dockerd passes on as unauthorized (401). */
export class UnauthorizedError extends BerthError {
  override readonly code = 'UNAUTHORIZED';
}

/** A dependency is not reachable or not ready (503). */
export class UnavailableError extends BerthError {
  override readonly code = 'UNAVAILABLE';
}

/** The object cannot do this at all, e.g. reading the logs of a `none` log driver (501). */
export class NotImplementedError extends BerthError {
  override readonly code = 'NOT_IMPLEMENTED';
}

/** Something failed inside Berth or the system under it (500). */
export class SystemError extends BerthError {
  override readonly code = 'SYSTEM';
}

/**
 * The disk is full (ENOSPC). The message is Docker's, Go's path error: `write <path>: no space left on
 * device` (`<op>: no space left on device` when no path is known). Every ENOSPC becomes this error in
 * `noSpaceOr`, so a full disk reads the same whatever store ran into it; a SystemError, so the engine
 * answers 500 as dockerd does.
 */
export class NoSpaceError extends SystemError {
  constructor(readonly op: string, readonly path?: string, options?: { cause?: unknown }) {
    super(`${op}${path ? ` ${path}` : ''}: no space left on device`, options);
  }
}

/**
 * Another party (a registry, a token server) failed or refused in a way dockerd passes on without a
 * kind of its own, as its errdefs.Unknown (500): a refused login, an unreachable host, bad content.
 */
export class UnknownError extends BerthError {
  override readonly code = 'UNKNOWN';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Whether `err` is a system error with one of these codes (ENOENT, EBUSY...). */
export function isErrno(err: unknown, ...codes: string[]): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && codes.includes(code);
}

/**
 * The value of `step`, or `fallback` when it fails because the path is not there (ENOENT, or ENOTDIR: a
 * component is not a directory). Any other failure is thrown: only absence is expected.
 */
export async function orIfMissing<T, F>(step: Promise<T>, fallback: F): Promise<T | F> {
  try {
    return await step;
  } catch (err) {
    if (isErrno(err, 'ENOENT', 'ENOTDIR')) return fallback;
    throw err;
  }
}

/**
 * Marks a promise whose failure a later `await` meets and reports, so that it does not count as an
 * unhandled rejection meanwhile. Not for failures nobody awaits: those go through bestEffort.
 */
export function handledLater(promise: Promise<unknown>): void {
  promise.then(undefined, () => undefined);
}

/** Whether `err`, or an error it was caused by, is the disk being full (ENOSPC). */
export function isNoSpace(err: unknown): boolean {
  return noSpaceCause(err) !== undefined;
}

/**
 * The one mapping of ENOSPC: `err` as a NoSpaceError when the disk is full (naming `path`, the file
 * being written, when the system error does not name one itself), else `err` unchanged.
 */
export function noSpaceOr(err: unknown, path?: string): unknown {
  const cause = noSpaceCause(err);
  if (cause === undefined || err instanceof NoSpaceError) return err;
  if (cause instanceof NoSpaceError) return cause;
  const op = typeof cause.syscall === 'string' ? cause.syscall : 'write';
  return new NoSpaceError(op, (typeof cause.path === 'string' ? cause.path : undefined) ?? path, { cause: err });
}

function noSpaceCause(err: unknown): NodeJS.ErrnoException | NoSpaceError | undefined {
  for (let e = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof NoSpaceError || isErrno(e, 'ENOSPC')) return e;
  }
  return undefined;
}
