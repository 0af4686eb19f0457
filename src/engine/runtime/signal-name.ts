import { constants as osConstants } from 'node:os';
import { InvalidArgumentError } from '../../lib/errors.js';

/** 'SIGTERM', 'TERM', 'term', 15 or '15' -> a form runc accepts; anything else is refused. */
export function normalizeSignal(signal: string | number): string {
  const signals = osConstants.signals as Record<string, number>;
  if (typeof signal === 'number' || /^\d+$/.test(signal)) {
    const n = Number(signal);
    if (!Object.values(signals).includes(n)) throw new InvalidArgumentError(`Invalid signal: ${signal}`);
    return String(n);
  }
  const name = signal.toUpperCase().startsWith('SIG') ? signal.toUpperCase() : `SIG${signal.toUpperCase()}`;
  if (!(name in signals)) throw new InvalidArgumentError(`Invalid signal: ${signal}`);
  return name;
}
