/**
 * The lexer of the template engine: the source cut into text and actions ("{{...}}", with Go's
 * "{{- " and " -}}" trimming and comment actions dropped), each action cut into tokens.
 */

export class TemplateError extends Error {}

export type TokKind = 'field' | 'var' | 'ident' | 'string' | 'number' | 'bool' | 'nil' | 'pipe' | 'lparen' | 'rparen' |
  'declare' | 'assign' | 'comma' | 'dot';
export interface Tok {
  kind: TokKind;
  value: string;
  pos: number;
  end: number;
}

function lexAction(src: string, start: number, end: number): Tok[] {
  const toks: Tok[] = [];
  let i = start;
  const isIdent = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_]/.test(c);
  while (i < end) {
    const last = toks[toks.length - 1];
    if (last && last.end < 0) last.end = i;
    const c = src[i]!;
    if (/\s/.test(c)) { i++; continue; }
    const pos = i;
    if (c === '|') { toks.push({ end: -1, kind: 'pipe', value: c, pos }); i++; continue; }
    if (c === '(') { toks.push({ end: -1, kind: 'lparen', value: c, pos }); i++; continue; }
    if (c === ')') { toks.push({ end: -1, kind: 'rparen', value: c, pos }); i++; continue; }
    if (c === ',') { toks.push({ end: -1, kind: 'comma', value: c, pos }); i++; continue; }
    if (c === ':' && src[i + 1] === '=') { toks.push({ end: -1, kind: 'declare', value: ':=', pos }); i += 2; continue; }
    if (c === '=') { toks.push({ end: -1, kind: 'assign', value: '=', pos }); i++; continue; }
    if (c === '"') {
      let j = i + 1;
      while (j < end && src[j] !== '"') j += src[j] === '\\' ? 2 : 1;
      if (j >= end) throw new TemplateError(`unterminated quoted string`);
      toks.push({ end: -1, kind: 'string', value: JSON.parse(src.slice(i, j + 1).replace(/\\'/g, "'")) as string, pos });
      i = j + 1;
      continue;
    }
    if (c === '`') {
      const j = src.indexOf('`', i + 1);
      if (j < 0 || j >= end) throw new TemplateError('unterminated raw quoted string');
      toks.push({ end: -1, kind: 'string', value: src.slice(i + 1, j), pos });
      i = j + 1;
      continue;
    }
    if (c === '.' || c === '$') {
      let j = i + 1;
      while (isIdent(src[j])) j++;
      const word = src.slice(i, j);
      if (c === '.') toks.push(word === '.' ? { end: -1, kind: 'dot', value: '.', pos } : { end: -1, kind: 'field', value: word.slice(1), pos });
      else toks.push({ end: -1, kind: 'var', value: word, pos });
      i = j;
      continue;
    }
    if (/[0-9-+]/.test(c)) {
      let j = i + 1;
      while (j < end && /[0-9a-fA-FxX._]/.test(src[j]!)) j++;
      toks.push({ end: -1, kind: 'number', value: src.slice(i, j), pos });
      i = j;
      continue;
    }
    if (isIdent(c)) {
      let j = i;
      while (isIdent(src[j])) j++;
      const word = src.slice(i, j);
      if (word === 'true' || word === 'false') toks.push({ end: -1, kind: 'bool', value: word, pos });
      else if (word === 'nil') toks.push({ end: -1, kind: 'nil', value: word, pos });
      else toks.push({ end: -1, kind: 'ident', value: word, pos });
      i = j;
      continue;
    }
    throw new TemplateError(`unexpected "${c}" in command`);
  }
  const last = toks[toks.length - 1];
  if (last && last.end < 0) last.end = i;
  return toks;
}


export interface Action {
  toks: Tok[];
  pos: number;
}
export type Item = { kind: 'text'; text: string } | { kind: 'action'; action: Action };


export function split(src: string): Item[] {
  const items: Item[] = [];
  let i = 0;
  let trimNext = false;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let text = src.slice(i, open < 0 ? src.length : open);
    if (trimNext) text = text.replace(/^\s+/, '');
    trimNext = false;
    if (open < 0) {
      if (text) items.push({ kind: 'text', text });
      break;
    }
    let start = open + 2;
    if (src[start] === '-' && /\s/.test(src[start + 1] ?? '')) {
      text = text.replace(/\s+$/, '');
      start += 1;
    }
    if (text) items.push({ kind: 'text', text });
    const close = src.indexOf('}}', start);
    if (close < 0) throw new TemplateError('unclosed action');
    let end = close;
    if (src[close - 1] === '-' && /\s/.test(src[close - 2] ?? '')) {
      end = close - 1;
      trimNext = true;
    }
    const inner = src.slice(start, end).trim();
    if (!(inner.startsWith('/*') && inner.endsWith('*/'))) {
      items.push({ kind: 'action', action: { toks: lexAction(src, start, end), pos: start } });
    }
    i = close + 2;
  }
  return items;
}
