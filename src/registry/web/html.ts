// HTML escaping, in one place. The `html` tagged template escapes every value put into it, unless the
// value is already SafeHtml: the output of `html` itself, of renderMarkdown (sanitised), or a constant
// marked with `trustedHtml`. Pages are built only with `html`, so nothing reaches a page unescaped by
// accident. Values go into element text or into double-quoted attributes: both are safe once escaped.

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false || value === true) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

/** A piece of HTML: the literal parts as written, every value escaped (arrays joined, nullish and booleans dropped). */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]!) + strings[i + 1]!;
  return new SafeHtml(out);
}

/** Marks a string written by Berth itself (never one that holds input) as HTML. */
export function trustedHtml(text: string): SafeHtml {
  return new SafeHtml(text);
}

/** A path of the pages from segments: each segment percent-encoded, so a value cannot leave its place in the URL. */
export function pagePath(...segments: string[]): string {
  return '/' + segments.map((s) => s.split('/').map(encodeURIComponent).join('/')).join('/');
}
