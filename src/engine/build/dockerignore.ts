// .dockerignore (moby/patternmatcher): one pattern per line, `#` comments, `!` re-includes, `*` and `?`
// within one path element, `**` across elements, the last matching pattern decides. A path is excluded
// when it or one of its parent directories matches. The docker CLI leaves excluded files out of the
// context already; the daemon applies the file again so that any API client gets the same result.
import { lstat, readdir, rm, rmdir } from 'node:fs/promises';
import { join, posix } from 'node:path';

interface Pattern {
  exclusion: boolean;
  regexp: RegExp;
}

export class IgnoreMatcher {
  private constructor(private readonly patterns: Pattern[]) {}

  static parse(text: string): IgnoreMatcher {
    const patterns: Pattern[] = [];
    for (const raw of text.split(/\r?\n/)) {
      let p = raw.trim();
      if (p === '' || p.startsWith('#')) continue;
      const exclusion = p.startsWith('!');
      if (exclusion) p = p.slice(1).trim();
      if (p !== '') {
        p = posix.normalize(p).replace(/\/+$/, '') || '/';
        if (p.length > 1 && p.startsWith('/')) p = p.slice(1);
      }
      patterns.push({ exclusion, regexp: globRegExp(p) });
    }
    return new IgnoreMatcher(patterns);
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** Whether `path` (relative to the context root, `/`-separated) is excluded. */
  excludes(path: string): boolean {
    const parents = path.split('/').slice(0, -1);
    let matched = false;
    for (const pattern of this.patterns) {
      let match = pattern.regexp.test(path);
      for (let i = 1; !match && i <= parents.length; i++) match = pattern.regexp.test(parents.slice(0, i).join('/'));
      if (match) matched = !pattern.exclusion;
    }
    return matched;
  }
}

/**
 * A glob as a regular expression over `/`-separated paths: `*` and `?` stay within one element, `**`
 * spans any number of them, `[...]` is a class, `\` escapes the next character.
 */
export function globRegExp(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') i++;
        re += i + 1 >= pattern.length ? '.*' : '(.*/)?';
      } else {
        re += '[^/]*';
      }
    } else if (ch === '?') {
      re += '[^/]';
    } else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
      } else {
        let body = pattern.slice(i + 1, end);
        if (body.startsWith('!')) body = `^${body.slice(1)}`;
        re += `[${body.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else if (ch === '\\' && i + 1 < pattern.length) {
      re += escapeRegExp(pattern[++i]);
    } else {
      re += escapeRegExp(ch);
    }
  }
  return new RegExp(`${re}$`, 's');
}

function escapeRegExp(ch: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(ch) ? `\\${ch}` : ch;
}

/**
 * Removes what `matcher` excludes from the unpacked context at `root`. A directory that is excluded
 * but holds re-included files keeps those files.
 */
export async function removeIgnored(root: string, matcher: IgnoreMatcher): Promise<void> {
  if (matcher.empty) return;
  const walk = async (rel: string): Promise<void> => {
    for (const name of await readdir(join(root, rel))) {
      const child = rel ? `${rel}/${name}` : name;
      const st = await lstat(join(root, child));
      if (st.isDirectory()) {
        await walk(child);
        if (matcher.excludes(child)) await rmdir(join(root, child)).catch(() => {}); // kept when not empty
      } else if (matcher.excludes(child)) {
        await rm(join(root, child), { force: true });
      }
    }
  };
  await walk('');
}
