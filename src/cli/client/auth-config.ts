/**
 * berth's client configuration file: registry credentials saved by `berth login`, in docker's
 * config.json layout ({"auths": {"<registry>": {"auth": base64("user:password")}}}).
 * Where the file is and how it is read and written: config-file.ts.
 */
import type { Cli } from './cli.js';
import { configPath, loadConfigFile as load, saveConfigFile as save } from './config-file.js';

export { configDir, configPath } from './config-file.js';

export const DEFAULT_INDEX = 'https://index.docker.io/v1/';

export interface AuthConfig {
  username?: string;
  password?: string;
  serveraddress?: string;
  identitytoken?: string;
}

/** The registry a repository name lives on, as docker keys credentials ("docker.io" -> the index URL). */
export function registryOf(repository: string): string {
  const slash = repository.indexOf('/');
  const first = slash < 0 ? '' : repository.slice(0, slash);
  if (first && (first.includes('.') || first.includes(':') || first === 'localhost')) return first;
  return DEFAULT_INDEX;
}

/** docker's key normalisation for a server given to login/logout. */
export function normalizeServer(server: string | undefined): string {
  if (!server) return DEFAULT_INDEX;
  const host = server.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
  if (host === 'docker.io' || host === 'index.docker.io' || host === 'registry-1.docker.io') return DEFAULT_INDEX;
  return host;
}

export function readAuth(flag: string | undefined, server: string): AuthConfig | undefined {
  const entry = load(configPath(flag)).auths?.[server];
  if (!entry) return undefined;
  const decoded = entry.auth ? Buffer.from(entry.auth, 'base64').toString('utf8') : '';
  const colon = decoded.indexOf(':');
  return {
    username: colon >= 0 ? decoded.slice(0, colon) : '',
    password: colon >= 0 ? decoded.slice(colon + 1) : '',
    serveraddress: server,
    ...(entry.identitytoken ? { identitytoken: entry.identitytoken } : {}),
  };
}

export function storeAuth(flag: string | undefined, server: string, auth: AuthConfig): string {
  const path = configPath(flag);
  const config = load(path);
  config.auths ??= {};
  config.auths[server] = {
    auth: Buffer.from(`${auth.username ?? ''}:${auth.password ?? ''}`).toString('base64'),
    ...(auth.identitytoken ? { identitytoken: auth.identitytoken } : {}),
  };
  save(path, config);
  return path;
}

/** Removes a registry's credentials; false when there were none. */
export function removeAuth(flag: string | undefined, server: string): boolean {
  const path = configPath(flag);
  const config = load(path);
  if (!config.auths?.[server]) return false;
  delete config.auths[server];
  save(path, config);
  return true;
}

/**
 * The X-Registry-Auth header: the JSON credentials ("{}" when there are none) in Go's
 * base64.URLEncoding, which keeps the "=" padding (dockerd refuses the unpadded form).
 */
export function encodeAuth(auth: AuthConfig | undefined): string {
  return Buffer.from(JSON.stringify(auth ?? {})).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

export function registryAuthHeader(cli: Cli, repository: string): string {
  return encodeAuth(readAuth(cli.configFlag(), registryOf(repository)));
}
