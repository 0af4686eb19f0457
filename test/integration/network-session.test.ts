// The chapter's networking session (techniques 6 to 8) with the real docker CLI against berthd.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';
import { networkDaemonArgs, sh, eventually } from './network-helpers.js';
import { freePort } from '../helpers/ports.js';
import { chainTag, defaultBridgeName } from '../../src/engine/network/network-manager.js';

let daemon: TestDaemon;
before(async () => {
  daemon = await startDaemon({ args: networkDaemonArgs() });
  await importBusybox(daemon);
  await importBusybox(daemon, 'busybox-web:latest', ['EXPOSE 80']);
});
after(async () => { await daemon.stop(); });

async function docker(args: string[]): Promise<string> {
  const r = await daemon.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const curl = (url: string) => sh('curl', ['-s', '--max-time', '3', url]);
const blogCmd = (name: string) => ['sh', '-c', `mkdir -p /www && echo "${name} says hello" > /www/index.html && exec httpd -f -p 80 -h /www`];

test('a line sent from the host reaches nc in a container through a published port', async () => {
  const port = await freePort();
  await docker(['run', '-d', '-i', '-p', `${port}:${port}`, '--name', 'daemon', 'busybox', 'nc', '-l', '-p', String(port)]);
  await eventually(async () => (await sh('sh', ['-c', `echo hello from the host | socat -t 1 - TCP:127.0.0.1:${port}`])).code === 0, 'nc accepts');
  await eventually(async () => (await daemon.docker(['logs', 'daemon'])).stdout.includes('hello from the host'), 'the line in docker logs');
  await docker(['rm', '-f', 'daemon']);
});

test('two blogs on two host ports; docker ps shows both; a busy port is refused with Docker\'s message', async () => {
  const [p1, p2] = [await freePort(), await freePort()];
  await docker(['run', '-d', '--name', 'blog1', '-p', `${p1}:80`, 'busybox', ...blogCmd('blog1')]);
  await docker(['run', '-d', '--name', 'blog2', '-p', `${p2}:80`, 'busybox', ...blogCmd('blog2')]);
  await eventually(async () => (await curl(`http://127.0.0.1:${p1}/`)).stdout === 'blog1 says hello\n', 'blog1 answers');
  await eventually(async () => (await curl(`http://127.0.0.1:${p2}/`)).stdout === 'blog2 says hello\n', 'blog2 answers');
  const ps = await docker(['ps', '--format', '{{.Names}} {{.Ports}}']);
  assert.match(ps, new RegExp(`^blog1 0\\.0\\.0\\.0:${p1}->80/tcp$`, 'm'));
  assert.match(ps, new RegExp(`^blog2 0\\.0\\.0\\.0:${p2}->80/tcp$`, 'm'));
  const busy = await daemon.docker(['run', '-d', '--name', 'blog3', '-p', `${p1}:80`, 'busybox', 'true']);
  assert.notEqual(busy.code, 0);
  assert.match(busy.stderr, new RegExp(`driver failed programming external connectivity on endpoint blog3 \\([0-9a-f]+\\): Bind for 0\\.0\\.0\\.0:${p1} failed: port is already allocated`));
  await docker(['rm', '-f', 'blog3']);
});

test('-p 127.0.0.1:PORT:80 answers on loopback only; -P publishes what the image EXPOSEs; docker port tells', async () => {
  const p = await freePort();
  await docker(['run', '-d', '--name', 'local-blog', '-p', `127.0.0.1:${p}:80`, 'busybox', ...blogCmd('local')]);
  await eventually(async () => (await curl(`http://127.0.0.1:${p}/`)).stdout === 'local says hello\n', 'loopback answers');
  const gateway = JSON.parse(await docker(['network', 'inspect', 'bridge']))[0].IPAM.Config[0].Gateway;
  assert.notEqual((await curl(`http://${gateway}:${p}/`)).stdout, 'local says hello\n');
  assert.equal((await docker(['port', 'local-blog'])).trim(), `80/tcp -> 127.0.0.1:${p}`);

  await docker(['run', '-d', '--name', 'exposed', '-P', 'busybox-web', ...blogCmd('exposed')]);
  const line = (await docker(['port', 'exposed', '80'])).trim();
  const m = /^0\.0\.0\.0:(\d+)$/.exec(line);
  assert.ok(m, line);
  await eventually(async () => (await curl(`http://127.0.0.1:${m![1]}/`)).stdout === 'exposed says hello\n', '-P port answers');
  await docker(['rm', '-f', 'local-blog', 'exposed']);
  const nat = (await sh('iptables-save', ['-t', 'nat'])).stdout;
  assert.doesNotMatch(nat, new RegExp(`--dport (${p}|${m![1]}) `), 'rules of removed containers remain');
});

test('a user-defined network: names resolve on it only; inspect lists both networks and /etc/hosts both addresses; disconnect removes the name', async () => {
  await docker(['network', 'create', 'my_network']);
  await docker(['network', 'connect', 'my_network', 'blog1']);
  const page = await docker(['run', '--rm', '--network', 'my_network', 'busybox', 'wget', '-qO-', 'blog1']);
  assert.equal(page, 'blog1 says hello\n');
  const other = await daemon.docker(['run', '--rm', '--network', 'my_network', 'busybox', 'nslookup', 'blog2']);
  assert.notEqual(other.code, 0, other.stdout);
  const nets = JSON.parse(await docker(['inspect', 'blog1']))[0].NetworkSettings.Networks;
  assert.deepEqual(Object.keys(nets).sort(), ['bridge', 'my_network']);
  assert.match(nets.my_network.IPAddress, /^\d+\.\d+\.\d+\.\d+$/);
  const hostname = (await docker(['exec', 'blog1', 'hostname'])).trim();
  const own = (hosts: string) => hosts.split('\n').filter((l) => l.endsWith(`\t${hostname}`)).map((l) => l.split('\t')[0]);
  assert.deepEqual(own(await docker(['exec', 'blog1', 'cat', '/etc/hosts'])), [nets.bridge.IPAddress, nets.my_network.IPAddress]);
  await docker(['network', 'disconnect', 'my_network', 'blog1']);
  assert.deepEqual(own(await docker(['exec', 'blog1', 'cat', '/etc/hosts'])), [nets.bridge.IPAddress]);
  const gone = await daemon.docker(['run', '--rm', '--network', 'my_network', 'busybox', 'nslookup', 'blog1']);
  assert.notEqual(gone.code, 0, gone.stdout);
  const rm = await daemon.docker(['network', 'rm', 'my_network']);
  assert.equal(rm.code, 0, rm.stderr);
});

test('docker rename: the new name resolves on a user-defined network, the old one no longer; a link follows the container', async () => {
  await docker(['network', 'create', 'rename_net']);
  await docker(['run', '-d', '--name', 'old-name', '--network', 'rename_net', 'busybox', ...blogCmd('renamed')]);
  await docker(['run', '-d', '--name', 'linker', '--network', 'rename_net', '--link', 'old-name:web', 'busybox', 'sleep', '300']);
  await docker(['rename', 'old-name', 'new-name']);
  await eventually(async () => (await daemon.docker(['run', '--rm', '--network', 'rename_net', 'busybox', 'wget', '-qO-', 'new-name'])).stdout === 'renamed says hello\n', 'the new name answers');
  const old = await daemon.docker(['run', '--rm', '--network', 'rename_net', 'busybox', 'nslookup', 'old-name']);
  assert.notEqual(old.code, 0, old.stdout);
  assert.equal(await docker(['exec', 'linker', 'wget', '-qO-', 'web']), 'renamed says hello\n');
  await docker(['rm', '-f', 'new-name', 'linker']);
  await docker(['network', 'rm', 'rename_net']);
});

test('containers on different networks cannot reach each other; --internal has no way out', async () => {
  await docker(['network', 'create', 'net_a']);
  await docker(['network', 'create', '--internal', 'net_int']);
  await docker(['run', '-d', '--name', 'on-a', '--network', 'net_a', 'busybox', ...blogCmd('on-a')]);
  const ipA = JSON.parse(await docker(['inspect', 'on-a']))[0].NetworkSettings.Networks.net_a.IPAddress;
  const same = await docker(['run', '--rm', '--network', 'net_a', 'busybox', 'wget', '-qO-', `http://${ipA}/`]);
  assert.equal(same, 'on-a says hello\n');
  // (ping ends by itself after -W; busybox wget's -T crashes, and a PID 1 ignores timeout's SIGTERM)
  assert.equal((await daemon.docker(['run', '--rm', '--network', 'net_a', 'busybox', 'ping', '-c', '1', '-W', '2', ipA])).code, 0);
  const cross = await daemon.docker(['run', '--rm', 'busybox', 'ping', '-c', '1', '-W', '1', ipA]);
  assert.notEqual(cross.code, 0, 'the default bridge reached a container of net_a');
  const routes = await docker(['run', '--rm', '--network', 'net_int', 'busybox', 'ip', 'route']);
  assert.doesNotMatch(routes, /default/);
  await docker(['rm', '-f', 'on-a']);
  await docker(['network', 'rm', 'net_a', 'net_int']);
});

test('legacy links: the alias resolves and the linked container\'s environment shows', async () => {
  await docker(['run', '-d', '--name', 'wp-mysql', '--expose', '3306', '-e', 'MYSQL_ROOT_PASSWORD=yoursecretpassword', 'busybox', 'sleep', '300']);
  const ip = JSON.parse(await docker(['inspect', 'wp-mysql']))[0].NetworkSettings.IPAddress;
  const out = await docker(['run', '--rm', '--link', 'wp-mysql:mysql', 'busybox', 'sh', '-c', 'cat /etc/hosts; env']);
  assert.match(out, new RegExp(`^${ip.replace(/\./g, '\\.')}\\tmysql [0-9a-f]{12} wp-mysql$`, 'm'));
  assert.match(out, /^MYSQL_ENV_MYSQL_ROOT_PASSWORD=yoursecretpassword$/m);
  assert.match(out, new RegExp(`^MYSQL_PORT_3306_TCP_ADDR=${ip.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(out, /^MYSQL_NAME=\/.+\/mysql$/m);
  const ping = await docker(['run', '--rm', '--link', 'wp-mysql:mysql', 'busybox', 'ping', '-c', '1', '-W', '2', 'mysql']);
  assert.match(ping, new RegExp(`PING mysql \\(${ip.replace(/\./g, '\\.')}\\)`));
  const missing = await daemon.docker(['run', '--rm', '--link', 'nothere:db', 'busybox', 'true']);
  assert.match(missing.stderr, /could not get container for nothere/);
  await docker(['rm', '-f', 'wp-mysql']);
});

test('--network none has only lo; --network container:blog2 shares blog2\'s namespace', async () => {
  const links = await docker(['run', '--rm', '--network', 'none', 'busybox', 'ip', '-o', 'link']);
  assert.deepEqual(links.trim().split('\n').map((l) => l.split(':')[1].trim()), ['lo']);
  const page = await docker(['run', '--rm', '--network', 'container:blog2', 'busybox', 'wget', '-qO-', 'http://127.0.0.1:80/']);
  assert.equal(page, 'blog2 says hello\n');
});

test('nothing of the daemon stays in the host\'s network after its containers and the daemon stop', async () => {
  const bridge = defaultBridgeName(daemon.execRoot);
  const veths = (await sh('ip', ['-o', 'link', 'show', 'master', bridge])).stdout.split('\n')
    .map((l) => /^\d+: (vb[0-9a-f]{11})@/.exec(l)?.[1]).filter((v): v is string => Boolean(v));
  assert.ok(veths.length >= 1, 'blog2 should have a veth on the bridge');
  const ids = (await docker(['ps', '-aq'])).split('\n').filter(Boolean);
  if (ids.length) await docker(['rm', '-f', ...ids]);
  await daemon.stopDaemon();
  assert.equal(existsSync(`/sys/class/net/${bridge}`), false);
  assert.ok(!(await sh('iptables-save', [])).stdout.includes(chainTag(daemon.execRoot)));
  for (const v of veths) assert.equal(existsSync(`/sys/class/net/${v}`), false, `${v} left behind`);
  await daemon.launch();
});
