// The docker run options Berth has long honoured, each seen from inside the container (or in what the
// client writes): --read-only, --dns/--dns-search/--dns-option, --add-host, --group-add, --hostname
// with --domainname, -e/--env, -w, -u, --label, --cidfile, and a refused --volume-driver.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

let daemon: TestDaemon;
let work: string;
before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
  work = await mkdtemp(join(tmpdir(), 'berth-run-basic-'));
});
after(async () => {
  await daemon.stop();
  await rm(work, { recursive: true, force: true });
});

test('--read-only: the root filesystem refuses writes; a --tmpfs path stays writable', async () => {
  const out = await daemon.ok(['run', '--rm', '--read-only', '--tmpfs', '/scratch', 'busybox', 'sh', '-c',
    'touch /x 2>&1; echo rc=$?; touch /scratch/y && echo tmpfs-ok']);
  assert.match(out, /Read-only file system/);
  assert.match(out, /rc=1/);
  assert.match(out, /tmpfs-ok/);
});

test('--dns, --dns-search and --dns-option are the container resolv.conf', async () => {
  const conf = await daemon.ok(['run', '--rm', '--dns', '192.0.2.53', '--dns-search', 'example.test', '--dns-option', 'ndots:3', 'busybox', 'cat', '/etc/resolv.conf']);
  assert.match(conf, /^nameserver 192\.0\.2\.53$/m);
  assert.match(conf, /^search example\.test$/m);
  assert.match(conf, /^options ndots:3$/m);
});

test('--add-host adds a line to /etc/hosts; --hostname and --domainname name the container', async () => {
  const hosts = await daemon.ok(['run', '--rm', '--add-host', 'db.test:192.0.2.7', 'busybox', 'cat', '/etc/hosts']);
  assert.match(hosts, /^192\.0\.2\.7\s+db\.test$/m);
  const names = await daemon.ok(['run', '--rm', '--hostname', 'web', '--domainname', 'example.test', 'busybox', 'sh', '-c', 'hostname; cat /proc/sys/kernel/domainname']);
  assert.equal(names, 'web\nexample.test\n');
});

test('--group-add adds supplementary groups; -u and -w set the user and working directory', async () => {
  assert.equal(await daemon.ok(['run', '--rm', '-u', '1000:1000', '--group-add', '4242', '-w', '/tmp', 'busybox', 'sh', '-c', 'id -u; id -G; pwd']),
    '1000\n1000 4242\n/tmp\n');
});

test('-e sets the environment; --label is in inspect; --cidfile gets the new ID', async () => {
  const cidfile = join(work, 'cid');
  await daemon.ok(['run', '-d', '--name', 'basic-env', '--cidfile', cidfile, '-e', 'GREETING=hi there', '--label', 'tier=web', 'busybox', 'sleep', '60']);
  try {
    const id = (await daemon.ok(['inspect', '-f', '{{.Id}}', 'basic-env'])).trim();
    assert.equal(await readFile(cidfile, 'utf8'), id);
    assert.equal(await daemon.ok(['exec', 'basic-env', 'sh', '-c', 'echo "$GREETING"']), 'hi there\n');
    assert.equal(await daemon.ok(['inspect', '-f', '{{index .Config.Labels "tier"}}', 'basic-env']), 'web\n');
  } finally {
    await daemon.ok(['rm', '-f', 'basic-env']);
  }
});

test('a volume driver other than local is refused with 404 naming the plugin, as dockerd; nothing is made', async () => {
  // (The docker CLI takes a 404 from create for a missing image and tries a pull: dockerd answers the same.)
  const r = await daemon.api('POST', '/v1.47/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { VolumeDriver: 'nfs-plugin', Binds: ['basicvol:/data'] } });
  assert.equal(r.status, 404, r.body);
  assert.match(JSON.parse(r.body).message, /plugin "nfs-plugin" not found/);
  assert.equal((await daemon.ok(['volume', 'ls', '-q'])).includes('basicvol'), false);
  assert.equal(await daemon.ok(['ps', '-aq']), '');
});
