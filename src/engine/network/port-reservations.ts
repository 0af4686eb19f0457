import { createServer, type Server } from 'node:net';
import { createSocket, type Socket } from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { SystemError } from '../../lib/errors.js';
import { UserlandProxy } from './userland-proxy.js';

/**
 * Host ports held for published container ports. Holding them makes the port busy for other programs
 * (and refuses a port another program already uses, with Docker's message), exactly as dockerd does.
 * Traffic from other hosts is DNATed by the kernel before it reaches the holder. A TCP port given a
 * `forward` target is held by its userland proxy, which answers the host's own loopback connections;
 * other ports are held by a socket of berthd's that never sees traffic.
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

type Holder = Server | Socket | UserlandProxy | null;

function letGo(h: Holder): void {
  if (h instanceof UserlandProxy) h.stop();
  else h?.close();
}

export class PortReservations {
  private readonly held = new Map<string, Holder>();
  private range: [number, number] | undefined;

  isHeld(k: PortKey): boolean {
    const ip = k.hostIp || '0.0.0.0';
    for (const key of this.held.keys()) {
      const [proto, rest] = key.split('/');
      const [hip, hport] = [rest.slice(0, rest.lastIndexOf(':')), Number(rest.slice(rest.lastIndexOf(':') + 1))];
      if (proto === k.proto && hport === k.hostPort && (hip === ip || hip === '0.0.0.0' || ip === '0.0.0.0')) return true;
    }
    return false;
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
      } catch {
        continue;
      }
    }
    throw new SystemError(`no free host port in ${low}-${high}`);
  }

  release(k: PortKey): void {
    const key = keyOf(k);
    const s = this.held.get(key);
    this.held.delete(key);
    letGo(s ?? null);
  }

  releaseAll(): void {
    for (const s of this.held.values()) letGo(s);
    this.held.clear();
  }

  private async bind(k: PortKey, forward?: ForwardTarget): Promise<void> {
    const ip = k.hostIp || '0.0.0.0';
    const key = keyOf(k);
    if (k.proto === 'sctp') {
      this.held.set(key, null);
      return;
    }
    try {
      if (k.proto === 'tcp') {
        const server = createServer((conn) => conn.destroy());
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: ip, port: k.hostPort, exclusive: true }, () => resolve());
        });
        server.on('error', () => {});
        if (forward) {
          // Bound and free: berthd's socket told us so with Docker's words. Now the proxy takes it.
          await new Promise((resolve) => server.close(resolve));
          const proxy = await UserlandProxy.start({ hostIp: ip, hostPort: k.hostPort, containerIp: forward.ip, containerPort: forward.port });
          this.held.set(key, proxy);
        } else {
          this.held.set(key, server);
        }
      } else {
        const sock = createSocket({ type: 'udp4' });
        await new Promise<void>((resolve, reject) => {
          sock.once('error', reject);
          sock.bind({ address: ip, port: k.hostPort, exclusive: true }, () => resolve());
        });
        sock.on('error', () => {});
        this.held.set(key, sock);
      }
    } catch (err) {
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
