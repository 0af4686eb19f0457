import type { ContainerNetworkRecord, NetworkRecord } from '../../src/engine/network/network-store.js';

/** Records as networking keeps them, with the fields a test does not care about filled in. */
export function network(fields: Partial<NetworkRecord> & Pick<NetworkRecord, 'id' | 'name'>): NetworkRecord {
  return {
    created: '2024-01-01T00:00:00.000Z', driver: 'bridge', internal: false, attachable: false, labels: {}, options: {},
    predefined: false, ...fields,
  };
}

export function container(fields: Partial<ContainerNetworkRecord> & Pick<ContainerNetworkRecord, 'id' | 'name'>): ContainerNetworkRecord {
  return {
    hostname: fields.id.slice(0, 12), domainname: '', networkMode: 'bridge', portBindings: {}, publishAllPorts: false,
    exposedPorts: [], links: [], env: [], dns: [], dnsSearch: [], dnsOptions: [], extraHosts: [], networks: {}, ...fields,
  };
}
