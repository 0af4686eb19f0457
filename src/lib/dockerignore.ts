/**
 * .dockerignore as Docker reads and applies it (moby/patternmatcher and its ignorefile package): one
 * pattern a line, "#" comments, "!" exceptions, each pattern cleaned as Go's filepath.Clean cleans a
 * path and taken relative to the context root; "*" and "?" stay inside one path element, "**" crosses
 * elements. A path is excluded when the last pattern matching it or one of its parent directories is
 * not an exception. The CLI leaves excluded files out of the context it sends; the daemon applies the
 * file again, so that every API client gets the same context.
 */
import { posix } from 'node:path';
import { InvalidArgumentError } from './errors.js';

/** Go's filepath.Clean for `/`-separated paths: no empty or "." elements, ".." resolved, no trailing "/". */
export function cleanPath(path: string): string {
  if (path === '') return '.';
  const normal = posix.normalize(path);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

/**
 * The patterns of a .dockerignore file (ignorefile.ReadAll): a leading UTF-8 BOM dropped, comment lines
 * (a "#" in the first column) and blank lines left out, each pattern trimmed, cleaned and made relative.
 */
export function readDockerignore(text: string): string[] {
  const patterns: string[] = [];
  for (const [i, line] of text.split(/\r?\n/).entries()) {
    const raw = i === 0 ? line.replace(/^\uFEFF/, '') : line;
    if (raw.startsWith('#')) continue;
    let pattern = raw.trim();
    if (pattern === '') continue;
    const invert = pattern.startsWith('!');
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern.startsWith('/')) pattern = pattern.slice(1);
    }
    patterns.push(invert ? `!${pattern}` : pattern);
  }
  return patterns;
}

/** How patternmatcher tests a pattern: by equality, as a prefix ("dir/**"), a suffix ("**\/name"), or a regexp. */
type MatchType = 'exact' | 'prefix' | 'suffix' | 'regexp';

/** Go's filepath.ErrBadPattern, which patternmatcher returns for a pattern it cannot read. */
const BAD_PATTERN = 'syntax error in pattern';

/** Characters a regexp would read as syntax but filepath.Match reads as themselves. */
const REGEXP_ONLY = new Set('.+()|{}$');

/**
 * A pattern compiled as patternmatcher compiles it. `source` is the whole pattern as a regexp (what
 * `regexp` type patterns match with); `type` says which cheaper test Docker uses instead, whose results
 * differ from the regexp's in corners ("**x" matches any name ending in "x").
 */
function compile(pattern: string): { type: MatchType; source: string } {
  let source = '^';
  let type: MatchType = 'exact';
  const chars = [...pattern];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    if (ch === '*') {
      if (chars[i + 1] === '*') {
        const start = i;
        i++;
        if (chars[i + 1] === '/') i++; // "**/" is "**"
        if (i + 1 >= chars.length) {
          // "**" at the end accepts everything below, as .gitignore does
          source += '.*';
          type = type === 'exact' ? 'prefix' : 'regexp';
        } else {
          source += '(.*/)?';
          type = 'regexp';
        }
        if (start === 0) type = 'suffix';
      } else {
        source += '[^/]*';
        type = 'regexp';
      }
    } else if (ch === '?') {
      source += '[^/]';
      type = 'regexp';
    } else if (REGEXP_ONLY.has(ch)) {
      source += `\\${ch}`;
    } else if (ch === '\\') {
      // filepath.Match refuses a pattern ending in an escape
      if (i + 1 >= chars.length) throw new InvalidArgumentError(BAD_PATTERN);
      source += `\\${chars[++i]}`;
      type = 'regexp';
    } else if (ch === '[' || ch === ']') {
      source += ch;
      type = 'regexp';
    } else {
      source += ch;
    }
  }
  return { type, source: `${source}$` };
}

function toRegExp(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch {
    throw new InvalidArgumentError(BAD_PATTERN);
  }
}

/** A pattern as a regular expression over `/`-separated paths (as a COPY source glob is matched). */
export function globRegExp(pattern: string): RegExp {
  return toRegExp(compile(pattern).source);
}

class Pattern {
  readonly exclusion: boolean;
  private readonly cleaned: string;
  private readonly type: MatchType;
  private readonly regexp: RegExp | undefined;

  constructor(text: string) {
    let p = cleanPath(text);
    this.exclusion = p.startsWith('!');
    if (this.exclusion) {
      if (p === '!') throw new InvalidArgumentError('illegal exclusion pattern: "!"');
      p = p.slice(1);
    }
    this.cleaned = p;
    const { type, source } = compile(p);
    this.type = type;
    this.regexp = type === 'regexp' ? toRegExp(source) : undefined;
  }

  matches(path: string): boolean {
    switch (this.type) {
      case 'exact':
        return path === this.cleaned;
      case 'prefix':
        return path.startsWith(this.cleaned.slice(0, -2));
      case 'suffix': {
        const suffix = this.cleaned.slice(2);
        return path.endsWith(suffix) || (suffix.startsWith('/') && path === suffix.slice(1));
      }
      case 'regexp':
        return this.regexp!.test(path);
    }
  }
}

/** The patterns of a .dockerignore, applied as patternmatcher's MatchesOrParentMatches applies them. */
export class IgnoreMatcher {
  private readonly patterns: Pattern[];

  /** `patterns` as readDockerignore returns them; throws InvalidArgumentError for one Docker cannot read. */
  constructor(patterns: string[]) {
    this.patterns = patterns.map((p) => p.trim()).filter((p) => p !== '').map((p) => new Pattern(p));
  }

  /** The matcher for a .dockerignore file's text. */
  static parse(text: string): IgnoreMatcher {
    return new IgnoreMatcher(readDockerignore(text));
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** Whether any pattern is an exception ("!..."): an excluded directory may then hold included files. */
  get hasExclusions(): boolean {
    return this.patterns.some((p) => p.exclusion);
  }

  /** Whether a context-relative, `/`-separated path ("a/b/c") is excluded. */
  excludes(path: string): boolean {
    const parents = path.split('/').slice(0, -1);
    let matched = false;
    for (const pattern of this.patterns) {
      // an inclusion cannot change a path already excluded, nor an exception one not excluded
      if (pattern.exclusion !== matched) continue;
      let match = pattern.matches(path);
      for (let i = 1; !match && i <= parents.length; i++) match = pattern.matches(parents.slice(0, i).join('/'));
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }
}
