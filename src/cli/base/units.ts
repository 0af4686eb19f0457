/**
 * Human units exactly as docker prints them (go-units): HumanDuration for "3 seconds ago",
 * HumanSizeWithPrecision (decimal, 3 significant digits) for "1.98MB", BytesSize (binary) for info.
 */
import { humanDuration } from '../../lib/human-duration.js';

export { humanDuration };

/** Go's fmt `%.{prec}g`: shortest of %e/%f for `prec` significant digits, trailing zeros dropped. */
export function formatG(x: number, prec: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : x < 0 ? '-Inf' : 'NaN';
  const [mantissa, expText] = x.toExponential(Math.max(prec - 1, 0)).split('e');
  const exp = Number(expText);
  const digits = mantissa!.replace('-', '').replace('.', '').replace(/0+$/, '') || '0';
  const nd = digits.length;
  const dp = exp + 1;
  let eprec = prec;
  if (eprec > nd && nd >= dp) eprec = nd;
  const sign = x < 0 ? '-' : '';
  if (exp < -4 || exp >= eprec) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exp);
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  let fixed = Math.abs(x).toFixed(Math.max(prec - 1 - exp, 0));
  if (fixed.includes('.')) fixed = fixed.replace(/0+$/, '').replace(/\.$/, '');
  return sign + fixed;
}

/**
 * A JSON number as docker's typed inspect prints it: integers in full (they are int64 fields there),
 * other values as Go's `%v` of a float64 (shortest digits, exponent form from 1e+06 and below 1e-4).
 */
export function formatFloatV(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e21) return String(x);
  if (x === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(x)));
  if (exp < -4 || exp >= 6) {
    const [m, e] = x.toExponential().split('e');
    const n = Number(e);
    return `${m}e${n < 0 ? '-' : '+'}${Math.abs(n) < 10 ? '0' : ''}${Math.abs(n)}`;
  }
  return String(x);
}

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
const BINARY_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB', 'ZiB', 'YiB'];

function scale(size: number, base: number, units: string[]): [number, string] {
  let i = 0;
  while (size >= base && i < units.length - 1) {
    size /= base;
    i++;
  }
  return [size, units[i]!];
}

/** go-units HumanSizeWithPrecision: "1.98MB", "0B", "12.3kB". */
export function humanSize(bytes: number, precision = 3): string {
  const [n, unit] = scale(bytes, 1000, DECIMAL_UNITS);
  return formatG(n, precision) + unit;
}

/** go-units BytesSize: "23.54GiB". */
export function bytesSize(bytes: number): string {
  const [n, unit] = scale(bytes, 1024, BINARY_UNITS);
  return formatG(n, 4) + unit;
}

/** "3 seconds ago" for a unix time in seconds. */
export function timeAgo(unixSeconds: number, now = Date.now()): string {
  return `${humanDuration(now - unixSeconds * 1000)} ago`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Go's time.Time.String() in local time without the fractional part: "2026-11-29 06:23:42 +0000 UTC". */
export function goTimeString(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const offsetMin = -d.getTimezoneOffset();
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const offset = `${sign}${pad2(Math.trunc(abs / 60))}${pad2(abs % 60)}`;
  let zone = 'UTC';
  try {
    zone = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' })
      .formatToParts(d).find((p) => p.type === 'timeZoneName')?.value ?? zone;
  } catch {
    // no Intl data: keep UTC
  }
  if (offsetMin === 0 && (zone === 'GMT' || zone === 'UTC')) zone = 'UTC';
  const date = `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
  const time = `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  return `${date} ${time} ${offset} ${zone}`;
}

/** The 12-character short form of an ID, without its algorithm prefix. */
export function truncateId(id: string): string {
  const colon = id.indexOf(':');
  const hex = colon >= 0 ? id.slice(colon + 1) : id;
  return hex.slice(0, 12);
}

/** docker's Ellipsis: cut to `max` display characters, the last being "…". */
export function ellipsis(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  if (max <= 1) return chars.slice(0, max).join('');
  return chars.slice(0, max - 1).join('') + '…';
}
