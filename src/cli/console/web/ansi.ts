/**
 * ANSI SGR escapes (colours, bold, faint, italic, underline, inverse) of one log line turned into
 * styled segments; every other escape is dropped. A line starts plain: log lines are rendered one
 * by one, as they scroll into view.
 */
export interface Style {
  fg?: string;
  bg?: string;
  bold?: boolean;
  dim?: boolean;
  italic?: boolean;
  underline?: boolean;
  inverse?: boolean;
}

export interface Segment {
  text: string;
  style: Style;
}

const BASE = ['#000000', '#cd3131', '#0dbc79', '#e5e510', '#2472c8', '#bc3fbc', '#11a8cd', '#e5e5e5',
  '#666666', '#f14c4c', '#23d18b', '#f5f543', '#3b8eea', '#d670d6', '#29b8db', '#ffffff'];

/** The xterm 256-colour palette: 16 base colours, a 6x6x6 cube, 24 greys. */
export function color256(n: number): string {
  if (n < 16) return BASE[n]!;
  if (n < 232) {
    const i = n - 16;
    const v = (x: number): number => (x === 0 ? 0 : 55 + x * 40);
    return `rgb(${v(Math.floor(i / 36))},${v(Math.floor(i / 6) % 6)},${v(i % 6)})`;
  }
  const g = 8 + (n - 232) * 10;
  return `rgb(${g},${g},${g})`;
}

// CSI sequences (SGR and the rest), OSC sequences, and lone escapes of two bytes
const ESCAPE = /\x1b\[([0-9;:?]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

function applySgr(style: Style, params: string): Style {
  const codes = params === '' ? [0] : params.split(/[;:]/).map((p) => Number(p) || 0);
  let s = { ...style };
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c === 0) s = {};
    else if (c === 1) s.bold = true;
    else if (c === 2) s.dim = true;
    else if (c === 3) s.italic = true;
    else if (c === 4) s.underline = true;
    else if (c === 7) s.inverse = true;
    else if (c === 22) s.bold = s.dim = false;
    else if (c === 23) s.italic = false;
    else if (c === 24) s.underline = false;
    else if (c === 27) s.inverse = false;
    else if (c >= 30 && c <= 37) s.fg = BASE[c - 30];
    else if (c >= 90 && c <= 97) s.fg = BASE[c - 90 + 8];
    else if (c >= 40 && c <= 47) s.bg = BASE[c - 40];
    else if (c >= 100 && c <= 107) s.bg = BASE[c - 100 + 8];
    else if (c === 39) s.fg = undefined;
    else if (c === 49) s.bg = undefined;
    else if (c === 38 || c === 48) {
      let value: string | undefined;
      if (codes[i + 1] === 5) {
        value = color256((codes[i + 2] ?? 0) & 255);
        i += 2;
      } else if (codes[i + 1] === 2) {
        value = `rgb(${codes[i + 2] ?? 0},${codes[i + 3] ?? 0},${codes[i + 4] ?? 0})`;
        i += 4;
      }
      if (c === 38) s.fg = value;
      else s.bg = value;
    }
  }
  return s;
}

export function parseAnsi(line: string): Segment[] {
  const out: Segment[] = [];
  let style: Style = {};
  let last = 0;
  for (const m of line.matchAll(ESCAPE)) {
    if (m.index! > last) out.push({ text: line.slice(last, m.index), style });
    if (m[2] === 'm') style = applySgr(style, m[1]!);
    last = m.index! + m[0].length;
  }
  if (last < line.length) out.push({ text: line.slice(last), style });
  return out;
}

/** The line without its escapes (what search looks in). */
export function plainText(line: string): string {
  return line.includes('\x1b') ? line.replace(ESCAPE, '') : line;
}
