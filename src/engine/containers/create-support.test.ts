import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCreateBody } from './create-body.js';

test('a health check is accepted and kept, --no-healthcheck (Test ["NONE"]) too', () => {
  assert.deepEqual(parseCreateBody({ Image: 'busybox', Healthcheck: { Test: ['NONE'] } }).config.Healthcheck, { Test: ['NONE'] });
  assert.deepEqual(parseCreateBody({ Image: 'busybox', Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9 } }).config.Healthcheck, { Test: ['CMD', 'true'], Interval: 1e9 });
});

test('endpoint DriverOpts, MacAddress and NetworkDisabled pass the create body (the options dockerd acts on are refused by networking)', () => {
  parseCreateBody({ Image: 'busybox', NetworkingConfig: { EndpointsConfig: { n: { DriverOpts: { a: 'b' } } } } });
  parseCreateBody({ Image: 'busybox', NetworkDisabled: true, MacAddress: '02:42:ac:11:00:02', NetworkingConfig: { EndpointsConfig: { n: { MacAddress: '02:42:ac:11:00:02' } } } });
  parseCreateBody({ Image: 'busybox', HostConfig: { VolumesFrom: ['other:ro'] } });
});
