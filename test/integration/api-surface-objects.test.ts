/**
 * The rest of the API surface tools call, through the real docker CLI and raw API requests where a
 * client sends what the CLI does not: system df, swarm endpoints on an engine outside a swarm, image
 * inspect after commit, network names and endpoint settings, volume prune by API version, image
 * prune filters, a bad `docker load`, and build --cache-from.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

let daemon: TestDaemon;
let scratch: string;
before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
  scratch = await mkdtemp(join(tmpdir(), 'berth-surface-'));
});
after(async () => {
  await daemon.stop();
  await rm(scratch, { recursive: true, force: true });
});

async function ok(args: string[], env?: Record<string, string>): Promise<string> {
  const r = await daemon.docker(args, { env });
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('system df counts images, containers and volumes; -v lists each with its usage', async () => {
  await ok(['run', '-d', '--name', 'user', '-v', 'data:/data', 'busybox', 'sh', '-c', 'head -c 3000 /dev/zero > /data/f; sleep 300']);
  await new Promise((r) => setTimeout(r, 500));
  const df = await ok(['system', 'df', '--format', '{{.Type}} {{.TotalCount}} {{.Active}}']);
  assert.equal(df, 'Images 1 1\nContainers 1 1\nLocal Volumes 1 1\nBuild Cache 0 0\n');
  const verbose = await ok(['system', 'df', '-v']);
  assert.match(verbose, /^busybox +latest +[0-9a-f]{12} .* 1\n/m, 'the image, used by one container');
  assert.match(verbose, /^data +1 +3kB\n/m, 'the volume: one link, its size');
  assert.match(verbose, /^[0-9a-f]{12} +busybox .* user\n/m);
  const onlyVolumes = JSON.parse((await daemon.api('GET', '/v1.47/system/df?type=volume')).body);
  assert.deepEqual(Object.keys(onlyVolumes), ['Volumes']);
  assert.deepEqual(onlyVolumes.Volumes[0].UsageData, { Size: 3000, RefCount: 1 });
  assert.equal((await daemon.api('GET', '/v1.47/system/df?type=nothing')).status, 400);
  await ok(['rm', '-f', '-v', 'user']);
  await ok(['volume', 'rm', 'data']);
});

test('swarm endpoints answer as an engine that is not in a swarm', async () => {
  const leave = await daemon.docker(['swarm', 'leave']);
  assert.equal(leave.stderr, 'Error response from daemon: This node is not part of a swarm\n');
  const nodes = await daemon.docker(['node', 'ls']);
  assert.match(nodes.stderr, /This node is not a swarm manager\. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again\./);
  for (const [method, path] of [['GET', '/swarm'], ['GET', '/services'], ['POST', '/secrets/create'], ['DELETE', '/configs/x']]) {
    assert.equal((await daemon.api(method!, path!)).status, 503, `${method} ${path}`);
  }
  assert.equal((await daemon.api('POST', '/swarm/leave?force=1')).status, 503);
  assert.equal((await daemon.api('POST', '/swarm/init', {})).status, 501);
  assert.equal(await ok(['info', '-f', '{{.Swarm.LocalNodeState}}']), 'inactive\n');
});

test('image inspect after commit carries Container and ContainerConfig', async () => {
  await ok(['run', '--name', 'origin', '-e', 'X=1', '-l', 'l=v', 'busybox', 'touch', '/f']);
  const id = (await ok(['inspect', '-f', '{{.Id}}', 'origin'])).trim();
  await ok(['commit', 'origin', 'committed:1']);
  const image = JSON.parse((await daemon.api('GET', '/v1.47/images/committed:1/json')).body);
  assert.equal(image.Container, id);
  assert.deepEqual([image.ContainerConfig.Cmd, image.ContainerConfig.Env, image.ContainerConfig.Labels], [['touch', '/f'], ['X=1'], { l: 'v' }]);
  // an image no container made: absent from API 1.45 on, empty before (as dockerd 20.10 shows it)
  assert.equal('Container' in JSON.parse((await daemon.api('GET', '/v1.47/images/busybox/json')).body), false);
  const old = JSON.parse((await daemon.api('GET', '/v1.41/images/busybox/json')).body);
  assert.deepEqual([old.Container, old.ContainerConfig.Cmd], ['', null]);
  await ok(['rm', 'origin']);
  await ok(['rmi', 'committed:1']);
});

test('networks: every name dockerd accepts, CheckDuplicate false accepted, endpoint settings shown', async () => {
  for (const name of ['team/net one', 'UPPER:case', '-dash']) {
    const made = await daemon.api('POST', '/networks/create', { Name: name, CheckDuplicate: false });
    assert.equal(made.status, 201, made.body);
    assert.equal(await ok(['network', 'inspect', '-f', '{{.Name}}', '--', name]), `${name}\n`);
    assert.equal(await ok(['network', 'rm', '--', name]), `${name}\n`);
  }
  assert.deepEqual(await daemon.api('POST', '/networks/create', { Name: '' }), { status: 400, body: '{"message":"invalid name: "}\n' });
  await ok(['network', 'create', '--subnet', '10.213.0.0/24', 'ipnet']);
  await ok(['run', '-d', '--name', 'member', 'busybox', 'sleep', '300']);
  await ok(['network', 'connect', '--ip', '10.213.0.9', '--driver-opt', 'foo=bar', 'ipnet', 'member']);
  const ep = JSON.parse(await ok(['inspect', '-f', '{{json .NetworkSettings.Networks.ipnet}}', 'member']));
  assert.deepEqual([ep.IPAMConfig, ep.DriverOpts, ep.IPAddress], [{ IPv4Address: '10.213.0.9' }, { foo: 'bar' }, '10.213.0.9']);
  await ok(['network', 'create', 'other']);
  const linkLocal = await daemon.docker(['network', 'connect', '--link-local-ip', '169.254.9.9', 'other', 'member']);
  assert.match(linkLocal.stderr, /link-local IP addresses \(--link-local-ip\) are not supported by berthd/);
  await ok(['rm', '-f', 'member']);
  await ok(['network', 'rm', 'ipnet', 'other']);
});

test('volume prune: named volumes too for clients before API 1.42, only anonymous ones after', async () => {
  await ok(['volume', 'create', 'named']);
  const anonymous = (await ok(['create', '-v', '/anon', 'busybox', 'true'])).trim();
  await ok(['rm', anonymous]);
  const now = JSON.parse((await daemon.api('POST', '/v1.47/volumes/prune')).body);
  assert.equal(now.VolumesDeleted.length, 1);
  assert.notEqual(now.VolumesDeleted[0], 'named');
  const old = JSON.parse((await daemon.api('POST', '/v1.41/volumes/prune')).body);
  assert.deepEqual(old.VolumesDeleted, ['named']);
  assert.equal(await ok(['volume', 'ls', '-q']), '');
});

test('image prune honours --filter label and until', async () => {
  await ok(['run', '--name', 'src', 'busybox', 'true']);
  const a = (await ok(['commit', '-c', 'LABEL stage=a', 'src'])).trim();
  const b = (await ok(['commit', '-c', 'LABEL stage=b', 'src'])).trim();
  await ok(['rm', 'src']);
  assert.equal(await ok(['image', 'prune', '-f', '--filter', 'until=2000-01-01T00:00:00Z']), 'Total reclaimed space: 0B\n');
  const pruned = await ok(['image', 'prune', '-f', '--filter', 'label=stage=a']);
  assert.match(pruned, new RegExp(`deleted: ${a}`));
  assert.doesNotMatch(pruned, new RegExp(b.slice(7)));
  assert.equal(await ok(['images', '-q', '--no-trunc', '--filter', 'dangling=true']), `${b}\n`);
  await ok(['image', 'prune', '-f']);
});

test('docker load of a bad archive reports the error in the stream, worded as dockerd', async () => {
  const garbage = join(scratch, 'garbage.tar');
  await writeFile(garbage, 'not a tar at all\n');
  const r = await daemon.docker(['load', '-i', garbage]);
  assert.deepEqual([r.code, r.stderr], [1, 'Error processing tar file(exit status 1): unexpected EOF\n']);
  const raw = await daemon.api('POST', '/images/load', 'not a tar at all\n');
  assert.equal(raw.status, 200);
  assert.deepEqual(JSON.parse(raw.body), {
    errorDetail: { message: 'Error processing tar file(exit status 1): unexpected EOF' },
    error: 'Error processing tar file(exit status 1): unexpected EOF',
  });
});

test('build --cache-from an image that is not here uses no cache; from the built image, its steps', async () => {
  const ctx = join(scratch, 'ctx');
  await rm(ctx, { recursive: true, force: true });
  await mkdir(ctx);
  await writeFile(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo one > /one\nENV A=b\n');
  const env = { DOCKER_BUILDKIT: '0' };
  await ok(['build', '-q', '-t', 'cached:1', ctx], env);
  const cacheHits = async (args: string[]) => (await ok(['build', ...args, ctx], env)).split('\n').filter((l) => l.includes('Using cache')).length;
  assert.equal(await cacheHits(['--cache-from', 'nothing:here']), 0);
  assert.equal(await cacheHits(['--cache-from', 'cached:1']), 2);
  assert.equal(await cacheHits([]), 2);
  const berth = await daemon.berth(['build', '--cache-from', 'nothing:here', ctx]);
  assert.equal(berth.code, 0, berth.stderr);
  assert.doesNotMatch(berth.stdout, /Using cache/);
  await ok(['rmi', 'cached:1']);
  await ok(['image', 'prune', '-f']);
});
