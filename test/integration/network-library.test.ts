// The networking library on its own, without containers: "containers" here are processes in network
// namespaces of their own (`unshare -n sleep`), as the runtime's init process would be.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { NetworkManager, chainTag, defaultBridgeName } from '../../src/engine/network/network-manager.js';
import { defaultConfig } from '../../src/engine/base/config.js';
import { Logger } from '../../src/engine/base/log.js';
import { testPool, sh as run } from './network-helpers.js';
import { buildNative } from '../helpers/daemon.js';

let dir: string;
let manager: NetworkManager;
const procs: ChildProcess[] = [];
let execRoot: string;

before(async () => {
  await buildNative();
  dir = await mkdtemp(join(tmpdir(), 'berth-netlib-'));
  execRoot = join(dir, 'exec');
  const config = { ...defaultConfig(), dataRoot: join(dir, 'data'), execRoot, defaultAddressPools: [testPool()] };
  manager = await NetworkManager.open(config, new Logger('error'));
});

after(async () => {
  for (const p of procs) p.kill('SIGKILL');
  await manager.close();
  await rm(dir, { recursive: true, force: true });
});

/** A process in a network namespace of its own; returns its pid. */
async function sandbox(): Promise<number> {
  const p = spawn('unshare', ['-n', 'sleep', '600'], { stdio: 'ignore' });
  procs.push(p);
  for (let i = 0; i < 100; i++) {
    const mine = await run('readlink', [`/proc/${p.pid}/ns/net`]);
    const host = await run('readlink', ['/proc/self/ns/net']);
    if (mine.stdout !== host.stdout) return p.pid!;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('unshare did not start');
}

function inNs(pid: number, args: string[], timeoutMs = 10_000) {
  return run('nsenter', [`--net=/proc/${pid}/ns/net`, ...args], timeoutMs);
}

function serveIn(pid: number, root: string, port: number): void {
  const p = spawn('nsenter', [`--net=/proc/${pid}/ns/net`, 'busybox', 'httpd', '-f', '-p', String(port), '-h', root], { stdio: 'ignore' });
  procs.push(p);
}

async function container(name: string, extra: Parameters<NetworkManager['registerContainer']>[0] | object = {}) {
  const id = randomBytes(32).toString('hex');
  await manager.registerContainer({ id, name, ...extra });
  const prepared = await manager.prepare(id);
  const pid = await sandbox();
  await manager.connect(id, pid);
  return { id, pid, prepared };
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('a container on the default bridge gets an address, a route and its /etc files', async () => {
  const c = await container('plain');
  const addr = await inNs(c.pid, ['ip', '-4', '-o', 'addr', 'show', 'eth0']);
  const settings = manager.networkSettings(c.id) as { IPAddress: string; Gateway: string; MacAddress: string };
  assert.match(addr.stdout, new RegExp(`inet ${settings.IPAddress.replace(/\./g, '\\.')}/`));
  const route = await inNs(c.pid, ['ip', 'route', 'show', 'default']);
  assert.match(route.stdout, new RegExp(`default via ${settings.Gateway}`));
  const ping = await inNs(c.pid, ['busybox', 'ping', '-c', '1', '-W', '2', settings.Gateway]);
  assert.equal(ping.code, 0, ping.stdout + ping.stderr);
  const hosts = c.prepared.mounts.find((m) => m.destination === '/etc/hosts')!;
  assert.match(await run('cat', [hosts.source]).then((r) => r.stdout), new RegExp(`${settings.IPAddress}\\t${c.id.slice(0, 12)}`));
  await manager.disconnect(c.id);
  assert.equal((manager.networkSettings(c.id) as { IPAddress: string }).IPAddress, '');
});

test('a published port answers on the host loopback through its userland proxy; rule and proxy go when the container stops', async () => {
  const www = join(dir, 'www');
  await mkdir(www, { recursive: true });
  await writeFile(join(www, 'index.html'), 'hello from the namespace\n');
  const c = await container('web', { portBindings: { '80/tcp': [{ HostIp: '', HostPort: '' }] } });
  serveIn(c.pid, www, 80);
  const ports = manager.portSummary(c.id);
  assert.equal(ports.length, 1);
  assert.equal(ports[0].IP, '0.0.0.0');
  const port = ports[0].PublicPort;
  const url = `http://127.0.0.1:${port}/`;
  await waitFor(async () => (await run('curl', ['-sf', '--max-time', '2', url])).stdout === 'hello from the namespace\n', 'httpd');
  const listener = async () => (await run('ss', ['-Hltnp', `sport = :${port}`])).stdout;
  assert.match(await listener(), /"berth-port-prox"/);
  const tag = chainTag(execRoot);
  // Other hosts' traffic is DNATed; the host's loopback is left to the proxy.
  assert.match((await run('iptables-save', ['-t', 'nat'])).stdout, new RegExp(`-A ${tag} ! -d 127\\.0\\.0\\.0/8 .*--dport ${port} `));
  await manager.disconnect(c.id);
  assert.doesNotMatch((await run('iptables-save', ['-t', 'nat'])).stdout, new RegExp(`-A ${tag} .*--dport ${port} `));
  await waitFor(async () => (await listener()) === '', 'the proxy to stop');
});

test('user-defined networks: names resolve on the same network only, and networks are isolated', async () => {
  const { Id: netA } = await manager.create({ Name: 'lib_a' });
  const { Id: netB } = await manager.create({ Name: 'lib_b' });
  const a1 = await container('a1', { networkMode: 'lib_a', endpointsConfig: { lib_a: { Aliases: ['web'] } } });
  const a2 = await container('a2', { networkMode: 'lib_a' });
  const b1 = await container('b1', { networkMode: 'lib_b' });
  const gwA = manager.get('lib_a').gateway!;
  const a1Ip = (manager.networkSettings(a1.id).Networks as Record<string, { IPAddress: string }>).lib_a.IPAddress;
  const b1Ip = (manager.networkSettings(b1.id).Networks as Record<string, { IPAddress: string }>).lib_b.IPAddress;
  for (const name of ['a1', 'web', a1.id.slice(0, 12)]) {
    const r = await inNs(a2.pid, ['busybox', 'nslookup', name, gwA]);
    assert.match(r.stdout, new RegExp(`Address: ${a1Ip.replace(/\./g, '\\.')}`), `${name}: ${r.stdout}${r.stderr}`);
  }
  const other = await inNs(a2.pid, ['busybox', 'nslookup', 'b1', gwA]);
  assert.doesNotMatch(other.stdout, new RegExp(b1Ip.replace(/\./g, '\\.')));
  assert.equal((await inNs(a2.pid, ['busybox', 'ping', '-c', '1', '-W', '2', a1Ip])).code, 0);
  assert.notEqual((await inNs(a2.pid, ['busybox', 'ping', '-c', '1', '-W', '1', b1Ip])).code, 0);
  await assert.rejects(manager.remove('lib_a'), /has active endpoints/);
  for (const c of [a1, a2, b1]) await manager.unregisterContainer(c.id);
  await manager.remove(netA);
  await manager.remove(netB);
  assert.equal(existsSync(`/sys/class/net/br-${netA.slice(0, 12)}`), false);
});

test('shutdown with nothing attached leaves no bridge or chain behind', async () => {
  const bridge = defaultBridgeName(execRoot);
  assert.ok(existsSync(`/sys/class/net/${bridge}`));
  await manager.close();
  assert.equal(existsSync(`/sys/class/net/${bridge}`), false);
  const saved = (await run('iptables-save', [])).stdout;
  assert.ok(!saved.includes(chainTag(execRoot)), 'chains left behind');
});
