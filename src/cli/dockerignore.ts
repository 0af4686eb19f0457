/**
 * .dockerignore as docker reads it (moby/patternmatcher): one pattern a line, "#" comments, "!" for
 * exceptions, paths cleaned and taken relative to the context root; "*" and "?" stay inside one path
 * element, "**" crosses elements; a path is excluded when the last pattern matching it or one of its
 * parent directories is not an exception.
 */

interface Pattern {
  regex: RegExp;
  exclusion: boolean;
}

export function parseDockerignore(text: string): string[] {
  const out: string[] = [];
  for (let line of text.split(/\r?\n/)) {
    if (line.startsWith('#')) continue;
    line = line.trim();
    if (!line) continue;
    const invert = line.startsWith('!');
    let p = invert ? line.slice(1).trim() : line;
    if (p.length > 0) {
      p = p.split('/').filter((seg, i, a) => seg !== '' && seg !== '.' || (i === 0 && a.length === 1)).join('/');
      p = normalizeDots(p);
      if (p === '') p = '.';
    }
    out.push(invert ? `!${p}` : p);
  }
  return out;
}

function normalizeDots(p: string): string {
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '..') parts.pop();
    else if (seg !== '.' && seg !== '') parts.push(seg);
  }
  return parts.join('/');
}

function toRegex(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else if (c === '[') {
      const end = pattern.indexOf(']', i);
      if (end < 0) re += '\\[';
      else {
        re += `[${pattern.slice(i + 1, end).replace(/^!/, '^')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`${re}$`);
}

export class IgnoreMatcher {
  private readonly patterns: Pattern[];

  constructor(lines: string[]) {
    this.patterns = lines.map((l) => {
      const exclusion = l.startsWith('!');
      return { regex: toRegex(exclusion ? l.slice(1) : l), exclusion };
    });
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** Whether a context-relative path ("a/b/c") is excluded. */
  excluded(path: string): boolean {
    const parents: string[] = [];
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) parents.push(parts.slice(0, i).join('/'));
    let matched = false;
    for (const p of this.patterns) {
      if (p.exclusion !== matched) continue;
      const hit = p.regex.test(path) || parents.some((d) => p.regex.test(d));
      if (hit) matched = !p.exclusion;
    }
    return matched;
  }
}
