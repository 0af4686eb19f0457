import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCreateBody } from './create-body.js';

test('--no-healthcheck (Test ["NONE"]) is accepted and kept; any other health check stays refused', () => {
  const req = parseCreateBody({ Image: 'busybox', Healthcheck: { Test: ['NONE'] } });
  assert.deepEqual(req.config.Healthcheck, { Test: ['NONE'] });
  assert.throws(() => parseCreateBody({ Image: 'busybox', Healthcheck: { Test: ['CMD', 'true'] } }), /Config.Healthcheck is refused/);
  assert.throws(() => parseCreateBody({ Image: 'busybox', Healthcheck: { Test: ['NONE'], Interval: 1e9 } }), /Config.Healthcheck is refused/);
});

test('endpoint DriverOpts are refused with the reason; MacAddress and NetworkDisabled pass', () => {
  assert.throws(() => parseCreateBody({ Image: 'busybox', NetworkingConfig: { EndpointsConfig: { n: { DriverOpts: { a: 'b' } } } } }),
    /NetworkingConfig.EndpointsConfig.n.DriverOpts is refused: berthd does not implement/);
  parseCreateBody({ Image: 'busybox', NetworkDisabled: true, MacAddress: '02:42:ac:11:00:02', NetworkingConfig: { EndpointsConfig: { n: { MacAddress: '02:42:ac:11:00:02' } } } });
  parseCreateBody({ Image: 'busybox', HostConfig: { VolumesFrom: ['other:ro'] } });
});
