/**
 * Flag helpers every command group uses: repeatable flags and "k=v" lists, as docker's pflag
 * StringSlice/List options read them.
 */
import { CliError } from '../base/errors.js';

/** commander's accumulator for a repeatable flag: each occurrence is appended. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** "k=v" flags into a map; a bare key maps to "". */
export function keyValues(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq < 0) out[item] = '';
    else out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** An integer flag as pflag parses it, refused in its words (exit 125 for run/create-like commands). */
export function intFlag(flag: string, value: string, exitCode = 1): number {
  if (!/^-?\d+$/.test(value)) throw new CliError(`invalid argument "${value}" for "${flag}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`, exitCode);
  return Number(value);
}

/** go-units RAMInBytes: "512m", "1g", "1.5GB" -> bytes (binary multiples); "-1" stays -1. */
export function ramInBytes(flag: string, value: string, exitCode = 1): number {
  if (value === '-1') return -1;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?b)?$/i.exec(value.trim());
  if (!m) throw new CliError(`invalid argument "${value}" for "${flag}" flag: invalid size: '${value}'`, exitCode);
  const pow = ' kmgtp'.indexOf(m[2]!.toLowerCase() || ' ');
  return Math.round(Number(m[1]) * 1024 ** Math.max(pow, 0));
}

/** The API path of a container, or of one of its actions ("/stop"). */
export function containerPath(name: string, action = ''): string {
  return `/containers/${encodeURIComponent(name)}${action}`;
}
