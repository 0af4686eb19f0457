import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DnsNames } from '../../src/engine/network/dns-names.js';
import { NetworkRegistry } from '../../src/engine/network/network-registry.js';
import { ContainerRegistry } from '../../src/engine/network/container-registry.js';
import { container, network } from './network-fixtures.js';

function setup() {
  const networks = new NetworkRegistry();
  networks.set(network({ id: 'default', name: 'bridge', isDefault: true, predefined: true }));
  networks.set(network({ id: 'app', name: 'app' }));
  networks.set(network({ id: 'db', name: 'db' }));
  const containers = new ContainerRegistry();
  const at = (ip: string) => ({ aliases: [] as string[], ip });
  containers.set(container({ id: 'a1'.repeat(32), name: 'client', networks: { app: { ...at('10.1.0.2'), links: ['Web:site'] }, db: at('10.2.0.2'), default: at('172.28.0.2') } }));
  containers.set(container({ id: 'b2'.repeat(32), name: 'Web', networks: { app: { ...at('10.1.0.3'), aliases: ['Front'] } } }));
  containers.set(container({ id: 'c3'.repeat(32), name: 'store', networks: { db: at('10.2.0.3'), app: at('10.1.0.4') } }));
  containers.set(container({ id: 'd4'.repeat(32), name: 'loner', networks: { default: at('172.28.0.3') } }));
  containers.set(container({ id: 'e5'.repeat(32), name: 'stopped', networks: { app: { aliases: [] } } }));
  containers.set(container({ id: 'f6'.repeat(32), name: 'picky', dns: ['9.9.9.9'], networks: { app: at('10.1.0.9') } }));
  const byIp = new Map<string, string>();
  for (const c of containers.values()) for (const a of Object.values(c.networks)) if (a.ip) byIp.set(a.ip, c.id);
  const names = new DnsNames({ containerAt: (ip) => byIp.get(ip) }, containers, networks);
  return names;
}

describe('embedded DNS names', () => {
  const cases: [asker: string, name: string, addresses: string[] | undefined][] = [
    ['10.1.0.2', 'web', ['10.1.0.3']],
    ['10.1.0.2', 'front', ['10.1.0.3']],
    ['10.1.0.2', 'b2b2b2b2b2b2', ['10.1.0.3']],
    ['10.1.0.2', 'b2'.repeat(32), ['10.1.0.3']],
    // A link on a network is an alias only its container sees.
    ['10.1.0.2', 'site', ['10.1.0.3']],
    ['10.1.0.4', 'site', undefined],
    // The first shared network where the name matches answers.
    ['10.2.0.2', 'store', ['10.1.0.4']],
    // No names on the default bridge, none of containers that do not run.
    ['172.28.0.3', 'client', undefined],
    ['10.1.0.2', 'loner', undefined],
    ['10.1.0.2', 'stopped', undefined],
    // Unknown askers get no container names.
    ['10.1.0.200', 'web', undefined],
  ];
  for (const [asker, name, addresses] of cases) {
    it(`answers ${name} to ${asker} with ${addresses ?? 'nothing'}`, () => {
      assert.deepEqual(setup().resolve(asker, name).addresses, addresses);
    });
  }

  it('forwards to the asker\'s --dns, else to the host\'s resolvers', async () => {
    const names = setup();
    assert.deepEqual(names.resolve('10.1.0.9', 'example.com').upstream, ['9.9.9.9']);
    assert.deepEqual(names.resolve('10.1.0.2', 'example.com').upstream, []);
    await names.refreshUpstream();
    assert.ok(Array.isArray(names.resolve('10.1.0.2', 'example.com').upstream));
  });
});
