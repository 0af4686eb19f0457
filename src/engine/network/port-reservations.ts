import { createServer, type Server } from 'node:net';
import { createSocket, type Socket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { SystemError, UnavailableError } from '../../lib/errors.js';
import { bestEffort, type WarningSink } from '../../lib/best-effort.js';
import type { ProxySpec, UserlandProxy } from './userland-proxy.js';

/**
 * Host ports held for published container ports. Holding them makes the port busy for other programs
 * (and refuses a port another program already uses, with Docker's message), exactly as dockerd does.
 * Traffic from other hosts is DNATed by the kernel before it reaches the holder. A TCP or UDP port
 * given a `forward` target is held by the userland proxy (one process for all of them), which answers
 * the host's own loopback; other ports are held by a socket of berthd's that never sees traffic.
 */
export interface PortKey {
  proto: 'tcp' | 'udp' | 'sctp';
  hostIp: string;
  hostPort: number;
}

function keyOf(k: PortKey): string {
  return `${k.proto}/${k.hostIp || '0.0.0.0'}:${k.hostPort}`;
}

/** Where a userland proxy sends the connections it accepts. */
export interface ForwardTarget {
  ip: string;
  port: number;
}

/** A port held by the userland proxy: what to publish again if the proxy has to be restarted. */
interface Proxied {
  proxied: ProxySpec;
}

type Holder = Server | Socket | Proxied | null;

export class PortReservations {
  private readonly held = new Map<string, Holder>();
  /** The addresses each `proto/port` is held on: isHeld in constant time for a range of 1,000 ports. */
  private readonly addresses = new Map<string, Set<string>>();
  private range: [number, number] | undefined;

  /** Without `proxy`, every port is held by a socket of berthd's (`--userland-proxy=false`). */
  constructor(private readonly log: WarningSink, private readonly proxy?: UserlandProxy) {
    if (proxy) proxy.onRestart = () => this.republish();
  }

  isHeld(k: PortKey): boolean {
    const ip = k.hostIp || '0.0.0.0';
    const ips = this.addresses.get(`${k.proto}/${k.hostPort}`);
    return !!ips && (ips.has(ip) || ips.has('0.0.0.0') || (ip === '0.0.0.0' && ips.size > 0));
  }

  /** Holds a port; `hostPort` 0 picks a free one from the ephemeral range. Returns the port held. */
  async reserve(k: PortKey, forward?: ForwardTarget): Promise<number> {
    if (k.hostPort !== 0) {
      if (this.isHeld(k)) throw new SystemError(`Bind for ${k.hostIp || '0.0.0.0'}:${k.hostPort} failed: port is already allocated`);
      await this.bind(k, forward);
      return k.hostPort;
    }
    const [low, high] = await this.ephemeralRange();
    const span = high - low + 1;
    const start = low + Math.floor(Math.random() * span);
    for (let i = 0; i < span; i++) {
      const port = low + ((start - low + i) % span);
      const candidate = { ...k, hostPort: port };
      if (this.isHeld(candidate)) continue;
      try {
        await this.bind(candidate, forward);
        return port;
      } catch (err) {
        if (err instanceof UnavailableError) throw err;
        continue;
      }
    }
    throw new SystemError(`no free host port in ${low}-${high}`);
  }

  release(k: PortKey): void {
    const h = this.held.get(keyOf(k));
    this.unhold(k);
    this.letGo(h ?? null);
  }

  releaseAll(): void {
    for (const h of this.held.values()) if (!isProxied(h)) h?.close();
    this.held.clear();
    this.addresses.clear();
    this.proxy?.close();
  }

  private letGo(h: Holder): void {
    if (!isProxied(h)) h?.close();
    else void bestEffort(this.log, `cannot unpublish port ${h.proxied.hostPort}/${h.proxied.proto}`, () => this.proxy!.remove(h.proxied));
  }

  /** After the proxy died under us: every port it held, published again. */
  private async republish(): Promise<void> {
    for (const h of this.held.values()) {
      if (isProxied(h)) await bestEffort(this.log, `cannot publish port ${h.proxied.hostPort}/${h.proxied.proto} again`, () => this.proxy!.add(h.proxied));
    }
  }

  private unhold(k: PortKey): void {
    this.held.delete(keyOf(k));
    this.addresses.get(`${k.proto}/${k.hostPort}`)?.delete(k.hostIp || '0.0.0.0');
  }

  private hold(k: PortKey, h: Holder): void {
    this.held.set(keyOf(k), h);
    const ports = `${k.proto}/${k.hostPort}`;
    if (!this.addresses.has(ports)) this.addresses.set(ports, new Set());
    this.addresses.get(ports)!.add(k.hostIp || '0.0.0.0');
  }

  private async bind(k: PortKey, forward?: ForwardTarget): Promise<void> {
    const ip = k.hostIp || '0.0.0.0';
    // Taken at once, so that reserves running side by side (a range's ports) never bind a port twice.
    this.hold(k, null);
    if (k.proto === 'sctp') return;
    try {
      if (forward && this.proxy) {
        const proxied: ProxySpec = { proto: k.proto, hostIp: ip, hostPort: k.hostPort, containerIp: forward.ip, containerPort: forward.port };
        await this.proxy.add(proxied);
        this.hold(k, { proxied });
      } else if (k.proto === 'tcp') {
        const server = createServer((conn) => conn.destroy());
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: ip, port: k.hostPort, exclusive: true }, () => resolve());
        });
        server.on('error', () => {});
        this.hold(k, server);
      } else {
        const sock = createSocket({ type: 'udp4' });
        await new Promise<void>((resolve, reject) => {
          sock.once('error', reject);
          sock.bind({ address: ip, port: k.hostPort, exclusive: true }, () => resolve());
        });
        sock.on('error', () => {});
        this.hold(k, sock);
      }
    } catch (err) {
      this.unhold(k);
      if (err instanceof UnavailableError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      const reason = code === 'EADDRINUSE' ? 'bind: address already in use'
        : code === 'EADDRNOTAVAIL' ? 'bind: cannot assign requested address' : String((err as Error).message);
      throw new SystemError(`Error starting userland proxy: listen ${k.proto}4 ${ip}:${k.hostPort}: ${reason}`);
    }
  }

  private async ephemeralRange(): Promise<[number, number]> {
    if (!this.range) {
      const text = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').catch(() => '32768 60999');
      const [a, b] = text.trim().split(/\s+/).map(Number);
      this.range = [a || 32768, b || 60999];
    }
    return this.range;
  }
}

function isProxied(h: Holder): h is Proxied {
  return h !== null && 'proxied' in h;
}
