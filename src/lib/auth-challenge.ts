// WWW-Authenticate challenges (RFC 7235): `Bearer realm="https://auth/token",service="reg",scope="..."`,
// `Basic realm="registry"`. A header may carry several challenges; a reply may carry several headers.

export interface AuthChallenge {
  /** Lower-cased scheme: "bearer", "basic". */
  scheme: string;
  params: Record<string, string>;
}

export function parseChallenges(headers: string | string[] | undefined): AuthChallenge[] {
  if (!headers) return [];
  const out: AuthChallenge[] = [];
  for (const header of Array.isArray(headers) ? headers : [headers]) out.push(...parseOne(header));
  return out;
}

function parseOne(text: string): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  let i = 0;
  const skipSpace = () => { while (i < text.length && /[\s,]/.test(text[i]!)) i++; };
  const token = () => {
    const start = i;
    while (i < text.length && /[!#$%&'*+\-.^_`|~0-9A-Za-z/]/.test(text[i]!)) i++;
    return text.slice(start, i);
  };
  let current: AuthChallenge | undefined;
  while (i < text.length) {
    skipSpace();
    const name = token();
    if (!name) {
      i++;
      continue;
    }
    while (i < text.length && text[i] === ' ') i++;
    if (text[i] === '=' && current) {
      i++;
      while (i < text.length && text[i] === ' ') i++;
      let value = '';
      if (text[i] === '"') {
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < text.length) i++;
          value += text[i++];
        }
        i++;
      } else {
        const start = i;
        while (i < text.length && text[i] !== ',') i++;
        value = text.slice(start, i).trim();
      }
      current.params[name.toLowerCase()] = value;
    } else {
      current = { scheme: name.toLowerCase(), params: {} };
      out.push(current);
    }
  }
  return out;
}
