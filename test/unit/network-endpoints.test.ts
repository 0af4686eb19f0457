import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Endpoints, type VethPlumbing } from '../../src/engine/network/endpoints.js';
import { NetworkRegistry } from '../../src/engine/network/network-registry.js';
import type { VethSpec } from '../../src/engine/network/plumbing.js';
import { hostVethName } from '../../src/engine/network/plumbing.js';
import { container, network } from './network-fixtures.js';

/** Records what would be plugged into and out of namespaces, instead of running `ip`. */
class FakePlumbing implements VethPlumbing {
  plugged: { pid: number; veth: VethSpec }[] = [];
  unplugged: string[] = [];
  failPlug = false;

  async plug(pid: number, veth: VethSpec): Promise<void> {
    if (this.failPlug) throw new Error('connecting the container to its network: RTNETLINK answers: File exists');
    this.plugged.push({ pid, veth });
  }

  async unplug(hostNames: string[]): Promise<void> {
    this.unplugged.push(...hostNames);
  }
}

function setup() {
  const networks = new NetworkRegistry();
  const front = network({ id: 'front0', name: 'front', bridge: 'br-front', subnet: '10.7.0.0/24', gateway: '10.7.0.1' });
  const inner = network({ id: 'inner0', name: 'inner', bridge: 'br-inner', subnet: '10.8.0.0/29', gateway: '10.8.0.1', internal: true });
  const back = network({ id: 'back00', name: 'back', bridge: 'br-back', subnet: '10.9.0.0/24', gateway: '10.9.0.1', userSubnet: true });
  const plumbing = new FakePlumbing();
  const endpoints = new Endpoints(networks, plumbing);
  for (const n of [front, inner, back]) {
    networks.set(n);
    endpoints.addNetwork(n);
  }
  return { networks, endpoints, plumbing, front, inner, back };
}

describe('endpoints', () => {
  it('gives each network of a starting container the lowest free address, eth0 and on, and knows who holds it', () => {
    const { endpoints } = setup();
    const a = container({ id: 'aaaa', name: 'a', networks: { inner0: { aliases: [] }, front0: { aliases: [] } } });
    const b = container({ id: 'bbbb', name: 'b', networks: { front0: { aliases: [], ipv4Address: '10.7.0.9' } } });
    endpoints.assignAll(a);
    endpoints.assignAll(b);
    assert.deepEqual(
      Object.values(a.networks).map((x) => [x.ip, x.ifname, x.mac, x.hostVeth]),
      [['10.8.0.2', 'eth0', '02:42:0a:08:00:02', hostVethName('aaaa', 'inner0')], ['10.7.0.2', 'eth1', '02:42:0a:07:00:02', hostVethName('aaaa', 'front0')]],
    );
    assert.equal(b.networks.front0.ip, '10.7.0.9');
    assert.match(b.networks.front0.endpointId!, /^[0-9a-f]{64}$/);
    assert.equal(endpoints.containerAt('10.7.0.2'), 'aaaa');
    assert.equal(endpoints.containerAt('10.7.0.9'), 'bbbb');
    assert.equal(endpoints.containerAt('10.7.0.3'), undefined);
  });

  it('refuses a network it has no addresses for, and an address taken twice', () => {
    const { endpoints } = setup();
    assert.throws(() => endpoints.assignAll(container({ id: 'x', name: 'x', networks: { gone: { aliases: [] } } })), /network gone not found/);
    endpoints.assignAll(container({ id: 'y', name: 'y', networks: { back00: { aliases: [], ipv4Address: '10.9.0.5' } } }));
    assert.throws(() => endpoints.assignAll(container({ id: 'z', name: 'z', networks: { back00: { aliases: [], ipv4Address: '10.9.0.5' } } })), /Address already in use/);
  });

  it('routes through the first network that is not internal', async () => {
    const { endpoints, plumbing } = setup();
    const c = container({ id: 'cccc', name: 'c', networks: { inner0: { aliases: [] }, front0: { aliases: [] }, back00: { aliases: [] } } });
    endpoints.assignAll(c);
    await endpoints.plugAll(c, 1234);
    assert.deepEqual(plumbing.plugged.map((p) => [p.pid, p.veth.bridge, p.veth.ifname, p.veth.cidr, p.veth.gateway]), [
      [1234, 'br-inner', 'eth0', '10.8.0.2/29', undefined],
      [1234, 'br-front', 'eth1', '10.7.0.2/24', '10.7.0.1'],
      [1234, 'br-back', 'eth2', '10.9.0.2/24', undefined],
    ]);
  });

  it('connects a running container on the next free interface, routing through it only when nothing else does', async () => {
    const { endpoints, plumbing, front, back } = setup();
    const c = container({ id: 'dddd', name: 'd', networks: { inner0: { aliases: [] } } });
    endpoints.assignAll(c);
    c.networks.front0 = { aliases: [] };
    await endpoints.attachRunning(c, front, 99);
    c.networks.back00 = { aliases: [] };
    await endpoints.attachRunning(c, back, 99);
    assert.deepEqual(plumbing.plugged.map((p) => [p.veth.ifname, p.veth.gateway]), [['eth1', '10.7.0.1'], ['eth2', undefined]]);
  });

  it('gives the address back when plugging in a running container fails', async () => {
    const { endpoints, plumbing, front } = setup();
    const c = container({ id: 'eeee', name: 'e', networks: { front0: { aliases: [] } } });
    plumbing.failPlug = true;
    await assert.rejects(endpoints.attachRunning(c, front, 7), /File exists/);
    assert.equal(endpoints.containerAt('10.7.0.2'), undefined);
    const other = container({ id: 'ffff', name: 'f', networks: { front0: { aliases: [] } } });
    endpoints.assignAll(other);
    assert.equal(other.networks.front0.ip, '10.7.0.2');
  });

  it('frees what a stopped container held and names the veths to remove; a detached network unplugs at once', async () => {
    const { endpoints, plumbing } = setup();
    const c = container({ id: 'gggg', name: 'g', networks: { front0: { aliases: ['web'] }, back00: { aliases: [] } } });
    endpoints.assignAll(c);
    await endpoints.detach(c, 'back00');
    assert.deepEqual(plumbing.unplugged, [hostVethName('gggg', 'back00')]);
    assert.equal(endpoints.containerAt('10.9.0.2'), undefined);
    delete c.networks.back00;
    assert.deepEqual(endpoints.release(c), [hostVethName('gggg', 'front0')]);
    assert.deepEqual(c.networks, { front0: { aliases: ['web'] } });
    assert.equal(endpoints.containerAt('10.7.0.2'), undefined);
    assert.deepEqual(endpoints.release(c), []);
  });

  it('holds the addresses of containers that survived a restart', () => {
    const { endpoints } = setup();
    const survivor = container({ id: 'hhhh', name: 'h', networks: { front0: { aliases: [], ip: '10.7.0.2' } } });
    endpoints.hold(survivor);
    assert.equal(endpoints.containerAt('10.7.0.2'), 'hhhh');
    const next = container({ id: 'iiii', name: 'i', networks: { front0: { aliases: [] } } });
    endpoints.assignAll(next);
    assert.equal(next.networks.front0.ip, '10.7.0.3');
  });
});
