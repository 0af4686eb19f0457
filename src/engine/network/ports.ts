import { InvalidArgumentError } from '../../lib/errors.js';
import type { PortBinding } from './network-store.js';

/** Container ports as Docker names them: `80/tcp`. */
export interface ContainerPort {
  port: number;
  proto: 'tcp' | 'udp' | 'sctp';
}

export function parsePortKey(key: string): ContainerPort {
  const [portText, protoText = 'tcp'] = key.split('/');
  const port = Number(portText);
  const proto = protoText.toLowerCase();
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new InvalidArgumentError(`invalid containerPort: ${portText}`);
  if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') throw new InvalidArgumentError(`invalid proto: ${protoText}`);
  return { port, proto };
}

export function portKey(p: ContainerPort): string {
  return `${p.port}/${p.proto}`;
}

/** A host side request: `hostPort` 0 for an ephemeral port; `range` for `8000-8010`. */
export interface HostBindingRequest {
  hostIp: string;
  ports: number[];
}

export function parseHostBinding(b: PortBinding): HostBindingRequest {
  const hostIp = b.HostIp ?? '';
  if (hostIp && !/^\d{1,3}(\.\d{1,3}){3}$/.test(hostIp)) {
    if (hostIp.includes(':')) throw new InvalidArgumentError(`IPv6 host addresses are not supported for published ports: ${hostIp}`);
    throw new InvalidArgumentError(`invalid IP address: ${hostIp}`);
  }
  const text = (b.HostPort ?? '').trim();
  if (text === '' || text === '0') return { hostIp, ports: [0] };
  const m = /^(\d+)(?:-(\d+))?$/.exec(text);
  if (!m) throw new InvalidArgumentError(`invalid hostPort: ${text}`);
  const lo = Number(m[1]);
  const hi = m[2] ? Number(m[2]) : lo;
  if (lo < 1 || hi > 65535 || hi < lo) throw new InvalidArgumentError(`invalid hostPort: ${text}`);
  const ports: number[] = [];
  for (let p = lo; p <= hi; p++) ports.push(p);
  return { hostIp, ports };
}

/** Validates HostConfig.PortBindings at create time, so a bad value refuses the container up front. */
export function validatePortBindings(bindings: Record<string, PortBinding[] | null>): void {
  for (const [key, list] of Object.entries(bindings)) {
    parsePortKey(key);
    for (const b of list ?? []) parseHostBinding(b);
  }
}
