// The pull-through cache's configuration: distribution's `proxy` section (remoteurl, username, password,
// ttl: every repository is a cache of one upstream) and berth-registry's `proxy.upstreams` (one upstream
// per namespace prefix; the other repositories stay ordinary pushed ones). Checked here, at start.
import { parseGoDuration } from '../../lib/go-duration.js';
import { isRepositoryName } from '../../lib/oci-names.js';

/** How long a tag lookup is trusted when `ttl` is not set. */
export const DEFAULT_TAG_TTL_MS = 5 * 60 * 1000;

/** Hosts of Docker Hub's registry: single-name repositories there live under library/. */
const DOCKER_HUB_HOSTS = ['registry-1.docker.io', 'index.docker.io', 'docker.io', 'registry.hub.docker.com'];

export interface UpstreamConfig {
  /** The namespace prefix whose repositories this upstream holds; '' for `remoteurl` (every repository). */
  prefix: string;
  /** Origin of the upstream registry (scheme, host, port), no path. */
  url: string;
  username?: string;
  password?: string;
  /** How long a tag's lookup at the upstream is trusted, in milliseconds (0: ask every time). */
  ttlMs: number;
  /** Whether single-name repositories get `library/` (Docker Hub's official images). */
  library: boolean;
}

export interface ProxyConfig {
  /** Prefixed upstreams, longest prefix first; the `remoteurl` upstream (prefix '') last. */
  upstreams: UpstreamConfig[];
}

type Tree = Record<string, unknown>;

export class ProxyConfigError extends Error {
  constructor(message: string) { super(message); this.name = 'ConfigError'; }
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
}

/** A ttl as Go's duration ("10m", "168h", "0") or a number of seconds. */
export function parseTtl(value: unknown, where: string): number {
  if (value === undefined || value === null || value === '') return DEFAULT_TAG_TTL_MS;
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new ProxyConfigError(`${where}: ttl must not be negative`);
    return value * 1000;
  }
  let ns: number;
  try { ns = parseGoDuration(String(value)); } catch (err) {
    throw new ProxyConfigError(`${where}: ttl ${JSON.stringify(value)}: ${(err as Error).message}`);
  }
  if (ns < 0) throw new ProxyConfigError(`${where}: ttl must not be negative`);
  return Math.round(ns / 1e6);
}

function upstreamUrl(value: unknown, where: string): string {
  const raw = text(value);
  if (!raw) throw new ProxyConfigError(`${where} needs the upstream's URL`);
  let url: URL;
  try { url = new URL(raw); } catch {
    throw new ProxyConfigError(`${where}: ${JSON.stringify(raw)} is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ProxyConfigError(`${where}: ${raw} must be http or https`);
  // As distribution: the upstream is the root of a registry, not a path under it.
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) {
    throw new ProxyConfigError(`${where}: ${raw} must be the root of a registry (no path, query or credentials)`);
  }
  return url.origin;
}

/** Whether `url` is Docker Hub's registry, whose official images live under library/. */
export function isDockerHub(url: string): boolean {
  return DOCKER_HUB_HOSTS.includes(new URL(url).hostname);
}

function upstream(entry: Tree, prefix: string, urlKey: string, where: string): UpstreamConfig {
  const url = upstreamUrl(entry[urlKey], `${where}.${urlKey}`);
  const username = text(entry.username);
  const password = text(entry.password);
  if ((username === undefined) !== (password === undefined)) throw new ProxyConfigError(`${where} needs both username and password, or neither`);
  if (entry.library !== undefined && typeof entry.library !== 'boolean') throw new ProxyConfigError(`${where}.library must be true or false`);
  const library = typeof entry.library === 'boolean' ? entry.library : isDockerHub(url) || prefix === 'docker.io';
  return { prefix, url, username, password, ttlMs: parseTtl(entry.ttl, where), library };
}

const UPSTREAM_KEYS = ['prefix', 'url', 'username', 'password', 'ttl', 'library'];

/** The `proxy` section, or undefined when the registry is no cache. Throws ProxyConfigError for anything it cannot honour. */
export function parseProxyConfig(section: unknown): ProxyConfig | undefined {
  if (section === undefined || section === null || section === '') return undefined;
  if (typeof section !== 'object' || Array.isArray(section)) throw new ProxyConfigError('proxy must be a section');
  const proxy = section as Tree;
  if (proxy.exec !== undefined) throw new ProxyConfigError('proxy.exec (a credential helper) is not supported: set proxy.username and proxy.password');
  const upstreams: UpstreamConfig[] = [];
  if (proxy.upstreams !== undefined && proxy.upstreams !== null) {
    if (!Array.isArray(proxy.upstreams)) throw new ProxyConfigError('proxy.upstreams must be a list of {prefix, url, username, password, ttl}');
    proxy.upstreams.forEach((item, i) => {
      const where = `proxy.upstreams[${i}]`;
      if (typeof item !== 'object' || item === null || Array.isArray(item)) throw new ProxyConfigError(`${where} must be a mapping`);
      const entry = item as Tree;
      const unknown = Object.keys(entry).filter((k) => !UPSTREAM_KEYS.includes(k));
      if (unknown.length > 0) throw new ProxyConfigError(`${where}: unknown key ${unknown[0]} (${UPSTREAM_KEYS.join(', ')})`);
      const prefix = text(entry.prefix)?.replace(/\/+$/, '');
      if (!prefix || !isRepositoryName(prefix)) throw new ProxyConfigError(`${where}.prefix must be a repository namespace such as docker.io or ghcr.io`);
      if (upstreams.some((u) => u.prefix === prefix)) throw new ProxyConfigError(`${where}: prefix ${prefix} is configured twice`);
      upstreams.push(upstream(entry, prefix, 'url', where));
    });
  }
  upstreams.sort((a, b) => b.prefix.length - a.prefix.length);
  if (text(proxy.remoteurl)) {
    upstreams.push(upstream(proxy, '', 'remoteurl', 'proxy'));
  } else if (proxy.username !== undefined || proxy.password !== undefined || proxy.ttl !== undefined || proxy.library !== undefined) {
    throw new ProxyConfigError('proxy.username, password, ttl and library belong to proxy.remoteurl, which is not set (each of proxy.upstreams has its own)');
  }
  return upstreams.length > 0 ? { upstreams } : undefined;
}
