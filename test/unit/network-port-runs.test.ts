import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { portRuns } from '../../src/engine/network/port-runs.js';
import { renderRules, type FirewallPort } from '../../src/engine/network/firewall.js';

const port = (hostPort: number, containerPort = hostPort, extra: Partial<FirewallPort> = {}): FirewallPort => ({
  bridge: 'br-a', proto: 'tcp', hostIp: '0.0.0.0', hostPort, containerIp: '10.1.0.2', containerPort, proxied: true, ...extra,
});

describe('published ports as firewall runs', () => {
  it('makes one run of a range published to the same ports inside', () => {
    const range = Array.from({ length: 1000 }, (_, i) => port(20000 + i));
    assert.deepEqual(portRuns(range), [{ ...port(20000), lastPort: 20999 }]);
  });

  it('keeps apart ports mapped to other numbers, other containers, protocols and gaps', () => {
    const runs = portRuns([
      port(8000), port(8001), port(8002, 9002), port(8003), port(8005),
      port(8006, 8006, { proto: 'udp' }), port(8007, 8007, { containerIp: '10.1.0.3' }),
    ]);
    assert.deepEqual(runs.map((r) => [r.proto, r.hostPort, r.lastPort, r.containerPort]), [
      ['tcp', 8000, 8001, 8000], ['tcp', 8002, 8002, 9002], ['tcp', 8003, 8003, 8003], ['tcp', 8005, 8005, 8005],
      ['udp', 8006, 8006, 8006], ['tcp', 8007, 8007, 8007],
    ]);
  });

  it('renders a range as one DNAT rule that keeps the port, and one ACCEPT rule', () => {
    const state = {
      networks: [{ bridge: 'br-a', subnet: '10.1.0.0/24', internal: false, icc: true }],
      ports: [...Array.from({ length: 1000 }, (_, i) => port(20000 + i)), port(8080, 80)],
    };
    const rules = renderRules('BERTH-t', state);
    assert.deepEqual(rules.nat.filter((r) => r.includes('-j DNAT')), [
      '-A BERTH-t ! -d 127.0.0.0/8 -p tcp -m tcp --dport 20000:20999 -j DNAT --to-destination 10.1.0.2',
      '-A BERTH-t ! -d 127.0.0.0/8 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.1.0.2:80',
    ]);
    assert.deepEqual(rules.filter.filter((r) => r.includes('-d 10.1.0.2/32')), [
      '-A BERTH-t-FWD -d 10.1.0.2/32 ! -i br-a -o br-a -p tcp -m tcp --dport 20000:20999 -j ACCEPT',
      '-A BERTH-t-FWD -d 10.1.0.2/32 ! -i br-a -o br-a -p tcp -m tcp --dport 80 -j ACCEPT',
    ]);
  });
});
