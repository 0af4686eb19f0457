import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCidr, formatSubnet, overlaps, macForIp, parseIp } from '../../src/engine/network/cidr.js';
import { AddressSpace, pickSubnet, DEFAULT_POOLS } from '../../src/engine/network/ipam.js';
import { renderRules } from '../../src/engine/network/firewall.js';
import { linkEnv, parseLink } from '../../src/engine/network/links.js';
import { parseResolvConf, renderHosts, usableNameservers } from '../../src/engine/network/etc-files.js';
import { parseHostBinding, parsePortKey } from '../../src/engine/network/ports.js';
import { chainTag, defaultBridgeName } from '../../src/engine/network/network-manager.js';

describe('addresses', () => {
  it('parses CIDRs and normalises the subnet', () => {
    const c = parseCidr('10.1.2.3/16');
    assert.equal(formatSubnet(c), '10.1.0.0/16');
    assert.throws(() => parseCidr('10.1.2/16'), /invalid CIDR/);
    assert.throws(() => parseIp('300.1.1.1'), /invalid IP address/);
  });

  it('sees overlaps both ways', () => {
    assert.ok(overlaps(parseCidr('172.17.0.0/16'), parseCidr('172.17.5.0/24')));
    assert.ok(overlaps(parseCidr('172.17.5.0/24'), parseCidr('172.16.0.0/12')));
    assert.ok(!overlaps(parseCidr('172.18.0.0/16'), parseCidr('172.17.0.0/16')));
  });

  it('makes Docker-style MACs', () => {
    assert.equal(macForIp(parseIp('172.17.0.2')), '02:42:ac:11:00:02');
  });
});

describe('IPAM', () => {
  it('keeps away from Docker\'s subnets and from host routes', () => {
    assert.equal(formatSubnet(pickSubnet(DEFAULT_POOLS, [])), '172.28.0.0/16');
    assert.equal(formatSubnet(pickSubnet(DEFAULT_POOLS, [parseCidr('172.28.0.0/15')])), '172.30.0.0/16');
    assert.ok(!overlaps(pickSubnet(DEFAULT_POOLS, [parseCidr('172.28.0.0/14'), parseCidr('172.24.0.0/14')]), parseCidr('172.16.0.0/12')));
  });

  it('carves pools into subnets of the asked size', () => {
    const pools = [{ base: '10.200.0.0/16', size: 24 }];
    assert.equal(formatSubnet(pickSubnet(pools, [parseCidr('10.200.0.0/24'), parseCidr('10.200.1.0/24')])), '10.200.2.0/24');
    assert.throws(() => pickSubnet([{ base: '10.9.0.0/24', size: 24 }], [parseCidr('10.9.0.0/24')]), /non-overlapping/);
  });

  it('hands out the lowest free address, never the gateway, and honours a wanted one', () => {
    const space = new AddressSpace('10.5.0.0/29', '10.5.0.1');
    assert.equal(space.allocate(), '10.5.0.2');
    assert.equal(space.allocate('10.5.0.5'), '10.5.0.5');
    assert.throws(() => space.allocate('10.5.0.5'), /already in use/);
    assert.throws(() => space.allocate('10.6.0.5'), /no configured subnet/);
    assert.equal(space.allocate(), '10.5.0.3');
    space.release('10.5.0.2');
    assert.equal(space.allocate(), '10.5.0.2');
    assert.equal(space.allocate(), '10.5.0.4');
    assert.equal(space.allocate(), '10.5.0.6');
    assert.throws(() => space.allocate(), /no available IPv4 addresses/);
  });
});

describe('firewall rules', () => {
  const state = {
    networks: [
      { bridge: 'br-a', subnet: '10.1.0.0/24', internal: false, icc: true },
      { bridge: 'br-b', subnet: '10.2.0.0/24', internal: true, icc: true },
    ],
    ports: [
      { bridge: 'br-a', proto: 'tcp' as const, hostIp: '127.0.0.1', hostPort: 8080, containerIp: '10.1.0.2', containerPort: 80, proxied: false },
      { bridge: 'br-a', proto: 'tcp' as const, hostIp: '0.0.0.0', hostPort: 8081, containerIp: '10.1.0.2', containerPort: 81, proxied: true },
      { bridge: 'br-a', proto: 'tcp' as const, hostIp: '127.0.0.1', hostPort: 8082, containerIp: '10.1.0.2', containerPort: 82, proxied: true },
      { bridge: 'br-a', proto: 'udp' as const, hostIp: '0.0.0.0', hostPort: 8083, containerIp: '10.1.0.2', containerPort: 83, proxied: false },
    ],
  };
  const rules = renderRules('BERTH-t', state);

  it('DNATs published ports, bound to the asked address', () => {
    assert.ok(rules.nat.includes('-A BERTH-t -d 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.1.0.2:80'));
    assert.ok(rules.nat.includes('-A BERTH-t -p udp -m udp --dport 8083 -j DNAT --to-destination 10.1.0.2:83'));
  });

  it('leaves loopback traffic of proxied ports to their userland proxy', () => {
    assert.ok(rules.nat.includes('-A BERTH-t ! -d 127.0.0.0/8 -p tcp -m tcp --dport 8081 -j DNAT --to-destination 10.1.0.2:81'));
    assert.ok(!rules.nat.some((r) => r.includes('--dport 8082')));
  });

  it('masquerades outbound traffic of normal networks only', () => {
    assert.ok(rules.nat.includes('-A BERTH-t-POST -s 10.1.0.0/24 ! -o br-a -j MASQUERADE'));
    assert.ok(!rules.nat.some((r) => r.includes('-s 10.2.0.0/24 ! -o br-b')));
  });

  it('isolates networks from each other, drops internal traffic leaving its bridge, before any accept', () => {
    const firstAccept = rules.filter.findIndex((r) => r.endsWith('ACCEPT'));
    const drops = ['-A BERTH-t-FWD -i br-a -o br-b -j DROP', '-A BERTH-t-FWD -i br-b -o br-a -j DROP', '-A BERTH-t-FWD -i br-b ! -o br-b -j DROP'];
    for (const d of drops) {
      assert.ok(rules.filter.includes(d), d);
      assert.ok(rules.filter.indexOf(d) < firstAccept, d);
    }
    assert.ok(!rules.filter.includes('-A BERTH-t-FWD -i br-b ! -o br-b -j ACCEPT'));
  });
});

describe('links', () => {
  it('parses the forms the CLI and API send', () => {
    assert.deepEqual(parseLink('wp-mysql:mysql'), { target: 'wp-mysql', alias: 'mysql' });
    assert.deepEqual(parseLink('/wp-mysql:/wordpress/mysql'), { target: 'wp-mysql', alias: 'mysql' });
    assert.deepEqual(parseLink('db'), { target: 'db', alias: 'db' });
  });

  it('sets Docker\'s variables', () => {
    const env = linkEnv('wordpress', { target: 'wp-mysql', alias: 'my-sql' }, {
      ip: '172.18.0.2', env: ['PATH=/bin', 'MYSQL_ROOT_PASSWORD=yoursecretpassword'], exposedPorts: ['3306/tcp', '33060/tcp'],
    });
    assert.deepEqual(env, [
      'MY_SQL_PORT=tcp://172.18.0.2:3306',
      'MY_SQL_PORT_3306_TCP=tcp://172.18.0.2:3306', 'MY_SQL_PORT_3306_TCP_ADDR=172.18.0.2',
      'MY_SQL_PORT_3306_TCP_PORT=3306', 'MY_SQL_PORT_3306_TCP_PROTO=tcp',
      'MY_SQL_PORT_33060_TCP=tcp://172.18.0.2:33060', 'MY_SQL_PORT_33060_TCP_ADDR=172.18.0.2',
      'MY_SQL_PORT_33060_TCP_PORT=33060', 'MY_SQL_PORT_33060_TCP_PROTO=tcp',
      'MY_SQL_NAME=/wordpress/my-sql',
      'MY_SQL_ENV_MYSQL_ROOT_PASSWORD=yoursecretpassword',
    ]);
  });
});

describe('/etc files and ports', () => {
  it('keeps only nameservers a container can reach', () => {
    const conf = parseResolvConf('# x\nnameserver 127.0.0.53\nnameserver 10.0.0.2\nsearch a.example b.example\noptions edns0\n');
    assert.deepEqual(conf, { nameservers: ['127.0.0.53', '10.0.0.2'], search: ['a.example', 'b.example'], options: ['edns0'] });
    assert.deepEqual(usableNameservers(conf.nameservers), ['10.0.0.2']);
    assert.deepEqual(usableNameservers(['127.0.0.1']), ['8.8.8.8', '8.8.4.4']);
  });

  it('writes hosts with the container last', () => {
    const hosts = renderHosts([{ ip: '10.0.0.3', names: ['mysql', 'abc', 'wp-mysql'] }, { ip: '10.0.0.4', names: ['me'] }]);
    assert.match(hosts, /^127\.0\.0\.1\tlocalhost\n/);
    assert.match(hosts, /10\.0\.0\.3\tmysql abc wp-mysql\n10\.0\.0\.4\tme\n$/);
  });

  it('parses port keys and host bindings', () => {
    assert.deepEqual(parsePortKey('80'), { port: 80, proto: 'tcp' });
    assert.deepEqual(parsePortKey('53/udp'), { port: 53, proto: 'udp' });
    assert.throws(() => parsePortKey('99999/tcp'), /invalid containerPort/);
    assert.deepEqual(parseHostBinding({ HostIp: '', HostPort: '' }), { hostIp: '', ports: [0] });
    assert.deepEqual(parseHostBinding({ HostIp: '127.0.0.1', HostPort: '8000-8002' }), { hostIp: '127.0.0.1', ports: [8000, 8001, 8002] });
    assert.throws(() => parseHostBinding({ HostPort: 'abc' }), /invalid hostPort/);
  });

  it('names bridges and chains per daemon', () => {
    assert.equal(defaultBridgeName('/var/run/berth'), 'berth0');
    assert.equal(chainTag('/var/run/berth'), 'BERTH');
    assert.match(defaultBridgeName('/tmp/x/exec'), /^berth-[0-9a-f]{8}$/);
    assert.ok(defaultBridgeName('/tmp/x/exec').length <= 15);
    assert.notEqual(chainTag('/tmp/a'), chainTag('/tmp/b'));
  });
});

describe('the networking shell', () => {
  it('runs fed commands in order in one shell, stops at the first failure, and survives it', async () => {
    const { HostShell, chain } = await import('../../src/engine/network/host-shell.js');
    const shell = new HostShell();
    try {
      const ok = await shell.run(chain([{ command: 'cat', input: ['one', 'BERTH_EOF'] }, { command: 'cat', input: ['two'] }]));
      assert.deepEqual(ok, { code: 0, output: 'one\nBERTH_EOF\ntwo\n' });
      const bad = await shell.run(chain([{ command: 'sh -c "cat; exit 3"', input: ['x'] }, { command: 'cat', input: ['never'] }]));
      assert.deepEqual(bad, { code: 3, output: 'x\n' });
      assert.deepEqual(await shell.run('echo still here'), { code: 0, output: 'still here\n' });
    } finally {
      shell.close();
    }
  });
});
