import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import { chmod, unlink, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Socket } from 'node:net';
import type { DaemonConfig } from '../base/config.js';
import type { Logger } from '../base/log.js';
import { InvalidArgumentError, errorMessage, orIfMissing } from '../../lib/errors.js';
import { bestEffort } from '../../lib/best-effort.js';
import type { ApiServer } from './server.js';
import { setSocketGroup } from './socket-group.js';

export interface Listener {
  address: string;
  server: Server;
  close(): Promise<void>;
}

/** Parses `-H` values as dockerd does: unix://PATH, tcp://HOST:PORT, fd:// is not supported. */
export function parseHost(host: string): { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number } {
  if (host.startsWith('unix://')) {
    const path = host.slice('unix://'.length) || '/var/run/berth.sock';
    return { kind: 'unix', path };
  }
  if (host.startsWith('tcp://')) {
    const url = new URL(host.replace(/^tcp:/, 'http:'));
    const port = Number(url.port || 2375);
    return { kind: 'tcp', host: url.hostname.replace(/^\[|\]$/g, '') || '0.0.0.0', port };
  }
  if (host.startsWith('/')) return { kind: 'unix', path: host };
  throw new InvalidArgumentError(`invalid host: ${host} (use unix://PATH or tcp://ADDR:PORT)`);
}

/** Opens one listener per -H, all serving the same API. */
export async function openListeners(config: DaemonConfig, api: ApiServer, log: Logger): Promise<Listener[]> {
  const listeners: Listener[] = [];
  for (const host of config.hosts) {
    const parsed = parseHost(host);
    const server = parsed.kind === 'tcp' && (config.tls || config.tlsVerify)
      ? createHttpsServer(tlsOptions(config), api.handleRequest)
      : createHttpServer(api.handleRequest);
    server.on('upgrade', api.handleUpgrade);
    trackConnections(server);
    server.keepAliveTimeout = 0;
    server.requestTimeout = 0;
    if (parsed.kind === 'unix') {
      await mkdir(dirname(parsed.path), { recursive: true });
      await orIfMissing(unlink(parsed.path), undefined); // a socket left by a daemon that was killed
      await listen(server, parsed.path);
      await chmod(parsed.path, 0o660);
      await setSocketGroup(parsed.path, config.group, log);
      listeners.push({ address: host, server, close: async () => {
        await close(server);
        await bestEffort(log, `removing the socket ${parsed.path}`, orIfMissing(unlink(parsed.path), undefined));
      } });
    } else {
      await listen(server, parsed.port, parsed.host);
      listeners.push({ address: host, server, close: () => close(server) });
    }
    log.info(`API listen on ${parsed.kind === 'unix' ? parsed.path : `${parsed.host}:${parsed.port}`}`);
  }
  return listeners;
}

function tlsOptions(config: DaemonConfig) {
  if (!config.tlsCert || !config.tlsKey) throw new InvalidArgumentError('--tls needs --tlscert and --tlskey');
  return {
    cert: readTlsFile(config.tlsCert),
    key: readTlsFile(config.tlsKey),
    ca: config.tlsCaCert ? readTlsFile(config.tlsCaCert) : undefined,
    requestCert: config.tlsVerify,
    rejectUnauthorized: config.tlsVerify,
    // as node:http's server does for TCP: a client that half-closes a hijacked stream (the docker CLI
    // sends close_notify when its input ends) must still get the rest of the output
    allowHalfOpen: true,
  };
}

function readTlsFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new InvalidArgumentError(`could not read ${path}: ${errorMessage(err)} (\`berth tls init\` makes the CA, certificate and key)`);
  }
}

function listen(server: Server, pathOrPort: string | number, host?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const done = () => { server.off('error', reject); resolve(); };
    if (typeof pathOrPort === 'string') server.listen(pathOrPort, done);
    else server.listen(pathOrPort, host, done);
  });
}

const connections = new WeakMap<Server, Set<Socket>>();

/** Remembers every connection, hijacked ones included: node's server forgets those after the upgrade. */
function trackConnections(server: Server): void {
  const open = new Set<Socket>();
  connections.set(server, open);
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
}

/** Stops listening and ends every connection, attach and log streams too, so shutdown never waits on a client. */
function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
    for (const socket of connections.get(server) ?? []) socket.destroy();
  });
}
