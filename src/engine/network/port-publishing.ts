import { SystemError, errorMessage } from '../../lib/errors.js';
import { bestEffort, type WarningSink } from '../../lib/best-effort.js';
import { CoalescedJob } from '../../lib/coalesced-job.js';
import { SerialQueue } from '../../lib/serial-queue.js';
import type { Firewall, FirewallState } from './firewall.js';
import type { NetworkLookup } from './network-registry.js';
import type { ContainerNetworkRecord, NetworkRecord, PortBinding, PublishedPort } from './network-store.js';
import { parseHostBinding, parsePortKey } from './ports.js';
import type { ForwardTarget, PortKey } from './port-reservations.js';

/** What holds host ports (PortReservations, or a fake in tests). */
export interface PortHolder {
  /** Holds a port (0: any free one), through a userland proxy to `forward` if given; returns the port. */
  reserve(k: PortKey, forward?: ForwardTarget): Promise<number>;
  release(k: PortKey): void;
  releaseAll(): void;
}

export interface PublishingOptions {
  /** `--userland-proxy`: TCP and UDP ports are answered on the host's loopback by the proxy. */
  userlandProxy: boolean;
  /** Absent with `--iptables=false`. */
  firewall?: Pick<Firewall, 'install' | 'apply' | 'remove'>;
}

/**
 * Published ports: the host ports each running container holds (a userland proxy or a socket of
 * berthd's), and the firewall state they and the bridges need, applied whole in one iptables-restore.
 * Containers start and stop side by side, so the firewall's changes are kept in order here: one
 * iptables-restore of our chains at a time (an older state never lands after a newer one), and the
 * `apply` calls made while one runs share the next, which renders the state as it is then.
 */
export class PortPublishing {
  /** install, apply and removeRules: one iptables-restore of our chains at a time, in call order. */
  private readonly firewallOrder = new SerialQueue();
  private readonly applying = new CoalescedJob(() => this.firewallOrder.run(() => this.options.firewall?.apply(this.state())));

  constructor(
    private readonly networks: Pick<NetworkLookup, 'list'>,
    private readonly containers: { values(): Iterable<ContainerNetworkRecord> },
    private readonly holder: PortHolder,
    private readonly options: PublishingOptions,
    private readonly log: WarningSink,
  ) {}

  /** Where the userland proxy of a published port forwards (TCP and UDP; SCTP on loopback goes through DNAT). */
  proxyTarget(proto: string, containerIp: string | undefined, containerPort: number): ForwardTarget | undefined {
    return this.options.userlandProxy && proto !== 'sctp' && containerIp ? { ip: containerIp, port: containerPort } : undefined;
  }

  /**
   * Holds the host ports a starting container publishes (to its address on `primary`, the first
   * network that is not internal; none without one) and records them in `c.ports`. A busy port
   * fails with Docker's message; the ports held so far stay in `c.ports` for the caller to release.
   */
  async publish(c: ContainerNetworkRecord, primary: NetworkRecord | undefined): Promise<void> {
    c.ports = [];
    if (!primary) return;
    const a = c.networks[primary.id];
    // Every binding reserved side by side (a range of 1,000 ports is 1,000 round trips to the proxy).
    const reserving: Promise<PublishedPort>[] = [];
    for (const [key, bindings] of wantedBindings(c)) {
      const { port, proto } = parsePortKey(key);
      for (const b of bindings) reserving.push(this.reserveOne(c, a, parseHostBinding(b), proto, port, primary.id));
    }
    const results = await Promise.allSettled(reserving);
    for (const r of results) if (r.status === 'fulfilled') c.ports.push(r.value);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** One binding: the first of its candidate host ports that can be held. */
  private async reserveOne(
    c: ContainerNetworkRecord, a: ContainerNetworkRecord['networks'][string], want: ReturnType<typeof parseHostBinding>,
    proto: PublishedPort['proto'], port: number, networkId: string,
  ): Promise<PublishedPort> {
    const { hostIp, ports } = want;
    let last: unknown;
    for (const candidate of ports) {
      try {
        const held = await this.holder.reserve({ proto, hostIp, hostPort: candidate }, this.proxyTarget(proto, a.ip, port));
        return { proto, containerPort: port, hostIp: hostIp || '0.0.0.0', hostPort: held, networkId };
      } catch (err) {
        last = err;
      }
    }
    throw new SystemError(`driver failed programming external connectivity on endpoint ${c.name} (${a.endpointId}): ${errorMessage(last)}`);
  }

  /** Holds again the ports of a container that survived a daemon restart (a port lost meanwhile is logged). */
  async hold(c: ContainerNetworkRecord): Promise<void> {
    for (const p of c.ports ?? []) {
      await bestEffort(this.log, `cannot hold host port ${p.hostPort} for ${c.name}`,
        () => this.holder.reserve({ proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort }, this.proxyTarget(p.proto, c.networks[p.networkId]?.ip, p.containerPort)));
    }
  }

  release(ports: PublishedPort[]): void {
    for (const p of ports) this.holder.release({ proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort });
  }

  releaseAll(): void {
    this.holder.releaseAll();
  }

  /** The firewall as the networks and published ports are now. */
  state(): FirewallState {
    return firewallState(this.networks.list(), this.containers.values(), (p, ip) => this.proxyTarget(p.proto, ip, p.containerPort) !== undefined);
  }

  /** At daemon start: our chains and the jumps to them, from the state. */
  async install(): Promise<void> {
    await this.firewallOrder.run(() => this.options.firewall?.install(this.state()));
  }

  /**
   * After any change of networks or published ports: our chains regenerated whole, from the state as
   * it is when the iptables-restore starts (after this call: the caller's change is in it).
   */
  async apply(): Promise<void> {
    await this.applying.run();
  }

  /** At daemon exit with nothing running: our chains and jumps go. */
  async removeRules(): Promise<void> {
    await this.firewallOrder.run(() => this.options.firewall?.remove());
  }
}

/** The bindings a container asks for: its port bindings, and with `-P` every exposed port not bound. */
export function wantedBindings(c: Pick<ContainerNetworkRecord, 'portBindings' | 'publishAllPorts' | 'exposedPorts'>): Map<string, PortBinding[]> {
  const wanted = new Map<string, PortBinding[]>(Object.entries(c.portBindings));
  if (c.publishAllPorts) for (const p of c.exposedPorts) if (!wanted.get(p)?.length) wanted.set(p, [{ HostIp: '', HostPort: '' }]);
  return wanted;
}

/**
 * The firewall a set of networks and containers needs: each bridge network, and each published port
 * of a container with an address on the port's network (`proxied` when a userland proxy answers it).
 */
export function firewallState(
  networks: NetworkRecord[], containers: Iterable<ContainerNetworkRecord>, proxied: (p: PublishedPort, containerIp: string) => boolean,
): FirewallState {
  const byId = new Map(networks.map((n) => [n.id, n]));
  const ports: FirewallState['ports'] = [];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      const n = byId.get(p.networkId);
      const ip = c.networks[p.networkId]?.ip;
      if (!n || !ip) continue;
      ports.push({
        bridge: n.bridge!, proto: p.proto, hostIp: p.hostIp, hostPort: p.hostPort, containerIp: ip, containerPort: p.containerPort,
        proxied: proxied(p, ip),
      });
    }
  }
  return {
    networks: networks.filter((n) => n.driver === 'bridge').map((n) => ({
      bridge: n.bridge!, subnet: n.subnet!, internal: n.internal,
      icc: n.options['com.docker.network.bridge.enable_icc'] !== 'false',
    })),
    ports,
  };
}
