import type { DaemonConfig } from '../base/config.js';
import type { Logger } from '../base/log.js';
import { parseAuthorization } from '../base/access-roles.js';
import { InvalidArgumentError } from '../../lib/errors.js';
import { parseHost } from './listeners.js';
import { peerCredentialsAddon } from './peer-credentials.js';

/**
 * Checks at start what roles need: a valid `authorization` section, and on a unix socket the
 * peer-credentials addon (without it every unix client would have no identity, hence no role). With
 * no roles a missing addon only costs the audit log its uid/gid/pid: a warning.
 */
export function checkAuthorization(config: DaemonConfig, log: Pick<Logger, 'warn'>): void {
  const rules = parseAuthorization(config.authorization);
  if (!config.hosts.some((h) => parseHost(h).kind === 'unix')) return;
  const addon = peerCredentialsAddon();
  if (!(addon instanceof Error)) return;
  if (rules) throw new InvalidArgumentError(`"authorization" needs the uid and gid of unix-socket clients: ${addon.message}`);
  log.warn(`${addon.message}; the audit log will not name unix-socket clients`);
}
