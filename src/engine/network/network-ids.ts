import { createHash, randomBytes } from 'node:crypto';

/** A new 64-hex-digit id (networks, endpoints), as Docker makes them. */
export function newId(): string {
  return randomBytes(32).toString('hex');
}

/** A stable id derived from `text` (sandbox and host-mode endpoint ids shown by inspect). */
export function hashId(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The default bridge: `berth0` for the default exec root; any other daemon (tests, a second daemon on
 * the host) gets `berth-<hash>` so two daemons never share one bridge.
 */
export function defaultBridgeName(execRoot: string): string {
  if (execRoot === '/var/run/berth') return 'berth0';
  return `berth-${hashId(execRoot).slice(0, 8)}`;
}

/** Our iptables chains' prefix: `BERTH` for the default exec root, `BERTH-<hash>` for any other daemon. */
export function chainTag(execRoot: string): string {
  if (execRoot === '/var/run/berth') return 'BERTH';
  return `BERTH-${hashId(execRoot).slice(0, 8)}`;
}
