/**
 * Where the daemon is: the context in use (contexts.ts: --context, BERTH_CONTEXT/DOCKER_CONTEXT,
 * config.json's currentContext), or for the "default" context `-H`/`--host`, then BERTH_HOST, then
 * DOCKER_HOST, then the default socket.
 * TLS flags follow docker's: --tls (encrypt, no verification of the server without a CA),
 * --tlsverify (verify the server against --tlscacert), client certificate with --tlscert/--tlskey;
 * DOCKER_TLS_VERIFY and DOCKER_CERT_PATH as in docker.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError } from '../base/errors.js';
import { ContextStore, DEFAULT_CONTEXT, currentContextName } from './contexts.js';

export const DEFAULT_HOST = 'unix:///var/run/berth.sock';

export interface TlsOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  verify: boolean;
}

export interface DaemonTarget {
  /** The address as the user wrote it (normalised), for messages. */
  display: string;
  socketPath?: string;
  hostname?: string;
  port?: number;
  tls?: TlsOptions;
}

export interface HostFlags {
  host?: string[] | string;
  tls?: boolean;
  tlsverify?: boolean;
  tlscacert?: string;
  tlscert?: string;
  tlskey?: string;
  /** The global --context: a context of the store (contexts.ts) instead of -H and the TLS flags. */
  context?: string;
  /** The global --config directory, where the contexts are. */
  config?: string;
}

/** The address of the "default" context. */
export function pickHost(flags: HostFlags, env: NodeJS.ProcessEnv): string {
  const fromFlag = Array.isArray(flags.host) ? flags.host : flags.host ? [flags.host] : [];
  if (fromFlag.length > 1) throw new CliError('Please specify only one -H');
  return fromFlag[0] || env.BERTH_HOST || env.DOCKER_HOST || DEFAULT_HOST;
}

function readIfExists(path: string | undefined, required: boolean): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError(`could not read ${path}: ${(err as Error).message}`);
  }
}

function tlsOptions(flags: HostFlags, env: NodeJS.ProcessEnv): TlsOptions | undefined {
  const verify = Boolean(flags.tlsverify) || (env.DOCKER_TLS_VERIFY ?? '') !== '';
  if (!verify && !flags.tls) return undefined;
  const certDir = env.DOCKER_CERT_PATH || join(homedir(), '.docker');
  const explicit = Boolean(flags.tlscacert || flags.tlscert || flags.tlskey);
  const ca = readIfExists(flags.tlscacert ?? join(certDir, 'ca.pem'), Boolean(flags.tlscacert));
  const cert = readIfExists(flags.tlscert ?? join(certDir, 'cert.pem'), Boolean(flags.tlscert));
  const key = readIfExists(flags.tlskey ?? join(certDir, 'key.pem'), Boolean(flags.tlskey));
  if (verify && !ca && explicit) throw new CliError('--tlsverify needs a CA certificate (--tlscacert)');
  if (Boolean(cert) !== Boolean(key)) throw new CliError('--tlscert and --tlskey must be given together');
  return { ca, cert, key, verify };
}

/** Parses a host string (unix://PATH, tcp://HOST:PORT, http(s)://HOST:PORT) into a target. */
export function parseHost(raw: string, tls?: TlsOptions): DaemonTarget {
  const value = raw.trim();
  if (value.startsWith('unix://')) {
    const socketPath = value.slice('unix://'.length);
    if (!socketPath) throw new CliError(`invalid host: ${raw}`);
    return { display: value, socketPath };
  }
  let rest: string;
  let useTls = tls;
  if (value.startsWith('tcp://')) rest = value.slice(6);
  else if (value.startsWith('http://')) rest = value.slice(7);
  else if (value.startsWith('https://')) {
    rest = value.slice(8);
    useTls = tls ?? { verify: true };
  } else if (/^[a-z]+:\/\//.test(value)) {
    throw new CliError(`unsupported host protocol: ${raw} (use unix:// or tcp://)`);
  } else rest = value;
  rest = rest.replace(/\/+$/, '');
  const m = /^(\[[^\]]+\]|[^:/]*)(?::(\d+))?$/.exec(rest);
  if (!m) throw new CliError(`invalid host: ${raw}`);
  const hostname = (m[1] || '127.0.0.1').replace(/^\[|\]$/g, '');
  const port = m[2] ? Number(m[2]) : useTls ? 2376 : 2375;
  const display = `tcp://${m[1] || '127.0.0.1'}:${port}`;
  return { display, hostname, port, tls: useTls };
}

/**
 * A stored context's docker endpoint. Its TLS material and SkipTLSVerify decide TLS, as docker's do;
 * the TLS flags belong to the default context and are refused beside another one (docker drops them).
 */
function contextTarget(flags: HostFlags, name: string, env: NodeJS.ProcessEnv): DaemonTarget {
  const tlsFlag = (['tls', 'tlsverify', 'tlscacert', 'tlscert', 'tlskey'] as const).find((f) => flags[f]);
  if (tlsFlag) throw new CliError(`--${tlsFlag} applies to the default context only; context "${name}" has its own TLS settings`);
  const store = ContextStore.forFlags(flags, env);
  let endpoint;
  try {
    endpoint = store.get(name).Endpoints.docker;
  } catch (err) {
    if (err instanceof CliError) throw new CliError(`Failed to initialize: unable to resolve docker endpoint: ${err.message}`);
    throw err;
  }
  const material = store.tls(name);
  const skip = Boolean(endpoint?.SkipTLSVerify);
  return parseHost(endpoint?.Host || DEFAULT_HOST, material || skip ? { ...material, verify: !skip } : undefined);
}

export function resolveTarget(flags: HostFlags, env: NodeJS.ProcessEnv = process.env): DaemonTarget {
  const context = currentContextName(flags, env);
  if (context !== DEFAULT_CONTEXT) return contextTarget(flags, context, env);
  return parseHost(pickHost(flags, env), tlsOptions(flags, env));
}
