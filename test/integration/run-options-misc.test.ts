// docker run options that are neither security, resources, namespaces nor pause: --mac-address, --ip,
// --ip6, NetworkDisabled, --volumes-from, --platform, --stop-signal and --no-healthcheck, each seen
// from inside the container or refused with dockerd's words.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

let daemon: TestDaemon;
let work: string;
before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
  work = await mkdtemp(join(tmpdir(), 'berth-run-misc-'));
});
after(async () => {
  await daemon.stop();
  await rm(work, { recursive: true, force: true });
});

/** The docker CLI fails (any failure) with `message` on stderr. */
const refused = (args: string[], message: string | RegExp): Promise<void> => daemon.refused(args, message);

test('--mac-address: the interface has it, inspect shows it; a bad one is refused', async () => {
  assert.equal(await daemon.ok(['run', '--rm', '--mac-address', '02:42:AC:11:00:99', 'busybox', 'cat', '/sys/class/net/eth0/address']), '02:42:ac:11:00:99\n');
  await daemon.ok(['run', '-d', '--name', 'mac', '--mac-address', '02:42:ac:11:00:98', 'busybox', 'sleep', '60']);
  assert.equal(await daemon.ok(['inspect', '-f', '{{.NetworkSettings.MacAddress}} {{.NetworkSettings.Networks.bridge.MacAddress}}', 'mac']),
    '02:42:ac:11:00:98 02:42:ac:11:00:98\n');
  await daemon.ok(['rm', '-f', 'mac']);
  // Through the API: the endpoint's field, and the container-wide one of clients before API 1.44.
  const bad = await daemon.api('POST', '/v1.47/containers/create', { Image: 'busybox', NetworkingConfig: { EndpointsConfig: { bridge: { MacAddress: 'zz:42' } } } });
  assert.deepEqual([bad.status, JSON.parse(bad.body).message], [400, 'invalid config for network bridge: invalid MAC address zz:42']);
  const old = await daemon.api('POST', '/v1.41/containers/create?name=oldmac', { Image: 'busybox', Cmd: ['cat', '/sys/class/net/eth0/address'], MacAddress: '02:42:ac:11:00:97' });
  assert.equal(old.status, 201, old.body);
  assert.equal(await daemon.ok(['start', '-a', 'oldmac']), '02:42:ac:11:00:97\n');
  await daemon.ok(['rm', 'oldmac']);
  await refused(['run', '--rm', '--network', 'host', '--mac-address', '02:42:ac:11:00:96', 'busybox', 'true'], 'conflicting options: mac-address and the network mode');
});

test('--ip on a network with a subnet; --ip and --ip6 refused where dockerd refuses them', async () => {
  await daemon.ok(['network', 'create', '--subnet', '10.199.7.0/24', 'misc-net']);
  await daemon.ok(['network', 'create', 'misc-auto']);
  try {
    const addr = await daemon.ok(['run', '--rm', '--network', 'misc-net', '--ip', '10.199.7.50', '--mac-address', '02:42:0a:c7:07:99', 'busybox', 'ip', '-o', 'addr', 'show', 'eth0']);
    assert.match(addr, /inet 10\.199\.7\.50\/24 /);
    assert.equal(await daemon.ok(['run', '--rm', '--network', 'misc-net', '--mac-address', '02:42:0a:c7:07:99', 'busybox', 'cat', '/sys/class/net/eth0/address']), '02:42:0a:c7:07:99\n');
    await refused(['run', '--rm', '--ip', '172.28.0.50', 'busybox', 'true'], 'user specified IP address is supported on user defined networks only');
    await refused(['run', '--rm', '--ip6', 'fd00::5', 'busybox', 'true'], 'user specified IP address is supported on user defined networks only');
    await refused(['run', '--rm', '--network', 'misc-net', '--ip6', 'fd00::5', 'busybox', 'true'],
      'user specified IP address is supported only when connecting to networks with user configured subnets');
    await refused(['run', '--rm', '--network', 'misc-auto', '--ip', '172.28.0.50', 'busybox', 'true'],
      'user specified IP address is supported only when connecting to networks with user configured subnets');
    await refused(['run', '--rm', '--network', 'misc-net', '--ip', '10.200.0.5', 'busybox', 'true'], 'no configured subnet or ip-range contain the IP address 10.200.0.5');
    await refused(['create', '--network', 'name=misc-net,driver-opt=com.docker.network.endpoint.sysctls=net.ipv4.conf.IFNAME.log_martians=1', 'busybox', 'true'],
      /endpoint driver option com\.docker\.network\.endpoint\.sysctls is refused: berthd does not implement/);
  } finally {
    await daemon.ok(['network', 'rm', 'misc-net', 'misc-auto']);
  }
});

test('NetworkDisabled: the container sees loopback alone, inspect shows no network', async () => {
  const created = await daemon.api('POST', '/v1.47/containers/create?name=nonet', {
    Image: 'busybox', Cmd: ['sh', '-c', 'ls /sys/class/net'], NetworkDisabled: true,
  });
  assert.equal(created.status, 201, created.body);
  assert.equal(await daemon.ok(['start', '-a', 'nonet']), 'lo\n');
  assert.equal(await daemon.ok(['inspect', '-f', '{{json .NetworkSettings.Networks}} {{.Config.NetworkDisabled}}', 'nonet']), '{} true\n');
  await daemon.ok(['rm', 'nonet']);
});

test('--volumes-from: the other container\'s volumes and binds, with its mode unless :ro', async () => {
  const bind = join(work, 'bind');
  await mkdir(bind);
  await writeFile(join(bind, 'f'), 'from the host\n');
  await daemon.ok(['create', '--name', 'store', '-v', '/data', '-v', `${bind}:/bind:ro`, '-v', 'misc-vol:/named', '--tmpfs', '/scratch', 'busybox', 'true']);
  try {
    await daemon.ok(['run', '--rm', '--volumes-from', 'store', 'busybox', 'sh', '-c', 'echo kept > /data/x && echo named > /named/y']);
    const seen = await daemon.ok(['run', '--rm', '--volumes-from', 'store', 'busybox', 'sh', '-c',
      'cat /data/x /named/y /bind/f; touch /bind/g 2>/dev/null || echo bind ro; grep -c " /scratch " /proc/mounts || true']);
    assert.equal(seen, 'kept\nnamed\nfrom the host\nbind ro\n0\n');
    const ro = await daemon.docker(['run', '--rm', '--volumes-from', 'store:ro', 'busybox', 'sh', '-c', 'cat /data/x; touch /data/z']);
    assert.equal(ro.stdout, 'kept\n');
    assert.notEqual(ro.code, 0);
    // -v at the same destination wins over what --volumes-from brings.
    assert.equal(await daemon.ok(['run', '--rm', '--volumes-from', 'store', '-v', `${bind}:/data`, 'busybox', 'cat', '/data/f']), 'from the host\n');
    await daemon.ok(['create', '--name', 'reader', '--volumes-from', 'store:ro', 'busybox', 'true']);
    // Mounts in inspect have no set order (dockerd's come from a Go map): compare them sorted.
    const mounts = (await daemon.ok(['inspect', '-f', '{{range .Mounts}}{{.Destination}}:{{.RW}} {{end}}', 'reader'])).trim().split(' ').sort();
    assert.deepEqual(mounts, ['/bind:false', '/data:false', '/named:false']);
    assert.equal(await daemon.ok(['inspect', '-f', '{{json .HostConfig.VolumesFrom}}', 'reader']), '["store:ro"]\n');
    // rm -v of the borrower leaves the volume the owner still uses.
    await daemon.ok(['rm', '-v', 'reader']);
    assert.equal(await daemon.ok(['run', '--rm', '--volumes-from', 'store', 'busybox', 'cat', '/data/x']), 'kept\n');
    await refused(['run', '--rm', '--volumes-from', 'nosuch', 'busybox', 'true'], 'No such container: nosuch');
    await refused(['run', '--rm', '--volumes-from', 'store:xx', 'busybox', 'true'], 'invalid mode: xx');
  } finally {
    await daemon.docker(['rm', '-f', 'reader']);
    await daemon.ok(['rm', '-v', 'store']);
    await daemon.ok(['volume', 'rm', 'misc-vol']);
  }
});

/** An image whose config says arm64 (its files are the host's busybox): saved, rewritten and loaded. */
async function loadArm64Image(name: string): Promise<void> {
  const dir = join(work, 'arm64');
  await mkdir(dir);
  await daemon.ok(['save', '-o', join(work, 'busybox.tar'), 'busybox']);
  execFileSync('tar', ['-C', dir, '-xf', join(work, 'busybox.tar')]);
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as { Config: string; RepoTags: string[]; Layers: string[] }[];
  const config = JSON.parse(await readFile(join(dir, manifest[0]!.Config), 'utf8')) as { architecture: string };
  config.architecture = 'arm64';
  await writeFile(join(dir, 'arm64.json'), JSON.stringify(config));
  manifest[0] = { ...manifest[0]!, Config: 'arm64.json', RepoTags: [name] };
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(manifest));
  // Only manifest.json goes in (the docker-archive of Docker before 25), so load reads the new config.
  execFileSync('tar', ['-C', dir, '-cf', join(work, 'arm64.tar'), 'manifest.json', 'arm64.json', ...manifest[0].Layers]);
  await daemon.ok(['load', '-i', join(work, 'arm64.tar')]);
}

test('--platform: an image of another platform is refused as dockerd refuses it; a matching one runs', async () => {
  const wrong = await daemon.api('POST', '/v1.47/containers/create?platform=linux/arm64', { Image: 'busybox', Cmd: ['true'] });
  assert.deepEqual([wrong.status, JSON.parse(wrong.body).message],
    [404, 'image with reference busybox was found but does not match the specified platform: wanted linux/arm64, actual: linux/amd64']);
  const bad = await daemon.api('POST', '/v1.47/containers/create?platform=a/b/c/d', { Image: 'busybox', Cmd: ['true'] });
  assert.equal(bad.status, 400);
  // Before API 1.41 there was no such parameter: dockerd ignores it.
  const old = await daemon.api('POST', '/v1.40/containers/create?platform=linux/arm64', { Image: 'busybox', Cmd: ['true'] });
  assert.equal(old.status, 201, old.body);
  await daemon.ok(['rm', JSON.parse(old.body).Id]);
  assert.equal(await daemon.ok(['run', '--rm', '--platform', 'linux/amd64', 'busybox', 'echo', 'ok']), 'ok\n');
  await loadArm64Image('misc-arm64:latest');
  assert.match(await daemon.ok(['create', '--name', 'arm', '--platform', 'linux/arm64', 'misc-arm64', 'true']), /^[0-9a-f]{64}\n$/);
  await daemon.ok(['rm', 'arm']);
  await daemon.ok(['rmi', 'misc-arm64']);
});

test('--stop-signal: a bad signal is refused; --no-healthcheck is accepted and shown', async () => {
  await refused(['create', '--stop-signal', 'FOO', 'busybox', 'true'], 'Invalid signal: FOO');
  await refused(['create', '--stop-signal', '0', 'busybox', 'true'], 'Invalid signal: 0');
  await daemon.ok(['run', '--name', 'nohc', '--no-healthcheck', 'busybox', 'true']);
  assert.equal(await daemon.ok(['inspect', '-f', '{{json .Config.Healthcheck}}', 'nohc']), '{"Test":["NONE"]}\n');
  await daemon.ok(['rm', 'nohc']);
});

test('the berth CLI offers the same flags and sends what the docker CLI sends', async () => {
  const berth = async (args: string[]) => {
    const r = await daemon.berth(args);
    assert.equal(r.code, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  assert.equal(await berth(['run', '--rm', '--mac-address', '02:42:ac:11:00:55', 'busybox', 'cat', '/sys/class/net/eth0/address']), '02:42:ac:11:00:55\n');
  const ip6 = await daemon.berth(['run', '--rm', '--ip6', 'fd00::1', 'busybox', 'true']);
  assert.match(ip6.stderr, /user specified IP address is supported on user defined networks only/);
  await berth(['create', '--name', 'bsrc', '-v', '/d', 'busybox', 'true']);
  const ro = await daemon.berth(['run', '--rm', '--volumes-from', 'bsrc:ro', 'busybox', 'touch', '/d/x']);
  assert.match(ro.stderr, /Read-only file system/);
  await berth(['rm', '-v', 'bsrc']);
  await berth(['create', '--name', 'bnohc', '--no-healthcheck', 'busybox', 'true']);
  assert.equal(await daemon.ok(['inspect', '-f', '{{json .Config.Healthcheck}}', 'bnohc']), '{"Test":["NONE"]}\n');
  await berth(['rm', 'bnohc']);
});
