import { bestEffort } from '../../lib/best-effort.js';
import type { Logger } from '../base/log.js';
import { DnsServer, type NameLookup } from './dns-server.js';
import type { NetworkRecord } from './network-store.js';

/** The embedded DNS servers: one on the gateway of each user-defined network (none on the default bridge). */
export class DnsServers {
  private readonly servers = new Map<string, DnsServer>();

  constructor(private readonly lookup: NameLookup, private readonly log: Logger) {}

  /** Starts the server of a network that is up; one that cannot listen is logged, and the network works without it. */
  async start(n: NetworkRecord): Promise<void> {
    if (n.isDefault || this.servers.has(n.id)) return;
    const server = new DnsServer(n.gateway!, this.lookup, this.log);
    const listening = await bestEffort(this.log, `embedded DNS for network ${n.name} cannot listen on ${n.gateway}:53`, async () => {
      await server.start();
      return true;
    });
    if (listening) this.servers.set(n.id, server);
  }

  /** Whether the network's containers get the embedded DNS as their nameserver. */
  serves(networkId: string): boolean {
    return this.servers.has(networkId);
  }

  stop(networkId: string): void {
    this.servers.get(networkId)?.close();
    this.servers.delete(networkId);
  }

  stopAll(): void {
    for (const d of this.servers.values()) d.close();
    this.servers.clear();
  }
}
