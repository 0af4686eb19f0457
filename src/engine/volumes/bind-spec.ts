import { mountConfigError, normalize, targetProblem, volumeSpecError } from './mount-errors.js';
import { InvalidArgumentError } from '../../lib/errors.js';

const RW_MODES = new Set(['ro', 'rw']);
const LABEL_MODES = new Set(['z', 'Z']);
export const PROPAGATION_MODES = new Set(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave']);
const COPY_MODES = new Set(['nocopy']);
const CONSISTENCY_MODES = new Set(['consistent', 'cached', 'delegated']);

/** One `-v` entry (HostConfig.Binds) parsed with Docker's Linux rules. */
export interface BindSpec {
  type: 'bind' | 'volume';
  /** Host path (bind, cleaned), volume name, or '' for an anonymous volume. */
  source: string;
  target: string;
  mode: string;
  readOnly: boolean;
  propagation?: string;
  /** `nocopy` given: do not fill a new volume from the image. */
  noCopy: boolean;
}

/** Parses `src:dst[:mode]` or `dst`, refusing what Docker refuses, with Docker's messages. */
export function parseBindSpec(raw: string): BindSpec {
  const parts = splitN(raw, ':', 4);
  if (parts[0] === '') throw volumeSpecError(raw);
  let source = '';
  let target: string;
  let mode = '';
  switch (parts.length) {
    case 1:
      target = parts[0];
      break;
    case 2:
      // `/foo:rw` is a destination with a mode and no source: not a valid volume.
      if (validMode(parts[1])) throw volumeSpecError(raw);
      [source, target] = parts;
      break;
    case 3:
      [source, target, mode] = parts;
      break;
    default:
      throw volumeSpecError(raw);
  }
  if (!validMode(mode)) throw new InvalidArgumentError(`invalid mode: ${mode}`);
  const type = source.startsWith('/') ? 'bind' : 'volume';
  const problem = targetProblem(target);
  if (problem) throw volumeSpecError(raw, mountConfigError(type, problem).message);
  const options = mode ? mode.split(',') : [];
  return {
    type,
    source: type === 'bind' ? normalize(source) : source,
    target: normalize(target),
    mode,
    readOnly: options.includes('ro'),
    propagation: options.find((o) => PROPAGATION_MODES.has(o)),
    noCopy: options.includes('nocopy'),
  };
}

/** Docker's rule: each kind of mode at most once, nothing unknown. */
function validMode(mode: string): boolean {
  if (mode === '') return true;
  const counts = [0, 0, 0, 0, 0];
  for (const o of mode.split(',')) {
    const kind = RW_MODES.has(o) ? 0 : LABEL_MODES.has(o) ? 1 : PROPAGATION_MODES.has(o) ? 2 : COPY_MODES.has(o) ? 3 : CONSISTENCY_MODES.has(o) ? 4 : -1;
    if (kind < 0 || ++counts[kind] > 1) return false;
  }
  return true;
}

/** Go's strings.SplitN: at most n parts, the last one keeping the rest. */
function splitN(text: string, sep: string, n: number): string[] {
  const parts = text.split(sep);
  if (parts.length <= n) return parts;
  return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}
