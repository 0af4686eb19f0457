/**
 * Image references given on the command line, parsed by the one parser (src/lib/image-reference.ts)
 * before any request, as docker does; a malformed one is a CliError in docker's words.
 */
import { InvalidArgumentError } from '../../lib/errors.js';
import { parseAnyReference, parseReference, type AnyReference, type ImageReference } from '../../lib/image-reference.js';
import { CliError } from '../base/errors.js';

function asCliError<T>(parse: () => T, wrap: (message: string) => string = (m) => m): T {
  try {
    return parse();
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw new CliError(wrap(err.message));
    throw err;
  }
}

/** A name (ParseNormalizedNamed): docker.io and library/ added where implied, no default tag. */
export function referenceArg(text: string, wrap?: (message: string) => string): ImageReference {
  return asCliError(() => parseReference(text), wrap);
}

/** A name or an image ID (ParseAnyReference). */
export function anyReferenceArg(text: string, wrap?: (message: string) => string): AnyReference {
  return asCliError(() => parseAnyReference(text), wrap);
}
