import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SystemError } from '../../src/lib/errors.js';
import { PortPublishing, firewallState, wantedBindings, type PortHolder } from '../../src/engine/network/port-publishing.js';
import type { ForwardTarget, PortKey } from '../../src/engine/network/port-reservations.js';
import type { FirewallState } from '../../src/engine/network/firewall.js';
import { NetworkRegistry } from '../../src/engine/network/network-registry.js';
import { ContainerRegistry } from '../../src/engine/network/container-registry.js';
import { container, network } from './network-fixtures.js';

/** Holds ports in memory: what would be bound, and through which proxy. Port 0 gets 40000 and up. */
class FakeHolder implements PortHolder {
  held = new Map<string, ForwardTarget | undefined>();
  busy = new Set<number>();
  private next = 40000;

  async reserve(k: PortKey, forward?: ForwardTarget): Promise<number> {
    const port = k.hostPort || this.next++;
    if (this.busy.has(port)) throw new SystemError(`Bind for ${k.hostIp || '0.0.0.0'}:${port} failed: port is already allocated`);
    this.busy.add(port);
    this.held.set(`${k.proto}/${k.hostIp || '0.0.0.0'}:${port}`, forward);
    return port;
  }

  release(k: PortKey): void {
    this.busy.delete(k.hostPort);
    this.held.delete(`${k.proto}/${k.hostIp || '0.0.0.0'}:${k.hostPort}`);
  }

  releaseAll(): void {
    this.held.clear();
    this.busy.clear();
  }
}

const front = network({ id: 'front0', name: 'front', bridge: 'br-front', subnet: '10.7.0.0/24', gateway: '10.7.0.1' });
const quiet = network({ id: 'quiet0', name: 'quiet', bridge: 'br-quiet', subnet: '10.8.0.0/24', gateway: '10.8.0.1', internal: true,
  options: { 'com.docker.network.bridge.enable_icc': 'false' } });
const hostNet = network({ id: 'host00', name: 'host', driver: 'host', predefined: true });

function setup(userlandProxy = true) {
  const networks = new NetworkRegistry();
  for (const n of [front, quiet, hostNet]) networks.set(n);
  const containers = new ContainerRegistry();
  const holder = new FakeHolder();
  const applied: FirewallState[] = [];
  const firewall = { install: async () => {}, apply: async (s: FirewallState) => { applied.push(s); }, remove: async () => {} };
  const publishing = new PortPublishing(networks, containers, holder, { userlandProxy, firewall }, { warn: () => {} });
  return { containers, holder, applied, publishing };
}

function running(fields: Parameters<typeof container>[0]) {
  return container({ networks: { front0: { aliases: [], ip: '10.7.0.2', endpointId: 'e'.repeat(64) } }, ...fields });
}

describe('port publishing', () => {
  const bindingCases: { name: string; c: Parameters<typeof wantedBindings>[0]; wanted: [string, { HostIp?: string; HostPort?: string }[]][] }[] = [
    { name: 'nothing published', c: { portBindings: {}, publishAllPorts: false, exposedPorts: ['80/tcp'] }, wanted: [] },
    { name: '-p only', c: { portBindings: { '80/tcp': [{ HostPort: '8080' }] }, publishAllPorts: false, exposedPorts: ['80/tcp', '443/tcp'] },
      wanted: [['80/tcp', [{ HostPort: '8080' }]]] },
    { name: '-P adds every exposed port not bound', c: { portBindings: { '80/tcp': [{ HostPort: '8080' }], '53/udp': [] }, publishAllPorts: true, exposedPorts: ['80/tcp', '53/udp', '443/tcp'] },
      wanted: [['80/tcp', [{ HostPort: '8080' }]], ['53/udp', [{ HostIp: '', HostPort: '' }]], ['443/tcp', [{ HostIp: '', HostPort: '' }]]] },
  ];
  for (const t of bindingCases) {
    it(`wants the bindings of ${t.name}`, () => assert.deepEqual([...wantedBindings(t.c)], t.wanted));
  }

  it('holds each binding, TCP and UDP through the userland proxy to the container, SCTP without', async () => {
    const { holder, publishing } = setup();
    const c = running({ id: 'c1', name: 'web', portBindings: { '80/tcp': [{ HostPort: '8080' }, { HostIp: '127.0.0.1', HostPort: '' }], '53/udp': [{ HostPort: '5353' }], '132/sctp': [{ HostPort: '7132' }] } });
    await publishing.publish(c, front);
    assert.deepEqual(c.ports, [
      { proto: 'tcp', containerPort: 80, hostIp: '0.0.0.0', hostPort: 8080, networkId: 'front0' },
      { proto: 'tcp', containerPort: 80, hostIp: '127.0.0.1', hostPort: 40000, networkId: 'front0' },
      { proto: 'udp', containerPort: 53, hostIp: '0.0.0.0', hostPort: 5353, networkId: 'front0' },
      { proto: 'sctp', containerPort: 132, hostIp: '0.0.0.0', hostPort: 7132, networkId: 'front0' },
    ]);
    assert.deepEqual([...holder.held], [
      ['tcp/0.0.0.0:8080', { ip: '10.7.0.2', port: 80 }],
      ['tcp/127.0.0.1:40000', { ip: '10.7.0.2', port: 80 }],
      ['udp/0.0.0.0:5353', { ip: '10.7.0.2', port: 53 }],
      ['sctp/0.0.0.0:7132', undefined],
    ]);
    publishing.release(c.ports!);
    assert.equal(holder.held.size, 0);
  });

  it('holds no proxy with --userland-proxy=false, and nothing without a network to forward to', async () => {
    const { holder, publishing } = setup(false);
    const c = running({ id: 'c2', name: 'web', portBindings: { '80/tcp': [{ HostPort: '8081' }] } });
    await publishing.publish(c, front);
    assert.deepEqual([...holder.held], [['tcp/0.0.0.0:8081', undefined]]);
    const internalOnly = running({ id: 'c3', name: 'quiet', portBindings: { '80/tcp': [{ HostPort: '8082' }] } });
    await publishing.publish(internalOnly, undefined);
    assert.deepEqual(internalOnly.ports, []);
  });

  it('tries each port of a range, and fails with Docker\'s message when none is free', async () => {
    const { holder, publishing } = setup();
    holder.busy.add(9000);
    const c = running({ id: 'c4', name: 'web', portBindings: { '80/tcp': [{ HostPort: '9000-9001' }] } });
    await publishing.publish(c, front);
    assert.equal(c.ports![0].hostPort, 9001);
    const d = running({ id: 'c5', name: 'api', portBindings: { '80/tcp': [{ HostPort: '9001' }] } });
    await assert.rejects(publishing.publish(d, front), {
      message: `driver failed programming external connectivity on endpoint api (${'e'.repeat(64)}): Bind for 0.0.0.0:9001 failed: port is already allocated`,
    });
  });

  it('applies one firewall state: every bridge network, and the ports of containers with an address', async () => {
    const { containers, applied, publishing } = setup();
    const c = running({ id: 'c6', name: 'web', portBindings: { '80/tcp': [{ HostPort: '8080' }], '53/udp': [{ HostPort: '53' }] } });
    containers.set(c);
    await publishing.publish(c, front);
    containers.set(container({ id: 'c7', name: 'stopped', ports: [{ proto: 'tcp', containerPort: 80, hostIp: '0.0.0.0', hostPort: 1, networkId: 'front0' }] }));
    await publishing.apply();
    assert.deepEqual(applied, [{
      networks: [
        { bridge: 'br-front', subnet: '10.7.0.0/24', internal: false, icc: true },
        { bridge: 'br-quiet', subnet: '10.8.0.0/24', internal: true, icc: false },
      ],
      ports: [
        { bridge: 'br-front', proto: 'tcp', hostIp: '0.0.0.0', hostPort: 8080, containerIp: '10.7.0.2', containerPort: 80, proxied: true },
        { bridge: 'br-front', proto: 'udp', hostIp: '0.0.0.0', hostPort: 53, containerIp: '10.7.0.2', containerPort: 53, proxied: true },
      ],
    }]);
  });

  it('containers starting at once: one iptables-restore at a time, the ones asked for meanwhile shared, the last with every port', async () => {
    const networks = new NetworkRegistry();
    networks.set(front);
    const containers = new ContainerRegistry();
    const applied: number[][] = [];
    let inFlight = 0;
    let most = 0;
    const firewall = {
      install: async () => {}, remove: async () => {},
      apply: async (state: FirewallState) => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        applied.push(state.ports.map((p) => p.hostPort));
        inFlight--;
      },
    };
    const publishing = new PortPublishing(networks, containers, new FakeHolder(), { userlandProxy: false, firewall }, { warn: () => {} });
    await Promise.all([8001, 8002, 8003, 8004].map(async (port, i) => {
      const c = running({ id: `p${i}`, name: `web${i}`, portBindings: { '80/tcp': [{ HostPort: String(port) }] } });
      c.networks.front0!.ip = `10.7.0.${i + 2}`;
      containers.set(c);
      await publishing.publish(c, front);
      await publishing.apply();
    }));
    assert.equal(most, 1);
    assert.ok(applied.length < 4, `${applied.length} restores for 4 containers`);
    assert.deepEqual(applied.at(-1), [8001, 8002, 8003, 8004]);
  });

  it('leaves out ports whose network is gone', () => {
    const c = running({ id: 'c8', name: 'web', ports: [{ proto: 'tcp', containerPort: 80, hostIp: '0.0.0.0', hostPort: 8080, networkId: 'front0' }] });
    assert.deepEqual(firewallState([quiet], [c], () => true).ports, []);
  });
});
