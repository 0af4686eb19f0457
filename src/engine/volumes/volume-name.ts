import { InvalidArgumentError } from '../../lib/errors.js';

/** Docker's rule for local volume names: two or more characters, the first alphanumeric. */
const VALID_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
const VALID_CHARS = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * Refuses a name the local driver cannot store, in Docker's words, prefixed with the operation
 * ("create data"). A relative path given where a host path was meant lands here too, hence the hint.
 */
export function validateVolumeName(name: string, op = 'create'): void {
  if (VALID_NAME.test(name)) return;
  if (VALID_CHARS.test(name)) {
    throw new InvalidArgumentError(`${op} ${name}: volume name is too short, names should be at least two alphanumeric characters`);
  }
  throw new InvalidArgumentError(`${op} ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
}
