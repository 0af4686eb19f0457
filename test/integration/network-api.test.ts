import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { networkDaemonArgs, sh } from './network-helpers.js';
import { chainTag, defaultBridgeName } from '../../src/engine/network/network-manager.js';

let daemon: TestDaemon;
before(async () => { daemon = await startDaemon({ args: networkDaemonArgs() }); });
after(async () => { await daemon.stop(); });

async function docker(args: string[]): Promise<string> {
  const r = await daemon.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('docker network ls shows the predefined networks', async () => {
  const out = await docker(['network', 'ls', '--format', '{{.Name}} {{.Driver}} {{.Scope}}']);
  assert.deepEqual(out.trim().split('\n').sort(), ['bridge bridge local', 'host host local', 'none null local']);
  const bridge = JSON.parse(await docker(['network', 'inspect', 'bridge']))[0];
  assert.equal(bridge.Options['com.docker.network.bridge.name'], defaultBridgeName(daemon.execRoot));
  assert.ok(existsSync(`/sys/class/net/${defaultBridgeName(daemon.execRoot)}`));
});

test('network create with subnet, gateway, labels and --internal; inspect shows them', async () => {
  const id = (await docker(['network', 'create', '--subnet', '10.251.7.0/24', '--gateway', '10.251.7.254',
    '--internal', '--label', 'team=web', 'api_net'])).trim();
  assert.match(id, /^[0-9a-f]{64}$/);
  const n = JSON.parse(await docker(['network', 'inspect', 'api_net']))[0];
  assert.equal(n.Id, id);
  assert.equal(n.Driver, 'bridge');
  assert.equal(n.Internal, true);
  assert.deepEqual(n.IPAM.Config, [{ Subnet: '10.251.7.0/24', Gateway: '10.251.7.254' }]);
  assert.deepEqual(n.Labels, { team: 'web' });
  const addr = await sh('ip', ['-4', '-o', 'addr', 'show', `br-${id.slice(0, 12)}`]);
  assert.match(addr.stdout, /inet 10\.251\.7\.254\/24/);
  assert.match(await docker(['network', 'ls', '--filter', 'label=team=web', '--format', '{{.Name}}']), /^api_net$/m);
  await docker(['network', 'rm', 'api_net']);
  assert.equal(existsSync(`/sys/class/net/br-${id.slice(0, 12)}`), false);
});

test('bad requests get Docker\'s messages and create nothing', async () => {
  await docker(['network', 'create', 'dup_net']);
  const dup = await daemon.docker(['network', 'create', 'dup_net']);
  assert.match(dup.stderr, /network with name dup_net already exists/);
  const overlap = await daemon.docker(['network', 'create', '--subnet', JSON.parse(await docker(['network', 'inspect', 'dup_net']))[0].IPAM.Config[0].Subnet, 'overlap_net']);
  assert.match(overlap.stderr, /Pool overlaps with other one on this address space/);
  const badSubnet = await daemon.docker(['network', 'create', '--subnet', '10.252.0.1/24', 'bad_net']);
  assert.match(badSubnet.stderr, /invalid subnet 10\.252\.0\.1\/24 : it should be 10\.252\.0\.0\/24/);
  assert.match((await daemon.docker(['network', 'rm', 'bridge'])).stderr, /bridge is a pre-defined network and cannot be removed/);
  assert.match((await daemon.docker(['network', 'rm', 'nope'])).stderr, /network nope not found/);
  assert.match((await daemon.docker(['network', 'inspect', 'nope'])).stderr, /network nope not found/);
  const names = await docker(['network', 'ls', '--format', '{{.Name}}']);
  assert.doesNotMatch(names, /overlap_net|bad_net/);
  await docker(['network', 'rm', 'dup_net']);
});

test('networks survive a restart and a kill -9; prune removes unused ones', async () => {
  await docker(['network', 'create', '--label', 'keep=no', 'persist_net']);
  const before = JSON.parse(await docker(['network', 'inspect', 'persist_net']))[0];
  await daemon.kill9();
  await daemon.launch();
  const after = JSON.parse(await docker(['network', 'inspect', 'persist_net']))[0];
  assert.equal(after.Id, before.Id);
  assert.deepEqual(after.IPAM, before.IPAM);
  // After the crash the chains were rebuilt, not duplicated: one jump from each builtin chain.
  const nat = (await sh('iptables-save', ['-t', 'nat'])).stdout;
  const jumps = nat.split('\n').filter((l) => l.startsWith('-A PREROUTING') && l.endsWith(`-j ${chainTag(daemon.execRoot)}`));
  assert.equal(jumps.length, 1);
  // `until` takes Go durations (the shared filter time parser): a network made just now is younger.
  const young = await docker(['network', 'prune', '-f', '--filter', 'label=keep=no', '--filter', 'until=1h30m']);
  assert.doesNotMatch(young, /persist_net/);
  await assert.rejects(docker(['network', 'prune', '-f', '--filter', 'until=yesterday']), /invalid filter 'until=yesterday'/);
  const pruned = await docker(['network', 'prune', '-f', '--filter', 'label=keep=no']);
  assert.match(pruned, /persist_net/);
  assert.equal(existsSync(`/sys/class/net/br-${before.Id.slice(0, 12)}`), false);
});

test('a stopped daemon leaves no bridge and no rule behind', async () => {
  const bridge = defaultBridgeName(daemon.execRoot);
  await docker(['network', 'create', 'left_net']);
  await daemon.stopDaemon();
  assert.equal(existsSync(`/sys/class/net/${bridge}`), false);
  const saved = (await sh('iptables-save', [])).stdout;
  assert.ok(!saved.includes(chainTag(daemon.execRoot)), 'rules left behind');
  await daemon.launch();
  assert.match(await docker(['network', 'ls', '--format', '{{.Name}}']), /left_net/);
  await docker(['network', 'rm', 'left_net']);
});
