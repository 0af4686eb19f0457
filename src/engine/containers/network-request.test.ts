import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerConfig, HostConfig } from './container-types.js';
import { apiAtLeast, networkRequest } from './network-request.js';

const config = (extra: Partial<ContainerConfig> = {}) => ({ Image: 'busybox', ...extra }) as ContainerConfig;
const host = (mode = 'default') => ({ NetworkMode: mode }) as HostConfig;
const MAC = '02:42:ac:11:00:99';

test('before API 1.44 the container-wide MAC address goes to the endpoint of the network mode', () => {
  const c = config({ MacAddress: MAC });
  const req = networkRequest(c, host(), { default: { MacAddress: '02:42:ac:11:00:01' } }, '1.41');
  assert.deepEqual(req.endpoints, { bridge: { MacAddress: MAC } });
  assert.equal(c.MacAddress, MAC, 'inspect of an old client still shows it');
  assert.deepEqual(req.warnings, []);
  // An endpoint's own MAC address did not exist then: ignored, as dockerd ignores it.
  assert.deepEqual(networkRequest(config(), host(), { bridge: { MacAddress: MAC } }, '1.43').endpoints, { bridge: {} });
});

test("from API 1.44 it moves too, with dockerd's warning, and must match the endpoint's", () => {
  const c = config({ MacAddress: MAC });
  const req = networkRequest(c, host('mynet'), null, '1.47');
  assert.deepEqual(req.endpoints, { mynet: { MacAddress: MAC } });
  assert.equal(c.MacAddress, undefined);
  assert.match(req.warnings[0]!, /container-wide MacAddress field is now deprecated/);
  assert.throws(() => networkRequest(config({ MacAddress: MAC }), host(), { bridge: { MacAddress: '02:42:ac:11:00:01' } }, '1.47'),
    { message: 'the container-wide MAC address must match the endpoint-specific MAC address for the main network, or be left empty' });
  assert.throws(() => networkRequest(config({ MacAddress: MAC }), host('a'), { b: {} }, '1.47'),
    /HostConfig.NetworkMode must match the identity of a network/);
});

test('a bad MAC address, or one for a mode without an interface of its own, is refused', () => {
  assert.throws(() => networkRequest(config(), host(), { default: { MacAddress: 'zz:42' } }, '1.47'),
    { message: 'invalid config for network bridge: invalid MAC address zz:42' });
  for (const mode of ['host', 'none', 'container:abc']) {
    assert.throws(() => networkRequest(config({ MacAddress: MAC }), host(mode), null, '1.41'), { message: 'conflicting options: mac-address and the network mode' });
    assert.throws(() => networkRequest(config(), host(mode), { [mode]: { MacAddress: MAC } }, '1.47'), /conflicting options: mac-address/);
  }
});

test('NetworkDisabled asks for no network at all', () => {
  const req = networkRequest(config({ NetworkDisabled: true, MacAddress: MAC }), host('mynet'), { mynet: { Aliases: ['a'] } }, '1.47');
  assert.deepEqual(req, { networkMode: 'none', endpoints: {}, disabled: true, warnings: [] });
});

test('API versions compare by number', () => {
  assert.ok(apiAtLeast('1.44', '1.44'));
  assert.ok(apiAtLeast('1.100', '1.44'));
  assert.ok(!apiAtLeast('1.9', '1.44'));
});
