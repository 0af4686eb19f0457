/**
 * Contexts, kept in docker's own store layout inside berth's config dir, so that a berth config dir
 * and a docker config dir are interchangeable:
 *   contexts/meta/<sha256 of name>/meta.json   {"Name","Metadata":{"Description"},"Endpoints":{"docker":{"Host","SkipTLSVerify"}}}
 *   contexts/tls/<sha256 of name>/docker/{ca,cert,key}.pem
 * and config.json's `currentContext` naming the current one. "default" is built in: the -H /
 * BERTH_HOST / DOCKER_HOST / default socket resolution (host.ts); it is never stored.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../lib/atomic-file.js';
import { CliError } from '../base/errors.js';
import { configDir, configPath, loadConfigFile, saveConfigFile } from './config-file.js';

export const DEFAULT_CONTEXT = 'default';
export const DEFAULT_CONTEXT_DESCRIPTION = 'Current DOCKER_HOST based configuration';
const NAME_PATTERN = '^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$';
export const TLS_FILES = ['ca.pem', 'cert.pem', 'key.pem'] as const;

export interface DockerEndpointMeta {
  Host?: string;
  SkipTLSVerify: boolean;
}

export interface ContextMetadata {
  Name: string;
  Metadata: { Description?: string; [key: string]: unknown };
  Endpoints: { docker?: DockerEndpointMeta; [key: string]: unknown };
}

/** A context's TLS material for its docker endpoint, as the files' bytes. */
export interface EndpointTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** The selection a command line makes: the global flags that choose a context. */
export interface ContextFlags {
  context?: string;
  host?: string[] | string;
  config?: string;
}

/** docker's store.ValidateContextName. */
export function validateContextName(name: string): void {
  if (!name) throw new CliError('context name cannot be empty');
  if (name === DEFAULT_CONTEXT) throw new CliError(`"${DEFAULT_CONTEXT}" is a reserved context name`);
  if (!new RegExp(NAME_PATTERN).test(name)) {
    throw new CliError(`context name ${JSON.stringify(name)} is invalid, names are validated against regexp "${NAME_PATTERN}"`);
  }
}

function readOrMissing(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`reading ${path}: ${(err as Error).message}`);
  }
}

export class ContextStore {
  readonly root: string;

  constructor(configDirectory: string) {
    this.root = join(configDirectory, 'contexts');
  }

  static forFlags(flags: ContextFlags, env: NodeJS.ProcessEnv = process.env): ContextStore {
    return new ContextStore(configDir(flags.config, env));
  }

  /** docker names a context's directories by the sha256 of its name. */
  static id(name: string): string {
    return createHash('sha256').update(name).digest('hex');
  }

  metaDir(name: string): string {
    return join(this.root, 'meta', ContextStore.id(name));
  }

  tlsDir(name: string): string {
    return join(this.root, 'tls', ContextStore.id(name));
  }

  private parse(path: string, data: Buffer): ContextMetadata {
    try {
      const meta = JSON.parse(data.toString('utf8')) as ContextMetadata;
      meta.Metadata ??= {};
      meta.Endpoints ??= {};
      return meta;
    } catch (err) {
      throw new CliError(`parsing ${path}: ${(err as Error).message}`);
    }
  }

  /** The stored context, or undefined when there is none of that name. */
  find(name: string): ContextMetadata | undefined {
    const path = join(this.metaDir(name), 'meta.json');
    const data = readOrMissing(path);
    return data && this.parse(path, data);
  }

  /** The stored context; a missing one fails with docker's words. */
  get(name: string): ContextMetadata {
    const meta = this.find(name);
    if (meta) return meta;
    const path = join(this.metaDir(name), 'meta.json');
    throw new CliError(`context ${JSON.stringify(name)}: context not found: open ${path}: no such file or directory`);
  }

  /** Every stored context (unsorted). */
  list(): ContextMetadata[] {
    let ids: string[];
    try {
      ids = readdirSync(join(this.root, 'meta'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new CliError(`reading ${join(this.root, 'meta')}: ${(err as Error).message}`);
    }
    const out: ContextMetadata[] = [];
    for (const id of ids) {
      const path = join(this.root, 'meta', id, 'meta.json');
      const data = readOrMissing(path);
      if (data) out.push(this.parse(path, data));
    }
    return out;
  }

  /** The docker endpoint's TLS material; undefined when the context has none. */
  tls(name: string): EndpointTls | undefined {
    const dir = join(this.tlsDir(name), 'docker');
    const [ca, cert, key] = TLS_FILES.map((f) => readOrMissing(join(dir, f)));
    return ca || cert || key ? { ca, cert, key } : undefined;
  }

  /** The names of the TLS files the docker endpoint has, as `context inspect` lists them. */
  tlsFileNames(name: string): string[] {
    const tls = this.tls(name);
    return tls ? TLS_FILES.filter((_, i) => [tls.ca, tls.cert, tls.key][i]) : [];
  }

  async save(meta: ContextMetadata): Promise<void> {
    await writeFileAtomic(join(this.metaDir(meta.Name), 'meta.json'), JSON.stringify(meta), { mode: 0o644, dirMode: 0o755 });
  }

  /** Replaces the docker endpoint's TLS material (none: removes it). */
  async resetTls(name: string, tls: EndpointTls | undefined): Promise<void> {
    await rm(this.tlsDir(name), { recursive: true, force: true });
    if (!tls) return;
    const values = [tls.ca, tls.cert, tls.key];
    for (const [i, file] of TLS_FILES.entries()) {
      const data = values[i];
      if (data) await writeFileAtomic(join(this.tlsDir(name), 'docker', file), data, { mode: 0o600, dirMode: 0o700 });
    }
  }

  async remove(name: string): Promise<void> {
    await rm(this.metaDir(name), { recursive: true, force: true });
    await rm(this.tlsDir(name), { recursive: true, force: true });
  }
}

/** config.json's currentContext; '' when unset. */
export function configuredContext(flags: ContextFlags, env: NodeJS.ProcessEnv = process.env): string {
  return loadConfigFile(configPath(flags.config, env)).currentContext ?? '';
}

/** Sets config.json's currentContext; "default" removes the key, as docker does. */
export function setConfiguredContext(flags: ContextFlags, name: string, env: NodeJS.ProcessEnv = process.env): void {
  const path = configPath(flags.config, env);
  const config = loadConfigFile(path);
  const value = name === DEFAULT_CONTEXT ? '' : name;
  if ((config.currentContext ?? '') === value) return;
  if (value) config.currentContext = value;
  else delete config.currentContext;
  saveConfigFile(path, config);
}

function hostsOf(flags: ContextFlags): string[] {
  return Array.isArray(flags.host) ? flags.host : flags.host ? [flags.host] : [];
}

/** The environment variable that names the daemon, if one does (BERTH_HOST before DOCKER_HOST). */
export function hostVariable(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.BERTH_HOST) return 'BERTH_HOST';
  if (env.DOCKER_HOST) return 'DOCKER_HOST';
  return undefined;
}

/**
 * The context in use, in docker 28's order: --context; else "default" when -H is given or
 * BERTH_HOST/DOCKER_HOST is set; else BERTH_CONTEXT / DOCKER_CONTEXT; else config.json's
 * currentContext; else "default". The name is not checked here: using a missing one fails later.
 */
export function currentContextName(flags: ContextFlags, env: NodeJS.ProcessEnv = process.env): string {
  const hosts = hostsOf(flags);
  if (flags.context && hosts.length > 0) throw new CliError('conflicting options: cannot specify both --host and --context');
  if (flags.context) return flags.context;
  if (hosts.length > 0 || hostVariable(env)) return DEFAULT_CONTEXT;
  const fromEnv = env.BERTH_CONTEXT || env.DOCKER_CONTEXT;
  if (fromEnv) return fromEnv;
  return configuredContext(flags, env) || DEFAULT_CONTEXT;
}
