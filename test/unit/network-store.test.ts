// Networking's two kinds of records through the shared record store suite.
import { join } from 'node:path';
import { NetworkStore, type ContainerNetworkRecord, type NetworkRecord } from '../../src/engine/network/network-store.js';
import { recordStoreSuite } from './record-store-suite.js';

const KEYS: [string, string] = ['a'.repeat(64), 'b'.repeat(64)];

recordStoreSuite<NetworkRecord>('NetworkStore networks', {
  async open(root, log) {
    const store = new NetworkStore(root, log);
    const records = await store.loadNetworks();
    return {
      loaded: () => new Map(records.map((r) => [r.id, r])),
      put: (id, record) => store.saveNetwork(record),
      delete: (id) => store.deleteNetwork(id),
      pathOf: (id) => join(root, 'networks', `${id}.json`),
    };
  },
  keys: KEYS, version: 1,
  sample: (id, n) => ({
    id, name: `net${n}`, created: '2024-01-02T03:04:05Z', driver: 'bridge', internal: n % 2 === 0, attachable: false,
    labels: { n: String(n) }, options: {}, bridge: `br-${id.slice(0, 12)}`, subnet: `172.30.${n}.0/24`,
    gateway: `172.30.${n}.1`, predefined: false,
  }),
});

// Puts alternate the durable save and the runtime one (no fsync): both are whole records, in order.
recordStoreSuite<ContainerNetworkRecord>('NetworkStore containers', {
  async open(root, log) {
    const store = new NetworkStore(root, log);
    const records = await store.loadContainers();
    return {
      loaded: () => new Map(records.map((r) => [r.id, r])),
      put: (id, record) => record.pid ? store.saveContainerRuntime(record) : store.saveContainer(record),
      delete: (id) => store.deleteContainer(id),
      pathOf: (id) => join(store.containerDir(id), 'network.json'),
    };
  },
  keys: KEYS, version: 1,
  sample: (id, n) => ({
    id, name: `c${n}`, hostname: id.slice(0, 12), domainname: '', networkMode: 'bridge', portBindings: {},
    publishAllPorts: false, exposedPorts: [], links: [], env: [], dns: [], dnsSearch: [], dnsOptions: [], extraHosts: [],
    networks: { [KEYS[0]]: { aliases: [`alias${n}`] } }, ...(n % 2 === 0 ? { pid: 1000 + n } : {}),
  }),
});
