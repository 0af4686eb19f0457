import { InvalidArgumentError } from '../../lib/errors.js';

/** IPv4 addresses as unsigned 32-bit numbers, and subnets as base + prefix length. */
export interface Subnet {
  /** Network address (host bits zero). */
  base: number;
  prefix: number;
}

export function parseIp(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new InvalidArgumentError(`invalid IP address: ${text}`);
  }
  return parts.reduce((n, p) => n * 256 + Number(p), 0) >>> 0;
}

export function isIp(text: string): boolean {
  try {
    parseIp(text);
    return true;
  } catch {
    return false;
  }
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses `A.B.C.D/N` into the address as written (`ip`) and its subnet (`base`, host bits cleared). */
export function parseCidr(text: string): Subnet & { ip: number } {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (!m || Number(m[2]) > 32) throw new InvalidArgumentError(`invalid CIDR address: ${text}`);
  if (!isIp(m[1])) throw new InvalidArgumentError(`invalid CIDR address: ${text}`);
  const ip = parseIp(m[1]);
  const prefix = Number(m[2]);
  return { ip, base: (ip & mask(prefix)) >>> 0, prefix };
}

export function formatSubnet(s: Subnet): string {
  return `${formatIp(s.base)}/${s.prefix}`;
}

export function contains(s: Subnet, ip: number): boolean {
  return ((ip & mask(s.prefix)) >>> 0) === s.base;
}

export function overlaps(a: Subnet, b: Subnet): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return ((a.base & mask(p)) >>> 0) === ((b.base & mask(p)) >>> 0);
}

export function size(s: Subnet): number {
  return 2 ** (32 - s.prefix);
}

/** The broadcast address of a subnet. */
export function lastAddress(s: Subnet): number {
  return (s.base + size(s) - 1) >>> 0;
}

/** Docker's MAC for an IPv4 address: 02:42 followed by the four address bytes. */
export function macForIp(ip: number): string {
  const bytes = [0x02, 0x42, ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255];
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':');
}
