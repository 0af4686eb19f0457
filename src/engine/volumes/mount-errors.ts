import { InvalidArgumentError } from '../../lib/errors.js';

/** Docker's wording for a bad mount: `invalid mount config for type "bind": <why>`. */
export function mountConfigError(type: string, why: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid mount config for type "${type}": ${why}`);
}

/** Docker's wording for a bad `-v` string: `invalid volume specification: '<spec>'[: <why>]`. */
export function volumeSpecError(spec: string, why?: string): InvalidArgumentError {
  return new InvalidArgumentError(`invalid volume specification: '${spec}'${why ? `: ${why}` : ''}`);
}

/** Checks a container path as Docker does: absolute and not `/` itself. Returns the reason, or undefined. */
export function targetProblem(target: string): string | undefined {
  if (!target) return 'field Target must not be empty';
  if (normalize(target) === '/') return "invalid specification: destination can't be '/'";
  if (!target.startsWith('/')) return `invalid mount path: '${target}' mount path must be absolute`;
  return undefined;
}

/** path.Clean for absolute container paths (no filesystem access). */
export function normalize(path: string): string {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}
