/**
 * Go's time.Duration in text, as Docker reads and prints it: `--health-interval 1m30s`, HEALTHCHECK
 * `--timeout=500ms`, "Health check exceeded timeout (1.5s)". Durations are nanoseconds held in a
 * number (exact up to about 104 days, far beyond any interval Docker tooling uses).
 */

const NS_PER: Record<string, number> = {
  ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9,
};

/** Go's time.ParseDuration: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+` or "0"; throws Go's message. */
export function parseGoDuration(text: string): number {
  const quoted = JSON.stringify(text);
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw new Error(`time: invalid duration ${quoted}`);
  let total = 0;
  while (rest !== '') {
    const number = /^(\d*)(?:\.(\d*))?/.exec(rest)!;
    const [whole = '', frac] = [number[1], number[2]];
    if (whole === '' && (frac === undefined || frac === '')) throw new Error(`time: invalid duration ${quoted}`);
    rest = rest.slice(number[0].length);
    const unit = /^[^\d.]*/.exec(rest)![0];
    if (unit === '') throw new Error(`time: missing unit in duration ${quoted}`);
    const scale = NS_PER[unit];
    if (scale === undefined) throw new Error(`time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
    rest = rest.slice(unit.length);
    total += Number(whole || '0') * scale + (frac ? Math.round(Number(`0.${frac}`) * scale) : 0);
  }
  return sign * total;
}

/** Go's Duration.String(): "0s", "500ms", "1.5s", "1m30s", "2h0m0s". */
export function formatGoDuration(ns: number): string {
  const neg = ns < 0;
  let u = Math.round(Math.abs(ns));
  let out: string;
  if (u === 0) return '0s';
  if (u < 1e9) {
    const [scale, unit] = u < 1e3 ? [1, 'ns'] : u < 1e6 ? [1e3, 'µs'] : [1e6, 'ms'];
    out = `${fraction(u, scale)}${unit}`;
  } else {
    const seconds = fraction(u % 60e9, 1e9);
    u = Math.floor(u / 60e9);
    out = `${seconds}s`;
    if (u > 0) {
      out = `${u % 60}m${out}`;
      u = Math.floor(u / 60);
      if (u > 0) out = `${u}h${out}`;
    }
  }
  return neg ? `-${out}` : out;
}

/** `value / scale` with the fraction's trailing zeros (and a bare point) left out, as Go's fmtFrac. */
function fraction(value: number, scale: number): string {
  const whole = Math.floor(value / scale);
  const rest = value % scale;
  if (rest === 0) return String(whole);
  const digits = String(scale).length - 1;
  return `${whole}.${String(rest).padStart(digits, '0').replace(/0+$/, '')}`;
}
