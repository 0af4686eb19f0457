import { constants } from 'node:os';
import { InvalidArgumentError } from '../../lib/errors.js';

const BY_NAME = constants.signals as Record<string, number>;

/**
 * Parses a signal as Docker's API takes it: a number, or a name with or without `SIG` in any case
 * (`TERM`, `sigterm`, `SIGRTMIN+3`). InvalidArgumentError `Invalid signal: x` otherwise.
 */
export function parseSignal(raw: string): number {
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    if (n >= 1 && n <= 64) return n;
    throw new InvalidArgumentError(`Invalid signal: ${raw}`);
  }
  const upper = raw.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const rt = /^SIGRTMIN\+(\d+)$/.exec(name);
  if (rt && Number(rt[1]) <= 30) return 34 + Number(rt[1]);
  const rtMax = /^SIGRTMAX-(\d+)$/.exec(name);
  if (rtMax && Number(rtMax[1]) <= 30) return 64 - Number(rtMax[1]);
  if (name === 'SIGRTMIN') return 34;
  if (name === 'SIGRTMAX') return 64;
  const n = BY_NAME[name];
  if (n === undefined) throw new InvalidArgumentError(`Invalid signal: ${raw}`);
  return n;
}

export const SIGKILL = 9;
export const SIGTERM = 15;
