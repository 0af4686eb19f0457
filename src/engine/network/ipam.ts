import { readFile } from 'node:fs/promises';
import { ConflictError, InvalidArgumentError, UnavailableError } from '../../lib/errors.js';
import { contains, formatIp, formatSubnet, lastAddress, mask, overlaps, parseCidr, parseIp, size, type Subnet } from './cidr.js';

/** A pool that local networks are carved from: `base` split into subnets of prefix length `size`. */
export interface AddressPool {
  base: string;
  size: number;
}

/**
 * Berth's default pools: 172.28-31.x.x, then 172.24-27.x.x in /16s, then 192.168.128-255.x in /20s.
 * Docker takes 172.17.0.0/16 for docker0 and counts up from 172.18 for its networks, so Berth starts
 * at the other end of the same private range: a host may run dockerd beside berthd, and dockerd may
 * start after berthd (when its routes are not there yet to be seen). On top of that, the first subnet
 * that overlaps no host route and no other network is taken.
 */
export const DEFAULT_POOLS: AddressPool[] = [
  { base: '172.28.0.0/14', size: 16 },
  { base: '172.24.0.0/14', size: 16 },
  { base: '192.168.128.0/17', size: 20 },
];

/** The IPv4 routes of the host (from /proc/net/route), except default routes, with their device. */
export async function hostRoutes(): Promise<(Subnet & { dev: string })[]> {
  const text = await readFile('/proc/net/route', 'utf8').catch(() => '');
  const out: (Subnet & { dev: string })[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const dest = leHex(f[1]);
    const m = leHex(f[7]);
    const prefix = m === 0 ? 0 : 32 - countZeroBits(m);
    if (prefix === 0) continue;
    out.push({ base: (dest & mask(prefix)) >>> 0, prefix, dev: f[0] });
  }
  return out;
}

function leHex(text: string): number {
  const n = parseInt(text, 16) >>> 0;
  return (((n & 255) << 24) | (((n >>> 8) & 255) << 16) | (((n >>> 16) & 255) << 8) | (n >>> 24)) >>> 0;
}

function countZeroBits(m: number): number {
  let zeros = 0;
  while (zeros < 32 && ((m >>> zeros) & 1) === 0) zeros++;
  return zeros;
}

/** Picks the first subnet of the pools that overlaps none of `taken`. */
export function pickSubnet(pools: AddressPool[], taken: Subnet[]): Subnet {
  for (const pool of pools) {
    const base = parseCidr(pool.base);
    if (pool.size < base.prefix || pool.size > 30) throw new InvalidArgumentError(`invalid pool size ${pool.size} for ${pool.base}`);
    const step = size({ base: 0, prefix: pool.size });
    for (let n = base.base; n <= lastAddress(base); n += step) {
      const candidate = { base: n >>> 0, prefix: pool.size };
      if (!taken.some((t) => overlaps(t, candidate))) return candidate;
    }
  }
  throw new UnavailableError('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
}

/** The addresses of one network: gateway, and the ones its endpoints hold. */
export class AddressSpace {
  private readonly used = new Set<number>();
  readonly subnet: Subnet;
  readonly gateway: number;

  constructor(subnet: string, gateway: string) {
    const s = parseCidr(subnet);
    this.subnet = { base: s.base, prefix: s.prefix };
    this.gateway = parseIp(gateway);
  }

  /** Marks an address as held (endpoints restored after a restart). */
  hold(ip: string): void {
    this.used.add(parseIp(ip));
  }

  release(ip: string): void {
    this.used.delete(parseIp(ip));
  }

  /** Takes `wanted` if given (refused when taken or outside the subnet), else the lowest free address. */
  allocate(wanted?: string): string {
    if (wanted) {
      const ip = parseIp(wanted);
      if (!contains(this.subnet, ip) || ip === this.subnet.base || ip === lastAddress(this.subnet)) {
        throw new InvalidArgumentError(`no configured subnet or ip-range contain the IP address ${wanted}`);
      }
      if (ip === this.gateway || this.used.has(ip)) throw new ConflictError(`Address already in use`);
      this.used.add(ip);
      return wanted;
    }
    for (let ip = this.subnet.base + 1; ip < lastAddress(this.subnet); ip++) {
      if (ip !== this.gateway && !this.used.has(ip)) {
        this.used.add(ip);
        return formatIp(ip);
      }
    }
    throw new UnavailableError(`no available IPv4 addresses on this network's address pools: ${formatSubnet(this.subnet)}`);
  }
}
