// The keys of distribution's config.yml that berth-registry does not act on, each with its verdict:
// refused at start where accepting it would mislead (a notification never sent, a check never run, a
// debug server never started), or a warning that names it where it is harmless here and commonly
// found in registry:2 configurations (a cache, a log field). docs/registry.md has the whole table.

type Tree = Record<string, unknown>;

export interface KeyVerdicts {
  /** The first key refused, as the error to give; undefined when none is. */
  refused?: string;
  /** One line per key that has no effect here. */
  warnings: string[];
}

interface Rule {
  /** Dotted path of the key. */
  key: string;
  /** Whether the value set there is refused, warned about, or fine; undefined when fine. */
  verdict(value: unknown): 'refuse' | 'warn' | undefined;
  /** Why, as the end of the message. */
  why: string;
}

const set = (v: unknown) => v !== undefined && v !== null && v !== '' && !(typeof v === 'object' && Object.keys(v as object).length === 0);
const always = (kind: 'refuse' | 'warn') => (v: unknown) => (set(v) ? kind : undefined);
const when = (kind: 'refuse' | 'warn', bad: (v: unknown) => boolean) => (v: unknown) => (set(v) && bad(v) ? kind : undefined);

/** Endpoints of `notifications.endpoints` that are not `disabled: true`. */
function liveEndpoints(v: unknown): boolean {
  return !Array.isArray(v) || v.some((e) => !(typeof e === 'object' && e !== null && (e as Tree).disabled === true));
}

const RULES: Rule[] = [
  { key: 'version', verdict: when('refuse', (v) => String(v) !== '0.1'), why: 'berth-registry reads configuration version 0.1' },
  { key: 'log.level', verdict: always('warn'), why: 'berth-registry writes its errors and warnings to stderr and the access log to stdout (log.accesslog.disabled turns that off); there are no info or debug messages to choose' },
  { key: 'log.formatter', verdict: when('refuse', (v) => v !== 'text'), why: 'only text is written (the access log is JSON lines of its own)' },
  { key: 'log.fields', verdict: always('warn'), why: 'log lines carry no extra fields' },
  { key: 'log.hooks', verdict: always('refuse'), why: 'log hooks (mail on errors) are not supported' },
  { key: 'loglevel', verdict: always('warn'), why: 'deprecated in distribution; see log.level' },
  { key: 'storage.filesystem.maxthreads', verdict: always('warn'), why: 'Node.js bounds filesystem calls with its own thread pool (UV_THREADPOOL_SIZE)' },
  { key: 'storage.cache.blobdescriptor', verdict: always('warn'), why: 'blob descriptors are read from storage, there is no descriptor cache' },
  { key: 'storage.s3.v4auth', verdict: when('refuse', (v) => v !== true), why: 'requests are always signed with AWS signature version 4' },
  { key: 'storage.s3.keyid', verdict: always('refuse'), why: 'KMS encryption is not supported (storage.s3.encrypt: true asks for SSE-S3, AES256)' },
  { key: 'redis', verdict: always('refuse'), why: 'redis is not supported: berth-registry keeps no cache' },
  { key: 'middleware', verdict: always('warn'), why: 'middleware (CloudFront, redirects) is not supported: blobs are served by the registry, or by the storage (storage.redirect)' },
  { key: 'http.prefix', verdict: always('refuse'), why: 'the registry is served at the root path only' },
  { key: 'http.host', verdict: always('warn'), why: 'Location headers are relative, as with http.relativeurls: true' },
  { key: 'http.relativeurls', verdict: when('warn', (v) => v !== true), why: 'Location headers are always relative' },
  { key: 'http.secret', verdict: always('warn'), why: 'upload state is kept in the storage that every instance shares, not signed into the upload URL' },
  { key: 'http.http2.disabled', verdict: when('warn', (v) => v !== true), why: 'berth-registry serves HTTP/1.1 only (as with disabled: true)' },
  { key: 'http.debug', verdict: always('refuse'), why: 'berth-registry serves no debug server (no /debug/health, /debug/vars or Prometheus metrics)' },
  { key: 'http.tls.letsencrypt', verdict: always('refuse'), why: 'Let\'s Encrypt is not supported: give http.tls.certificate and key' },
  { key: 'http.tls.ciphersuites', verdict: always('refuse'), why: 'the cipher suites are Node.js\'s defaults' },
  { key: 'auth.token.autoredirect', verdict: when('refuse', (v) => v !== false), why: 'the realm is always auth.token.realm' },
  { key: 'auth.token.jwks', verdict: always('refuse'), why: 'tokens are checked against auth.token.rootcertbundle only' },
  { key: 'health.file', verdict: always('refuse'), why: 'only health.storagedriver checks are run' },
  { key: 'health.http', verdict: always('refuse'), why: 'only health.storagedriver checks are run' },
  { key: 'health.tcp', verdict: always('refuse'), why: 'only health.storagedriver checks are run' },
  { key: 'notifications.endpoints', verdict: when('refuse', liveEndpoints), why: 'notifications are not sent (only endpoints with disabled: true are accepted)' },
  { key: 'validation.manifests', verdict: always('refuse'), why: 'URL rules for foreign layers are not enforced' },
  { key: 'validation.disabled', verdict: when('refuse', (v) => v !== false), why: 'the blobs a manifest references are always checked' },
  { key: 'validation.enabled', verdict: when('refuse', (v) => v !== true), why: 'the blobs a manifest references are always checked' },
  { key: 'compatibility.schema1.enabled', verdict: when('refuse', (v) => v !== false), why: 'schema1 manifests are not accepted' },
  { key: 'compatibility.schema1.signingkeyfile', verdict: always('warn'), why: 'no schema1 manifest is ever produced to sign' },
];

function at(tree: Tree, key: string): unknown {
  let node: unknown = tree;
  for (const part of key.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node)) return undefined;
    node = (node as Tree)[part];
  }
  return node;
}

/** The verdict on every key of `tree` berth-registry does not act on. */
export function judgeKeys(tree: Tree): KeyVerdicts {
  const warnings: string[] = [];
  let refused: string | undefined;
  for (const rule of RULES) {
    const value = at(tree, rule.key);
    const verdict = rule.verdict(value);
    if (verdict === 'refuse') refused ??= `${rule.key}${typeof value === 'object' ? '' : ` ${JSON.stringify(value)}`} is refused: ${rule.why}`;
    else if (verdict === 'warn') warnings.push(`configuration key ${rule.key} has no effect in berth-registry: ${rule.why}`);
  }
  const auth = at(tree, 'auth');
  if (typeof auth === 'object' && auth !== null) {
    for (const kind of Object.keys(auth)) {
      if (kind !== 'htpasswd' && kind !== 'token') refused ??= `auth.${kind} is refused: the auth schemes are htpasswd and token`;
    }
  }
  return { refused, warnings };
}
