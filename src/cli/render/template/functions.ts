/**
 * The functions templates may call: docker's (json, join, split, lower, upper, title, pad, truncate,
 * println) and Go's builtins (index, len, slice, eq, ne, lt, le, gt, ge, and, or, not, print, printf,
 * html, urlquery); and the neutral set docker renders table headers with.
 */
import { TemplateError } from './lexer.js';
import { isMap, printValue, truth, type JsonMarshaler, type RawJson, type Value } from './values.js';

/** Go's json.Marshal with sorted map keys and HTML escaping (used for formatter contexts). */
function goMarshal(v: Value): string {
  const escape = (s: string): string => s.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  const walk = (x: Value): string => {
    if (x === null || x === undefined) return 'null';
    if (Array.isArray(x)) return `[${x.map(walk).join(',')}]`;
    if (isMap(x)) return `{${Object.keys(x).sort().map((k) => `${escape(JSON.stringify(k))}:${walk(x[k])}`).join(',')}}`;
    return escape(JSON.stringify(x));
  };
  return walk(v);
}

function jsonFunc(v: Value): string {
  if (isMap(v) && typeof (v as unknown as RawJson).toRawJSON === 'function') return (v as unknown as RawJson).toRawJSON();
  if (isMap(v) && typeof (v as unknown as JsonMarshaler).toGoJSON === 'function') {
    return goMarshal((v as unknown as JsonMarshaler).toGoJSON());
  }
  return JSON.stringify(v === undefined ? null : v) ?? 'null';
}

function goSprintf(format: string, args: Value[]): string {
  let ai = 0;
  return format.replace(/%([-+ #0]*)(\d+)?(?:\.(\d+))?([vsdqfgtx%])/g, (_m, flags: string, width: string | undefined, prec: string | undefined, verb: string) => {
    if (verb === '%') return '%';
    if (ai >= args.length) return `%!${verb}(MISSING)`;
    const a = args[ai++];
    let s: string;
    switch (verb) {
      case 'q': s = JSON.stringify(typeof a === 'string' ? a : printValue(a)); break;
      case 'd': s = typeof a === 'number' ? String(Math.trunc(a)) : `%!d(${printValue(a)})`; break;
      case 'f': s = typeof a === 'number' ? a.toFixed(prec ? Number(prec) : 6) : `%!f(${printValue(a)})`; break;
      case 'x': s = typeof a === 'number' ? a.toString(16) : Buffer.from(printValue(a)).toString('hex'); break;
      default: s = printValue(a);
    }
    if (prec && verb === 's') s = [...s].slice(0, Number(prec)).join('');
    const w = width ? Number(width) : 0;
    if (w > [...s].length) s = flags.includes('-') ? s.padEnd(w) : s.padStart(w, flags.includes('0') ? '0' : ' ');
    return s;
  });
}

function compare(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new TemplateError('incompatible types for comparison');
}

function lengthOf(v: Value): number {
  if (typeof v === 'string') return Buffer.byteLength(v);
  if (Array.isArray(v)) return v.length;
  if (isMap(v)) return Object.keys(v).length;
  throw new TemplateError(`len of type ${typeof v}`);
}

export /** Go's fmt.Sprint: a space between operands when neither is a string. */
function goSprint(args: Value[]): string {
  return args.map((x, i) => (i > 0 && typeof x !== 'string' && typeof args[i - 1] !== 'string' ? ' ' : '') + printValue(x)).join('');
}

/** Go's strings.Title separators: anything but ASCII alphanumerics and "_", letters and digits. */
function isTitleSeparator(c: string): boolean {
  if (c.codePointAt(0)! <= 0x7f) return !/[0-9A-Za-z_]/.test(c);
  if (/[\p{L}\p{Nd}]/u.test(c)) return false;
  return /\s/u.test(c);
}

/** Go's strings.Title (what docker's `title` is): the first letter of each word upper-cased, nothing lowered. */
function goTitle(s: string): string {
  let prev = ' ';
  let out = '';
  for (const c of s) {
    out += isTitleSeparator(prev) ? c.toUpperCase() : c;
    prev = c;
  }
  return out;
}

/** text/template's HTMLEscapeString. */
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;', '\0': '\uFFFD' };

/** Go's url.QueryEscape: only A-Z a-z 0-9 - _ . ~ stay, a space is "+". */
function goQueryEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
}

export type Func = (...args: Value[]) => Value;

export const FUNCS: Record<string, Func> = {
  json: (v) => jsonFunc(v),
  join: (list, sep) => (Array.isArray(list) ? list.map(printValue).join(String(sep ?? '')) : printValue(list)),
  split: (s, sep) => String(s).split(String(sep)),
  lower: (s) => printValue(s).toLowerCase(),
  upper: (s) => printValue(s).toUpperCase(),
  title: (s) => goTitle(printValue(s)),
  // docker's padWithSpace leaves an empty value empty
  pad: (s, before, after) => (printValue(s) === '' ? '' : ' '.repeat(Number(before)) + printValue(s) + ' '.repeat(Number(after))),
  truncate: (s, n) => [...printValue(s)].slice(0, Number(n)).join(''),
  println: (...a) => a.map(printValue).join(' ') + '\n',
  print: (...a) => goSprint(a),
  printf: (f, ...a) => goSprintf(String(f), a),
  len: (v) => lengthOf(v),
  index: (v, ...keys) => {
    let cur = v;
    for (const k of keys) {
      if (Array.isArray(cur) || typeof cur === 'string') {
        const i = Number(k);
        if (!Number.isInteger(i) || i < 0 || i >= cur.length) throw new TemplateError(`error calling index: index out of range: ${printValue(k)}`);
        cur = Array.isArray(cur) ? cur[i] : cur.charCodeAt(i);
      } else if (isMap(cur)) {
        // a missing key gives the element's zero value; docker's label maps are map[string]string
        cur = Object.prototype.hasOwnProperty.call(cur, String(k)) ? cur[String(k)] : '';
      } else if (cur === null || cur === undefined) {
        cur = '';
      } else {
        throw new TemplateError(`error calling index: can't index item of type ${typeof cur}`);
      }
    }
    return cur;
  },
  slice: (v, ...idx) => {
    const [a, b] = idx.map(Number);
    if (typeof v === 'string' || Array.isArray(v)) return v.slice(a ?? 0, b);
    throw new TemplateError(`can't slice item of type ${typeof v}`);
  },
  eq: (a, ...rest) => rest.some((b) => a === b || (a == null && b == null)),
  ne: (a, b) => a !== b,
  lt: (a, b) => compare(a, b) < 0,
  le: (a, b) => compare(a, b) <= 0,
  gt: (a, b) => compare(a, b) > 0,
  ge: (a, b) => compare(a, b) >= 0,
  not: (a) => !truth(a),
  and: (...a) => a.find((x) => !truth(x)) ?? a[a.length - 1],
  or: (...a) => a.find((x) => truth(x)) ?? a[a.length - 1],
  html: (...a) => goSprint(a).replace(/[&<>"'\0]/g, (c) => HTML_ESCAPES[c]!),
  urlquery: (...a) => goQueryEscape(goSprint(a)),
};


/** Functions for rendering a table header: they pass the header text through unchanged. */
export const HEADER_FUNCS: Record<string, Func> = {
  json: (v) => printValue(v),
  join: (v) => printValue(v),
  split: (v) => printValue(v),
  lower: (v) => printValue(v),
  upper: (v) => printValue(v),
  title: (v) => printValue(v),
  truncate: (v) => printValue(v),
  pad: (v) => printValue(v),
};
