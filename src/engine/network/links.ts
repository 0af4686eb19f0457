import { InvalidArgumentError } from '../../lib/errors.js';

/**
 * Legacy links (`--link name:alias`) on the default bridge: the alias goes into the linking
 * container's /etc/hosts and Docker's environment variables describe the linked container.
 */

export interface LinkSpec {
  /** The linked container's name as given (without a leading slash). */
  target: string;
  alias: string;
}

/** Parses `name:alias` or `name` (alias = name); the API also sends `/name:/parent/alias`. */
export function parseLink(text: string): LinkSpec {
  const [rawTarget, rawAlias] = text.split(':');
  const target = rawTarget.replace(/^\//, '');
  const alias = (rawAlias ?? rawTarget).split('/').pop() ?? '';
  if (!target || !alias) throw new InvalidArgumentError(`invalid link format: ${text}`);
  return { target, alias };
}

export interface LinkedContainer {
  ip: string;
  env: string[];
  /** Exposed ports like `3306/tcp`. */
  exposedPorts: string[];
}

/** Docker's link variables (moby daemon/links): ALIAS_PORT..., ALIAS_NAME, ALIAS_ENV_*. */
export function linkEnv(parentName: string, link: LinkSpec, child: LinkedContainer): string[] {
  const alias = link.alias.toUpperCase().replace(/-/g, '_');
  const env: string[] = [];
  const ports = child.exposedPorts.map((p) => {
    const [port, proto = 'tcp'] = p.split('/');
    return { port: Number(port), proto };
  }).sort((a, b) => a.port - b.port || a.proto.localeCompare(b.proto));
  if (ports.length) env.push(`${alias}_PORT=${ports[0].proto}://${child.ip}:${ports[0].port}`);
  for (const { port, proto } of ports) {
    const prefix = `${alias}_PORT_${port}_${proto.toUpperCase()}`;
    env.push(`${prefix}=${proto}://${child.ip}:${port}`, `${prefix}_ADDR=${child.ip}`, `${prefix}_PORT=${port}`, `${prefix}_PROTO=${proto}`);
  }
  env.push(`${alias}_NAME=/${parentName}/${link.alias}`);
  for (const kv of child.env) {
    const eq = kv.indexOf('=');
    if (eq <= 0) continue;
    const name = kv.slice(0, eq);
    if (name === 'HOME' || name === 'PATH') continue;
    env.push(`${alias}_ENV_${name}=${kv.slice(eq + 1)}`);
  }
  return env;
}
