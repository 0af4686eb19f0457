/**
 * berth's client configuration file: registry credentials saved by `berth login`, in docker's
 * config.json layout ({"auths": {"<registry>": {"auth": base64("user:password")}}}).
 * Location: the directory of the global `--config` flag, else $BERTH_CONFIG, else ~/.berth; the file
 * is config.json inside it. berth never reads or writes docker's own ~/.docker/config.json.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Cli } from './cli.js';
import { CliError } from '../base/errors.js';

export const DEFAULT_INDEX = 'https://index.docker.io/v1/';

interface ConfigFile {
  auths?: Record<string, { auth?: string; identitytoken?: string }>;
  [key: string]: unknown;
}

export interface AuthConfig {
  username?: string;
  password?: string;
  serveraddress?: string;
  identitytoken?: string;
}

export function configDir(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.BERTH_CONFIG || join(homedir(), '.berth');
}

export function configPath(flag?: string): string {
  return join(configDir(flag), 'config.json');
}

function load(path: string): ConfigFile {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ConfigFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`loading config file: ${path}: ${(err as Error).message}`);
  }
}

function save(path: string, config: ConfigFile): void {
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(config, null, '\t')}\n`, { mode: 0o600 });
  renameSync(tmp, path);
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
