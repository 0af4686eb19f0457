// Many containers joining and leaving networks at once (issue 18): each gets an address of its own,
// names resolve among them while they all run, the firewall holds each published port's rule exactly
// once, and once they are gone nothing of theirs is left: no veth, no rule, no record. A network
// removed while containers join it either refuses ("has active endpoints") or fails their starts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type RunResult, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';
import { firewallRules, leftoversOf } from '../faults/host-leftovers.js';
import { networkDaemonArgs } from './network-helpers.js';

const COUNT = 30;
const LABEL = 'test=network-concurrent';

let daemon: TestDaemon;
before(async () => {
  daemon = await startDaemon({ args: networkDaemonArgs() });
  await importBusybox(daemon);
});
after(async () => { await daemon.stop(); });

const names = (prefix: string, n = COUNT) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** Runs one docker command per item, all at once; asserts each succeeded; resolves with their stdouts. */
async function allOk(items: string[], args: (item: string) => string[]): Promise<string[]> {
  const results = await Promise.all(items.map((item) => daemon.docker(args(item))));
  results.forEach((r, i) => assert.equal(r.code, 0, `docker ${args(items[i]!).join(' ')}: ${r.stderr}`));
  return results.map((r) => r.stdout);
}

/** The id of each named container and its address on `network`, from one `docker inspect`. */
async function addresses(containers: string[], network: string): Promise<{ id: string; name: string; ip: string; hostPort?: string }[]> {
  const inspected = JSON.parse(await daemon.ok(['inspect', ...containers])) as {
    Id: string; Name: string; NetworkSettings: { Networks: Record<string, { IPAddress: string }>; Ports: Record<string, { HostPort: string }[] | null> };
  }[];
  return inspected.map((c) => ({
    id: c.Id, name: c.Name.slice(1), ip: c.NetworkSettings.Networks[network]!.IPAddress, hostPort: c.NetworkSettings.Ports['80/tcp']?.[0]?.HostPort,
  }));
}

const networkId = async (name: string) => (await daemon.ok(['network', 'inspect', '-f', '{{.Id}}', name])).trim();

/** Asserts that nothing of these containers is left on the host or in the daemon's records. */
async function assertNothingLeft(ids: string[], netId: string, rulesBefore: string[]): Promise<void> {
  for (const id of ids) {
    assert.deepEqual(await leftoversOf(daemon, id, netId, rulesBefore), [], `container ${id}`);
    assert.equal(existsSync(join(daemon.dataRoot, 'network', 'containers', id)), false, `network record of ${id}`);
  }
  assert.equal(await daemon.ok(['ps', '-aq', '--filter', `label=${LABEL}`]), '');
}

test(`${COUNT} docker run --rm at once on the default bridge all succeed and leave nothing behind`, async () => {
  const rules = await firewallRules(daemon);
  const dir = await mkdtemp(join(tmpdir(), 'berth-concurrent-'));
  try {
    const cidFiles = names('run').map((n) => join(dir, n));
    // Each prints the address it was given: every one of them is on the bridge's subnet.
    const out = await allOk(cidFiles, (cid) => ['run', '--rm', '--label', LABEL, '--cidfile', cid, 'busybox', 'sh', '-c', 'ip -4 -o addr show eth0']);
    const subnet = JSON.parse(await daemon.ok(['network', 'inspect', 'bridge']))[0].IPAM.Config[0].Subnet as string;
    const prefix = subnet.split('.').slice(0, 2).join('.');
    for (const o of out) assert.match(o, new RegExp(`inet ${prefix.replace(/\./g, '\\.')}\\.\\d+\\.\\d+/`));
    const ids = await Promise.all(cidFiles.map((f) => readFile(f, 'utf8')));
    await assertNothingLeft(ids, await networkId('bridge'), rules);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test(`${COUNT} containers started at once on the default bridge, each publishing a port: distinct addresses, one rule each, none left after rm -f`, async () => {
  const rules = await firewallRules(daemon);
  const containers = names('bridged');
  await allOk(containers, (n) => ['run', '-d', '--name', n, '--label', LABEL, '-p', '80', 'busybox', 'sleep', '600']);
  const running = await addresses(containers, 'bridge');
  assert.equal(new Set(running.map((c) => c.ip)).size, COUNT, running.map((c) => c.ip).join(' '));
  assert.equal(new Set(running.map((c) => c.hostPort)).size, COUNT);
  // Every published port has its DNAT rule exactly once (none lost, none twice, whatever the order of the applies).
  const dnat = (await firewallRules(daemon)).filter((r) => r.includes('-j DNAT'));
  for (const c of running) {
    const mine = dnat.filter((r) => r.includes(`--dport ${c.hostPort} `) && r.endsWith(`--to-destination ${c.ip}:80`));
    assert.equal(mine.length, 1, `${c.name} (${c.ip}, ${c.hostPort}): ${dnat.join('\n')}`);
  }
  await allOk(containers, (n) => ['rm', '-f', n]);
  await assertNothingLeft(running.map((c) => c.id), await networkId('bridge'), rules);
});

test(`${COUNT} containers started at once on a user-defined network resolve each other by name while they all run`, async () => {
  const rules = await firewallRules(daemon);
  await daemon.ok(['network', 'create', '--label', LABEL, 'crowd']);
  const netId = await networkId('crowd');
  const containers = names('crowd');
  await allOk(containers, (n) => ['run', '-d', '--name', n, '--label', LABEL, '--network', 'crowd', 'busybox', 'sleep', '600']);
  const running = await addresses(containers, 'crowd');
  assert.equal(new Set(running.map((c) => c.ip)).size, COUNT, running.map((c) => c.ip).join(' '));
  // Each asks for the next one's name, all at once.
  const next = (i: number) => running[(i + 1) % COUNT]!;
  const answers = await allOk(containers, (n) => ['exec', n, 'nslookup', next(containers.indexOf(n)).name]);
  answers.forEach((a, i) => assert.match(a, new RegExp(`Address: ${next(i).ip.replace(/\./g, '\\.')}\\b`), `${containers[i]} asking for ${next(i).name}: ${a}`));
  await allOk(containers, (n) => ['rm', '-f', n]);
  await daemon.ok(['network', 'rm', 'crowd']);
  await assertNothingLeft(running.map((c) => c.id), netId, rules);
});

/**
 * Starts `n` containers on `network` at once, made with `docker run`, or made first and then each
 * `docker start`ed; the network's removal is sent just before the starts (`created`: the starts are
 * on their way while it runs), or once the first run has answered (`run`). Returns what each start and the removal answered, and
 * the ids of the containers made.
 */
async function joinWhileRemoved(network: string, n: number, made: 'run' | 'created') {
  const containers = names(`${network}-`, n);
  const create = ['--label', LABEL, '--network', network, 'busybox', 'sleep', '600'];
  if (made === 'created') await allOk(containers, (name) => ['create', '--name', name, ...create]);
  const start = (name: string) => daemon.docker(made === 'run' ? ['run', '-d', '--name', name, ...create] : ['start', name]);
  const remove = () => daemon.api('DELETE', `/networks/${network}`);
  let starts: Promise<RunResult>[];
  let removal: Promise<{ status: number; body: string }>;
  if (made === 'created') {
    removal = remove();
    // Spawning the CLIs holds the event loop: let the request reach the daemon first.
    await new Promise((r) => setTimeout(r, 0));
    starts = containers.map(start);
  } else {
    starts = containers.map(start);
    removal = Promise.race(starts).then(remove);
  }
  const [results, removed] = await Promise.all([Promise.all(starts), removal]);
  const ids = (await daemon.ok(['ps', '-aq', '--no-trunc', '--filter', `label=${LABEL}`])).split('\n').filter(Boolean);
  return { results, removed, ids };
}

for (const when of ['as they start', 'after the first joined'] as const) {
  test(`a network removed while 20 containers join it (${when}): the removal is refused, or the starts fail; nothing half-joined or left`, async () => {
    const rules = await firewallRules(daemon);
    const network = when === 'as they start' ? 'fleeting' : 'held';
    await daemon.ok(['network', 'create', '--label', LABEL, network]);
    const netId = await networkId(network);
    const { results, removed, ids } = await joinWhileRemoved(network, 20, when === 'as they start' ? 'created' : 'run');
    const started = results.filter((r) => r.code === 0);
    if (removed.status === 204) {
      // Removed first: no container holds an endpoint on it, every start failed with Docker's message.
      assert.equal(started.length, 0, 'a container started on a removed network');
      for (const r of results) assert.match(r.stderr, new RegExp(`network ${network} not found`));
      assert.doesNotMatch(await daemon.ok(['network', 'ls', '--format', '{{.Name}}']), new RegExp(`^${network}$`, 'm'));
    } else {
      // Refused as dockerd refuses it: the network stays, with every container that joined it running on it.
      assert.equal(removed.status, 403, removed.body);
      assert.equal(JSON.parse(removed.body).message, `error while removing network: network ${network} id ${netId} has active endpoints`);
      assert.equal(started.length, results.length, results.map((r) => r.stderr).join(''));
      const members = Object.keys(JSON.parse(await daemon.ok(['network', 'inspect', network]))[0].Containers);
      assert.deepEqual(members.sort(), [...ids].sort());
    }
    if (when === 'after the first joined') assert.notEqual(removed.status, 204, 'removed under a running container');
    if (ids.length) await daemon.ok(['rm', '-f', ...ids]);
    if (removed.status !== 204) await daemon.ok(['network', 'rm', network]);
    await assertNothingLeft(ids, netId, rules);
    assert.deepEqual(await readdir(join(daemon.dataRoot, 'network', 'containers')), []);
  });
}
