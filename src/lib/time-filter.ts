import { InvalidArgumentError } from './errors.js';

/**
 * The time of Docker's `until` / `since` filter values, in ms since the epoch: Unix seconds (maybe
 * fractional), an RFC 3339 date, or a Go-style duration before now (`90s`, `10m`, `24h`, `1h30m`).
 */
export function parseFilterTime(value: string, filter = 'until'): number {
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  if (/^(\d+(\.\d+)?(h|m|s|ms))+$/.test(value)) {
    const unit: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
    let ms = 0;
    for (const [, n, , u] of value.matchAll(/(\d+(\.\d+)?)(h|ms|m|s)/g)) ms += Number(n) * unit[u];
    return Date.now() - ms;
  }
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError(`invalid filter '${filter}=${value}'`);
  return t;
}
