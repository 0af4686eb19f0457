import { join } from 'node:path';
import type { DaemonConfig } from '../base/config.js';
import type { Logger } from '../base/log.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import { parseHost } from './listeners.js';

/** Where berthd finds its CA, certificate and key when --tlsverify names none (`berth tls init` writes them). */
export const DEFAULT_TLS_DIR = '/etc/berth/tls';

/**
 * Fills the TLS paths --tls/--tlsverify did not name with the files in /etc/berth/tls, as dockerd
 * takes ~/.docker (or /etc/docker) for the ones it is not given.
 */
export function withTlsDefaults(config: DaemonConfig, dir = DEFAULT_TLS_DIR): DaemonConfig {
  if (!config.tls && !config.tlsVerify) return config;
  return {
    ...config,
    tlsCaCert: config.tlsCaCert ?? (config.tlsVerify ? join(dir, 'ca.pem') : undefined),
    tlsCert: config.tlsCert ?? join(dir, 'server-cert.pem'),
    tlsKey: config.tlsKey ?? join(dir, 'server-key.pem'),
  };
}

/** The TCP hosts that would let a client in without a verified certificate. */
function openTcpHosts(config: DaemonConfig): string[] {
  if (config.tlsVerify) return [];
  return config.hosts.filter((h) => parseHost(h).kind === 'tcp');
}

/**
 * dockerd's rule since 27: the API on TCP without --tlsverify is refused unless the operator says
 * --tls=false (or --tlsverify=false). Loopback is no exception: any web page the browser opens can
 * send requests to 127.0.0.1. Throws with both ways out; when accepted, warns loudly per host.
 */
export function checkTcpHosts(config: DaemonConfig, log: Pick<Logger, 'warn'>): void {
  const open = openTcpHosts(config);
  if (open.length === 0) return;
  const list = open.join(', ');
  if (!config.plainTcp) {
    throw new InvalidArgumentError(
      `refusing to serve the API on ${list} without --tlsverify: whoever reaches it gets root on this machine, `
      + 'and binding to loopback does not help, because any web page open in a browser here can send requests to it. '
      + `Either use TLS with client certificates: run \`berth tls init\` (it writes a CA, a server and a client certificate to ${DEFAULT_TLS_DIR} `
      + 'and ~/.docker), then start berthd with --tlsverify and connect with `docker --tlsverify -H tcp://HOST:2376`; '
      + 'or accept the risk by name with --tls=false ("tls": false in daemon.json).'
      + (config.tls ? ' (--tls without --tlsverify encrypts the traffic but lets any client in.)' : ''),
    );
  }
  for (const host of open) {
    log.warn(`[${host}] API listening WITHOUT client authentication (${config.tls ? '--tls without --tlsverify' : '--tls=false'}): `
      + 'anyone who can reach this address has root access on this machine.');
    log.warn(`[${host}] Binding to an IP address, even on localhost, also gives access to scripts run in any web page a browser here opens. `
      + 'Use --tlsverify with client certificates (`berth tls init`) instead.');
  }
}
