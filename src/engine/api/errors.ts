import {
  BerthError, ConflictError, ForbiddenError, InvalidArgumentError, NotFoundError, NotModifiedError,
  UnavailableError,
} from '../../lib/errors.js';

/** The one place that maps error kinds to the HTTP status Docker answers with. */
export function statusForError(err: unknown): number {
  if (err instanceof NotFoundError) return 404;
  if (err instanceof InvalidArgumentError) return 400;
  if (err instanceof ConflictError) return 409;
  if (err instanceof NotModifiedError) return 304;
  if (err instanceof ForbiddenError) return 403;
  if (err instanceof UnavailableError) return 503;
  if (err instanceof BerthError) return 500;
  return 500;
}
