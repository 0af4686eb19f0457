import { randomInt } from 'node:crypto';
import { InvalidArgumentError } from '../../lib/errors.js';
import { ADJECTIVES, SURNAMES } from './name-words.js';

export const VALID_NAME_CHARS = '[a-zA-Z0-9][a-zA-Z0-9_.-]';
const VALID_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** Checks a user-given name; returns it with Docker's leading slash. Errors quote the name as given. */
export function validateName(name: string): string {
  if (!VALID_NAME.test(name)) {
    throw new InvalidArgumentError(`Invalid container name (${name}), only ${VALID_NAME_CHARS} are allowed`);
  }
  return name.startsWith('/') ? name : `/${name}`;
}

/** A random `adjective_surname`; after collisions (`retry` > 0) a digit is appended, as Docker does. */
export function randomName(retry = 0): string {
  for (;;) {
    const name = `${ADJECTIVES[randomInt(ADJECTIVES.length)]}_${SURNAMES[randomInt(SURNAMES.length)]}`;
    // Steve Wozniak is not boring (Docker's own exception).
    if (name === 'boring_wozniak') continue;
    return retry > 0 ? `${name}${randomInt(10)}` : name;
  }
}
