// Configuration in distribution's format: config.yml (the subset berth-registry supports) with
// REGISTRY_* environment overrides (REGISTRY_HTTP_ADDR -> http.addr, REGISTRY_STORAGE=s3 picks the
// driver, ...). Keys we do not know are reported as warnings, never silently dropped; keys we know but
// do not act on are refused or warned about (config-keys.ts).
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseProxyConfig, ProxyConfigError, type ProxyConfig } from './proxy-config.js';
import { BackgroundConfigError, durationMs, parseHealth, parseUploadPurging, type HealthConfig, type UploadPurgingConfig } from './config-background.js';
import { judgeKeys } from './config-keys.js';

type Leaf = 'string' | 'bool' | 'int' | 'any';
interface Schema { [key: string]: Schema | Leaf }

/** The keys berth-registry knows; config-keys.ts judges those it does not act on. 'any': a section taken as it is. */
const SCHEMA: Schema = {
  version: 'string',
  loglevel: 'string',
  log: { level: 'string', formatter: 'string', fields: 'any', hooks: 'any', accesslog: { disabled: 'bool' } },
  storage: {
    filesystem: { rootdirectory: 'string', maxthreads: 'int' },
    s3: {
      accesskey: 'string', secretkey: 'string', region: 'string', regionendpoint: 'string', bucket: 'string',
      rootdirectory: 'string', forcepathstyle: 'bool', secure: 'bool', skipverify: 'bool', chunksize: 'int',
      storageclass: 'string', v4auth: 'bool', encrypt: 'bool', keyid: 'string',
    },
    delete: { enabled: 'bool' },
    cache: { blobdescriptor: 'string' },
    maintenance: {
      uploadpurging: { enabled: 'bool', age: 'string', interval: 'string', dryrun: 'bool' },
      readonly: { enabled: 'bool' },
    },
    redirect: { disable: 'bool' },
  },
  http: {
    addr: 'string', net: 'string', prefix: 'string', host: 'string', secret: 'string', relativeurls: 'bool',
    draintimeout: 'string',
    tls: { certificate: 'string', key: 'string', clientcas: 'any', minimumtls: 'string', letsencrypt: 'any', ciphersuites: 'any' },
    headers: 'any',
    http2: { disabled: 'bool' },
    debug: { addr: 'string', prometheus: 'any' },
  },
  auth: {
    htpasswd: { realm: 'string', path: 'string' },
    token: { realm: 'string', service: 'string', issuer: 'string', rootcertbundle: 'string', autoredirect: 'bool', jwks: 'string' },
  },
  // berth-registry's own token server (serves /token), see docs/registry.md.
  tokenserver: {
    enabled: 'bool', key: 'string', certificate: 'string', htpasswd: 'string', expiration: 'int', acl: 'any',
  },
  // The hub (docs/hub.md): search, stars, descriptions, namespaces.
  hub: { enabled: 'bool', database: 'string', admins: 'any', public: 'bool' },
  // The pull-through cache (docs/registry.md): distribution's keys, plus upstreams per namespace prefix.
  proxy: { remoteurl: 'string', username: 'string', password: 'string', ttl: 'string', library: 'bool', upstreams: 'any', exec: 'any' },
  // Online garbage collection on a schedule (docs/registry-gc.md).
  gc: { interval: 'string', grace: 'string', dryrun: 'bool', deleteuntagged: 'bool' },
  health: { storagedriver: { enabled: 'bool', interval: 'string', threshold: 'int' }, file: 'any', http: 'any', tcp: 'any' },
  notifications: 'any',
  validation: 'any',
  compatibility: 'any',
  redis: 'any',
  middleware: 'any',
};

/** Sections where exactly one child names the kind in use (REGISTRY_STORAGE=s3, REGISTRY_AUTH=htpasswd). */
const CHOICES: Record<string, string[]> = {
  storage: ['filesystem', 's3'],
  auth: ['htpasswd', 'token'],
};

export interface AclEntry { account: string; name: string; actions: string[] }

export interface RegistryConfig {
  http: {
    addr: string;
    /** `http.net`: tcp (addr is host:port) or unix (addr is a socket path). */
    net: 'tcp' | 'unix';
    host?: string;
    tls?: { certificate: string; key: string; minVersion?: TlsVersion; clientCAs?: string[] };
    headers: Record<string, string[]>;
    /** `http.draintimeout`: how long requests in progress may finish at shutdown (0: cut at once). */
    drainTimeoutMs: number;
  };
  storage:
    | { driver: 'filesystem'; filesystem: { rootdirectory: string } }
    | { driver: 's3'; s3: Record<string, unknown> };
  deleteEnabled: boolean;
  readOnly: boolean;
  /** Blob GETs answered 307 to the storage where the driver can (S3); off: `storage.redirect.disable`. */
  redirect: boolean;
  auth?:
    | { kind: 'htpasswd'; realm: string; path: string }
    | { kind: 'token'; realm: string; service: string; issuer: string; rootcertbundle: string };
  tokenserver?: { key: string; certificate: string; htpasswd?: string; expiration: number; acl: AclEntry[] };
  accessLog: boolean;
  /** The hub; undefined when `hub.enabled` is false (a plain registry). */
  hub?: HubConfig;
  /** The pull-through cache; undefined when no `proxy` section is set. */
  proxy?: ProxyConfig;
  /** Garbage collection in the background; undefined unless `gc.interval` is set. */
  gc?: GcConfig;
  /** `storage.maintenance.uploadpurging` (on by default, as in distribution). */
  uploadPurging: UploadPurgingConfig;
  /** `health.storagedriver`. */
  health: HealthConfig;
  /** The grace period for `garbage-collect` (gc.grace, default one hour), with or without a schedule. */
  gcGraceMs: number;
  warnings: string[];
}

export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
const TLS_VERSIONS: Record<string, TlsVersion> = { 'tls1.0': 'TLSv1', 'tls1.1': 'TLSv1.1', 'tls1.2': 'TLSv1.2', 'tls1.3': 'TLSv1.3' };

export interface HubConfig {
  /** The metadata database file: `hub.database`, default `<rootdirectory>/hub.db` (filesystem driver). */
  database: string;
  /** Users who push anywhere and mark repositories official. */
  admins: string[];
  /**
   * `hub.public`: with auth configured, search, repository and tag reads and the web pages answer
   * anonymous callers too, as Docker Hub does (stars and edits still need a user). Default false.
   */
  public: boolean;
}

export interface GcConfig {
  intervalMs: number;
  graceMs: number;
  dryRun: boolean;
  deleteUntagged: boolean;
}

type Tree = Record<string, unknown>;

function isObject(v: unknown): v is Tree {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(tree: Tree, schema: Schema, prefix: string, warnings: string[]): void {
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    const spec = schema[key];
    if (spec === undefined) { warnings.push(`unknown configuration key ${path} (ignored)`); continue; }
    if (spec === 'any') continue;
    if (typeof spec === 'object') {
      if (value === null || value === undefined || value === '') continue;
      if (!isObject(value)) { warnings.push(`configuration key ${path} should be a section`); continue; }
      checkKeys(value, spec, path, warnings);
    }
  }
}

function convert(value: string, leaf: Leaf): unknown {
  if (leaf === 'bool') return /^(true|1|yes|on)$/i.test(value);
  if (leaf === 'int') return Number(value);
  if (leaf === 'any') { try { return parseYaml(value); } catch { return value; } }
  return value;
}

/** Applies REGISTRY_A_B_C=value to the tree, matching the schema's keys (which may hold no "_"). */
function applyEnv(tree: Tree, env: NodeJS.ProcessEnv, warnings: string[]): void {
  // Kind choices (REGISTRY_STORAGE=s3) come last so that they win over the other kinds' parameters.
  const isChoice = (k: string) => Object.keys(CHOICES).some((c) => k === `REGISTRY_${c.toUpperCase()}`);
  const vars = Object.keys(env).filter((k) => k.startsWith('REGISTRY_') && k !== 'REGISTRY_CONFIGURATION_PATH')
    .sort((a, b) => Number(isChoice(a)) - Number(isChoice(b)) || a.length - b.length);
  for (const name of vars) {
    const value = env[name] ?? '';
    const parts = name.slice('REGISTRY_'.length).toLowerCase().split('_');
    let schema: Schema | Leaf = SCHEMA;
    let node: Tree = tree;
    let ok = true;
    for (let i = 0; i < parts.length; i++) {
      const key = parts[i];
      const last = i === parts.length - 1;
      if (typeof schema !== 'object' || !(key in schema)) {
        // Parameter-bag sections (headers, acl ...) take the rest of the name as one key.
        if ((schema as Leaf) === 'any') { node[parts.slice(i).join('_')] = convert(value, 'any'); break; }
        ok = false; break;
      }
      const child: Schema | Leaf = schema[key];
      if (last) {
        if (typeof child === 'object') {
          // REGISTRY_STORAGE=s3: choose the kind, dropping the others.
          const kinds = CHOICES[key];
          if (kinds && kinds.includes(value)) {
            const section = isObject(node[key]) ? (node[key] as Tree) : {};
            for (const k of kinds) if (k !== value) delete section[k];
            if (!isObject(section[value])) section[value] = {};
            node[key] = section;
          } else { ok = false; }
        } else {
          node[key] = convert(value, child);
        }
      } else {
        if (child === 'any') {
          if (!isObject(node[key])) node[key] = {};
          (node[key] as Tree)[parts.slice(i + 1).join('_')] = convert(value, 'any');
          break;
        }
        if (!isObject(node[key])) node[key] = {};
        node = node[key] as Tree;
        schema = child;
      }
    }
    if (!ok) warnings.push(`unknown environment variable ${name} (ignored)`);
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}

export class ConfigError extends Error {
  constructor(message: string) { super(message); this.name = 'ConfigError'; }
}

/** Reads config.yml (optional) and the environment into a checked configuration. */
export function loadConfig(path: string | undefined, env: NodeJS.ProcessEnv = process.env): RegistryConfig {
  const warnings: string[] = [];
  let tree: Tree = {};
  if (path) {
    let text: string;
    try { text = readFileSync(path, 'utf8'); } catch (err) {
      throw new ConfigError(`cannot read configuration ${path}: ${(err as Error).message}`);
    }
    let parsed: unknown;
    try { parsed = parseYaml(text); } catch (err) {
      throw new ConfigError(`configuration ${path} is not valid YAML: ${(err as Error).message}`);
    }
    if (parsed !== null && parsed !== undefined && !isObject(parsed)) throw new ConfigError(`configuration ${path} must be a mapping`);
    tree = (parsed as Tree) ?? {};
  }
  checkKeys(tree, SCHEMA, '', warnings);
  applyEnv(tree, env, warnings);
  const verdicts = judgeKeys(tree);
  if (verdicts.refused) throw new ConfigError(verdicts.refused);
  warnings.push(...verdicts.warnings);
  try {
    return buildConfig(tree, warnings);
  } catch (err) {
    throw err instanceof BackgroundConfigError ? new ConfigError(err.message) : err;
  }
}

function buildConfig(tree: Tree, warnings: string[]): RegistryConfig {
  const http = (tree.http ?? {}) as Tree;
  const tls = (http.tls ?? {}) as Tree;
  const storage = (tree.storage ?? {}) as Tree;
  const log = (tree.log ?? {}) as Tree;
  const accesslog = (log.accesslog ?? {}) as Tree;
  const headers: Record<string, string[]> = {};
  if (isObject(http.headers)) {
    for (const [k, v] of Object.entries(http.headers)) headers[k] = Array.isArray(v) ? v.map(String) : [String(v)];
  }
  const config: RegistryConfig = {
    http: { addr: str(http.addr) ?? ':5000', net: netOf(http.net), host: str(http.host), headers, drainTimeoutMs: durationMs(http, 'draintimeout', 'http', 0, true) },
    storage: { driver: 'filesystem', filesystem: { rootdirectory: '/var/lib/registry' } },
    deleteEnabled: ((storage.delete ?? {}) as Tree).enabled === true,
    readOnly: (((storage.maintenance ?? {}) as Tree).readonly as Tree | undefined)?.enabled === true,
    redirect: ((storage.redirect ?? {}) as Tree).disable !== true,
    accessLog: accesslog.disabled !== true,
    uploadPurging: parseUploadPurging(((storage.maintenance ?? {}) as Tree).uploadpurging),
    health: parseHealth(tree.health),
    gcGraceMs: 3600_000,
    warnings,
  };
  if (str(tls.certificate) || str(tls.key)) {
    if (!str(tls.certificate) || !str(tls.key)) throw new ConfigError('http.tls needs both certificate and key');
    config.http.tls = { certificate: str(tls.certificate)!, key: str(tls.key)!, ...tlsOptions(tls) };
  } else if (tls.minimumtls !== undefined || tls.clientcas !== undefined) {
    throw new ConfigError('http.tls.minimumtls and http.tls.clientcas need http.tls.certificate and key');
  }
  const drivers = CHOICES.storage.filter((d) => storage[d] !== undefined);
  if (drivers.length > 1) throw new ConfigError(`more than one storage driver configured: ${drivers.join(', ')}`);
  if (drivers[0] === 's3') {
    const s3 = (storage.s3 ?? {}) as Tree;
    if (!str(s3.bucket)) throw new ConfigError('storage.s3.bucket is required');
    if (!str(s3.region)) throw new ConfigError('storage.s3.region is required');
    // distribution's "NONE": send no storage class (the bucket's default).
    if (s3.storageclass === 'NONE') delete s3.storageclass;
    config.storage = { driver: 's3', s3 };
  } else {
    const fs = (storage.filesystem ?? {}) as Tree;
    config.storage = { driver: 'filesystem', filesystem: { rootdirectory: str(fs.rootdirectory) ?? '/var/lib/registry' } };
  }
  const auth = (tree.auth ?? {}) as Tree;
  const kinds = CHOICES.auth.filter((k) => auth[k] !== undefined);
  if (kinds.length > 1) throw new ConfigError(`more than one auth scheme configured: ${kinds.join(', ')}`);
  if (kinds[0] === 'htpasswd') {
    const h = (auth.htpasswd ?? {}) as Tree;
    if (!str(h.path)) throw new ConfigError('auth.htpasswd.path is required');
    config.auth = { kind: 'htpasswd', realm: str(h.realm) ?? 'Registry Realm', path: str(h.path)! };
  } else if (kinds[0] === 'token') {
    const t = (auth.token ?? {}) as Tree;
    for (const k of ['realm', 'service', 'issuer', 'rootcertbundle']) {
      if (!str(t[k])) throw new ConfigError(`auth.token.${k} is required`);
    }
    config.auth = { kind: 'token', realm: str(t.realm)!, service: str(t.service)!, issuer: str(t.issuer)!, rootcertbundle: str(t.rootcertbundle)! };
  }
  const ts = tree.tokenserver as Tree | undefined;
  if (isObject(ts) && ts.enabled !== false && (ts.enabled === true || Object.keys(ts).length > 0)) {
    if (!str(ts.key) || !str(ts.certificate)) throw new ConfigError('tokenserver needs key and certificate (or tokenserver.enabled: false)');
    if (ts.expiration !== undefined && (typeof ts.expiration !== 'number' || !Number.isInteger(ts.expiration) || ts.expiration <= 0)) {
      throw new ConfigError(`tokenserver.expiration must be a number of seconds, not ${JSON.stringify(ts.expiration)}`);
    }
    if (config.auth?.kind !== 'token') throw new ConfigError('tokenserver needs auth.token (its issuer and service)');
    let acl: AclEntry[] = [];
    if (ts.acl !== undefined) {
      if (!Array.isArray(ts.acl)) throw new ConfigError('tokenserver.acl must be a list');
      acl = ts.acl.map((e, i) => {
        const entry = e as Tree;
        if (!isObject(entry) || typeof entry.name !== 'string' || !Array.isArray(entry.actions)) {
          throw new ConfigError(`tokenserver.acl[${i}] needs name and actions`);
        }
        return { account: String(entry.account ?? ''), name: entry.name, actions: entry.actions.map(String) };
      });
    }
    config.tokenserver = {
      key: str(ts.key)!, certificate: str(ts.certificate)!, htpasswd: str(ts.htpasswd),
      expiration: typeof ts.expiration === 'number' ? ts.expiration : 300, acl,
    };
  }
  config.hub = buildHubConfig((tree.hub ?? {}) as Tree, config);
  try { config.proxy = parseProxyConfig(tree.proxy); } catch (err) {
    throw err instanceof ProxyConfigError ? new ConfigError(err.message) : err;
  }
  buildGcConfig((tree.gc ?? {}) as Tree, config);
  return config;
}

function netOf(value: unknown): 'tcp' | 'unix' {
  if (value === undefined || value === null || value === '' || value === 'tcp') return 'tcp';
  if (value === 'unix') return 'unix';
  throw new ConfigError(`http.net ${JSON.stringify(value)} is refused: berth-registry listens on tcp or unix`);
}

/** `http.tls.minimumtls` (tls1.0 ... tls1.3; Node's default is tls1.2, as distribution's) and `clientcas` (mutual TLS). */
function tlsOptions(tls: Tree): { minVersion?: TlsVersion; clientCAs?: string[] } {
  const out: { minVersion?: TlsVersion; clientCAs?: string[] } = {};
  if (tls.minimumtls !== undefined) {
    out.minVersion = TLS_VERSIONS[String(tls.minimumtls)];
    if (!out.minVersion) throw new ConfigError(`http.tls.minimumtls ${JSON.stringify(tls.minimumtls)}: one of ${Object.keys(TLS_VERSIONS).join(', ')}`);
  }
  if (tls.clientcas !== undefined && tls.clientcas !== null) {
    const list = typeof tls.clientcas === 'string' ? [tls.clientcas] : tls.clientcas;
    if (!Array.isArray(list) || list.length === 0 || !list.every((c) => typeof c === 'string' && c !== '')) {
      throw new ConfigError('http.tls.clientcas must be a list of CA certificate files');
    }
    out.clientCAs = list as string[];
  }
  return out;
}

/** `gc:` — interval and grace are Go durations ("20s", "1h"); the schedule runs only with an interval. */
function buildGcConfig(gc: Tree, config: RegistryConfig): void {
  if (!isObject(gc)) throw new ConfigError('gc must be a section');
  const interval = str(gc.interval) === undefined ? undefined : durationMs(gc, 'interval', 'gc', 0);
  config.gcGraceMs = durationMs(gc, 'grace', 'gc', config.gcGraceMs);
  if (interval === undefined) {
    for (const key of ['dryrun', 'deleteuntagged']) {
      if (gc[key] !== undefined) throw new ConfigError(`gc.${key} needs gc.interval (the schedule it applies to)`);
    }
    return;
  }
  config.gc = { intervalMs: interval, graceMs: config.gcGraceMs, dryRun: gc.dryrun === true, deleteUntagged: gc.deleteuntagged === true };
}

/**
 * The hub is on unless `hub.enabled: false`. Its database lies beside the storage root's `docker/`
 * tree (`<rootdirectory>/hub.db`), so a volume holding the registry's data holds it too; with S3 the
 * instances share the bucket but the database is a local file, so `hub.database` must be named.
 */
function buildHubConfig(hub: Tree, config: RegistryConfig): HubConfig | undefined {
  if (!isObject(hub)) throw new ConfigError('hub must be a section');
  if (hub.enabled === false) return undefined;
  let admins: string[] = [];
  if (hub.admins !== undefined && hub.admins !== null) {
    if (typeof hub.admins === 'string') admins = hub.admins.split(',').map((a) => a.trim()).filter(Boolean);
    else if (Array.isArray(hub.admins)) admins = hub.admins.map(String);
    else throw new ConfigError('hub.admins must be a list of user names');
  }
  let database = str(hub.database);
  if (!database) {
    if (config.storage.driver !== 'filesystem') {
      throw new ConfigError('hub.database (a local file) is required with the s3 storage driver, or set hub.enabled: false');
    }
    database = `${config.storage.filesystem.rootdirectory.replace(/\/+$/, '')}/hub.db`;
  }
  return { database, admins, public: hub.public === true };
}

/** Splits distribution's "host:port" / ":port" address. */
export function parseAddr(addr: string): { host: string | undefined; port: number } {
  const i = addr.lastIndexOf(':');
  if (i < 0) throw new ConfigError(`http.addr ${addr} needs a port`);
  const host = addr.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(addr.slice(i + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`http.addr ${addr}: bad port`);
  return { host: host || undefined, port };
}
