import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newNetworkRecord } from '../../src/engine/network/network-create.js';
import { parseCidr } from '../../src/engine/network/cidr.js';
import type { CreateNetworkOptions } from '../../src/engine/network/network-types.js';
import { network } from './network-fixtures.js';

const existing = [
  network({ id: 'b'.repeat(64), name: 'bridge', predefined: true, isDefault: true, bridge: 'berth0', subnet: '172.28.0.0/16', gateway: '172.28.0.1' }),
  network({ id: 'a'.repeat(64), name: 'app', bridge: 'br-app', subnet: '10.10.0.0/24', gateway: '10.10.0.1' }),
];
const pickFree = async () => parseCidr('172.29.0.0/16');

describe('network create', () => {
  const refused: [what: string, opts: CreateNetworkOptions, message: string][] = [
    ['no name', { Name: '' }, 'invalid name: '],
    ['a predefined name', { Name: 'host' }, 'operation is not permitted on predefined host network'],
    ['a name in use', { Name: 'app' }, 'network with name app already exists'],
    ['another driver', { Name: 'o', Driver: 'overlay' }, 'could not find plugin overlay in v1 plugin registry: plugin not found'],
    ['IPv6', { Name: 'v6', EnableIPv6: true }, 'IPv6 networks are not supported by Berth'],
    ['two subnets', { Name: 'two', IPAM: { Config: [{ Subnet: '10.1.0.0/24' }, { Subnet: '10.2.0.0/24' }] } }, 'only one IPv4 subnet per network is supported'],
    ['a host address as subnet', { Name: 's', IPAM: { Config: [{ Subnet: '10.1.0.5/24' }] } }, 'invalid subnet 10.1.0.5/24 : it should be 10.1.0.0/24'],
    ['a tiny subnet', { Name: 's', IPAM: { Config: [{ Subnet: '10.1.0.0/31' }] } }, 'invalid subnet 10.1.0.0/31: too small'],
    ['an overlapping subnet', { Name: 's', IPAM: { Config: [{ Subnet: '10.10.0.0/16' }] } }, 'invalid pool request: Pool overlaps with other one on this address space'],
    ['a gateway outside', { Name: 's', IPAM: { Config: [{ Subnet: '10.1.0.0/24', Gateway: '10.2.0.1' }] } }, 'no matching subnet for gateway 10.2.0.1'],
    ['a gateway alone', { Name: 's', IPAM: { Config: [{ Gateway: '10.2.0.1' }] } }, 'a gateway needs a subnet (--subnet)'],
    ['a long bridge name', { Name: 's', Options: { 'com.docker.network.bridge.name': 'a-very-long-bridge' } }, 'bridge name a-very-long-bridge is longer than 15 characters'],
    ['a bridge in use', { Name: 's', Options: { 'com.docker.network.bridge.name': 'br-app' } }, 'bridge br-app is already used by another network'],
  ];
  for (const [what, opts, message] of refused) {
    it(`refuses ${what}`, async () => {
      await assert.rejects(newNetworkRecord(opts, existing, pickFree), { message });
    });
  }

  it('accepts every name dockerd accepts: spaces, slashes, colons, a leading dash, upper case', async () => {
    for (const name of ['my net', 'team/net', 'a:b', '-x', 'UPPER', 'ü']) {
      assert.equal((await newNetworkRecord({ Name: name, CheckDuplicate: false }, existing, pickFree)).name, name);
    }
  });

  it('takes the subnet asked for, its first address as gateway unless one is given', async () => {
    const n = await newNetworkRecord({ Name: 'mine', Internal: true, IPAM: { Config: [{ Subnet: '10.1.0.0/24' }] }, Labels: { a: 'b' } }, existing, pickFree);
    assert.deepEqual([n.subnet, n.gateway, n.userSubnet, n.internal, n.labels, n.bridge], ['10.1.0.0/24', '10.1.0.1', true, true, { a: 'b' }, `br-${n.id.slice(0, 12)}`]);
    const g = await newNetworkRecord({ Name: 'gw', IPAM: { Config: [{ Subnet: '10.1.0.0/24', Gateway: '10.1.0.254' }] } }, existing, pickFree);
    assert.equal(g.gateway, '10.1.0.254');
  });

  it('picks a free subnet when none is asked for', async () => {
    const n = await newNetworkRecord({ Name: 'auto' }, existing, pickFree);
    assert.deepEqual([n.subnet, n.gateway, n.userSubnet, n.predefined, n.driver], ['172.29.0.0/16', '172.29.0.1', false, false, 'bridge']);
  });
});
