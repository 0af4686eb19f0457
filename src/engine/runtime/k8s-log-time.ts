/**
 * The timestamps of k8s-file logs: conmon writes RFC 3339 with nanoseconds and the host's zone
 * (`2024-01-02T03:04:05.123456789+00:00`); Docker prints them in UTC with nine digits and `Z`.
 * Lines of one second share everything but the fraction, so the second is converted once.
 */

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

/** `2024-01-02T03:04:05.123456789+00:00` -> nanoseconds since the epoch. */
export function parseRfc3339Nano(text: string): bigint | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${m[3] === 'Z' ? 'Z' : m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  const frac = BigInt((m[2] ?? '').padEnd(9, '0'));
  return BigInt(ms) * 1_000_000n + frac;
}

/** Nanoseconds since the epoch -> Docker's `logs --timestamps` form (UTC, always nine fractional digits). */
export function formatRfc3339Nano(timeNs: bigint): string {
  const base = new Date(Number(timeNs / 1_000_000n)).toISOString().slice(0, 19);
  return `${base}.${(timeNs % 1_000_000_000n).toString().padStart(9, '0')}Z`;
}

/** Converts conmon's times, remembering the last second seen (a log's lines come in time order). */
export class LogTimes {
  private lastSecond = '';
  private lastBase = 0n;

  /** Nanoseconds since the epoch of a timestamp as conmon writes it; undefined when it is not one. */
  toNs(text: string): bigint | undefined {
    // conmon's form: 19 characters of date and time, '.', 9 digits, a zone of 6.
    if (text.length === 35 && text.charCodeAt(19) === 0x2e) {
      const second = text.slice(0, 19) + text.slice(29);
      const frac = Number(text.slice(20, 29));
      if (second === this.lastSecond && Number.isInteger(frac)) return this.lastBase + BigInt(frac);
      const ns = parseRfc3339Nano(text);
      if (ns !== undefined) {
        this.lastSecond = second;
        this.lastBase = ns - (ns % 1_000_000_000n);
      }
      return ns;
    }
    return parseRfc3339Nano(text);
  }

  /** Docker's form of a timestamp as conmon writes it (a UTC one is only given its `Z`). */
  toDocker(text: string): string | undefined {
    if (text.length === 35 && text.endsWith('+00:00') && text.charCodeAt(19) === 0x2e) return `${text.slice(0, 29)}Z`;
    const ns = this.toNs(text);
    return ns === undefined ? undefined : formatRfc3339Nano(ns);
  }
}
