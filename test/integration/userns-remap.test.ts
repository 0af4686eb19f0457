import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

// berthd with `--userns-remap default`, checked as a user checks it: root in the container is an
// unprivileged uid in the host's /proc, files root makes on a bind mount belong to that uid, the image's
// files are root's inside, volumes and exec and health probes work, `--userns host` opts out.
// The test creates the dockremap user (and its /etc/subuid, /etc/subgid lines) when the host has none,
// and removes them afterwards.

const execFileAsync = promisify(execFile);
const REMAP_USER = 'dockremap';

let daemon: TestDaemon;
let dir: string;
let createdUser = false;
/** The host uid and gid of the containers' root: the first subordinate ids of dockremap. */
let rootUid = 0;
let rootGid = 0;

async function userExists(name: string): Promise<boolean> {
  return execFileAsync('getent', ['passwd', name]).then(() => true, () => false);
}

async function firstSubId(file: string): Promise<number> {
  const line = (await readFile(file, 'utf8')).split('\n').find((l) => l.startsWith(`${REMAP_USER}:`));
  assert.ok(line, `${file} has a range for ${REMAP_USER}`);
  return Number(line.split(':')[1]);
}

async function removeRemapUser(): Promise<void> {
  await execFileAsync('userdel', [REMAP_USER]).catch(() => undefined);
  await execFileAsync('groupdel', [REMAP_USER]).catch(() => undefined); // gone with the user on Debian
  for (const file of ['/etc/subuid', '/etc/subgid']) {
    const text = await readFile(file, 'utf8');
    const kept = text.split('\n').filter((l) => !l.startsWith(`${REMAP_USER}:`)).join('\n');
    if (kept !== text) await writeFile(file, kept);
  }
}

/** The effective uid of a process as the host sees it (/proc/<pid>/status). */
async function hostUid(pid: string): Promise<number> {
  const status = await readFile(`/proc/${pid.trim()}/status`, 'utf8');
  return Number(/^Uid:\s+\d+\s+(\d+)/m.exec(status)![1]);
}

before(async () => {
  createdUser = !(await userExists(REMAP_USER));
  dir = await mkdtemp(join(tmpdir(), 'berth-userns-'));
  // A data root the remapped root cannot pass through is refused at start, as dockerd refuses it.
  await assert.rejects(startDaemon({ dir, args: ['--userns-remap', 'default'] }),
    /a subdirectory in your graphroot path \(.*\/data\/\d+\.\d+\) restricts access to the remapped root uid\/gid; please fix by allowing 'o\+x' permissions on existing directories/);
  await chmod(dir, 0o711);
  daemon = await startDaemon({ dir, args: ['--userns-remap', 'default'] });
  rootUid = await firstSubId('/etc/subuid');
  rootGid = await firstSubId('/etc/subgid');
  await importBusybox(daemon);
});

after(async () => {
  await daemon?.stop();
  await rm(dir, { recursive: true, force: true });
  if (createdUser) await removeRemapUser();
});

test('docker info shows the remap: userns in the security options, the data root under <uid>.<gid>', async () => {
  const info = JSON.parse(await daemon.ok(['info', '--format', '{{json .}}']));
  assert.ok(info.SecurityOptions.includes('name=userns'), info.SecurityOptions);
  assert.equal(info.DockerRootDir, join(daemon.dataRoot, `${rootUid}.${rootGid}`));
  assert.match(await daemon.ok(['info']), /Security Options:[\s\S]*userns/);
});

test('root in the container is the first subordinate uid on the host; exec and health probes work', async () => {
  assert.equal((await daemon.ok(['run', '--rm', 'busybox', 'id', '-u'])).trim(), '0');
  await daemon.ok(['run', '-d', '--name', 'ur-top', '--health-cmd', 'test "$(id -u)" = 0', '--health-interval', '300ms', 'busybox', 'sleep', '300']);
  const pid = await daemon.ok(['inspect', '-f', '{{.State.Pid}}', 'ur-top']);
  assert.equal(await hostUid(pid), rootUid);
  assert.ok(rootUid >= 100000, `an unprivileged uid: ${rootUid}`);
  assert.equal((await daemon.ok(['exec', 'ur-top', 'id', '-u'])).trim(), '0');
  const execPid = (await daemon.ok(['exec', 'ur-top', 'sh', '-c', 'grep ^Uid /proc/self/status'])).trim();
  assert.match(execPid, /^Uid:\s+0\s+0/);
  for (let i = 0; ; i++) {
    const status = (await daemon.ok(['inspect', '-f', '{{.State.Health.Status}}', 'ur-top'])).trim();
    if (status === 'healthy') break;
    assert.notEqual(status, 'unhealthy');
    assert.ok(i < 100, `health stayed ${status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  await daemon.ok(['rm', '-f', 'ur-top']);
});

test('a file root makes on a bind mount is owned by the remapped uid on the host; the image\'s files are root\'s inside', async () => {
  const host = join(dir, 'bind', 'x');
  await daemon.ok(['run', '--rm', '-v', `${host}:/x`, 'busybox', 'touch', '/x/f']);
  const st = await stat(join(host, 'f'));
  assert.deepEqual([st.uid, st.gid], [rootUid, rootGid]);
  // The directory berthd made for the missing source belongs to the container's root, as dockerd makes it.
  assert.equal((await stat(host)).uid, rootUid);
  assert.equal((await daemon.ok(['run', '--rm', 'busybox', 'stat', '-c', '%u:%g', '/bin/busybox', '/'])).trim(), '0:0\n0:0');
});

test('a named volume written by one remapped container is read by the next; its data belongs to the remapped root', async () => {
  await daemon.ok(['run', '--rm', '-v', 'ur-vol:/data', 'busybox', 'sh', '-c', 'echo kept > /data/f']);
  assert.equal((await daemon.ok(['run', '--rm', '-v', 'ur-vol:/data', 'busybox', 'cat', '/data/f'])).trim(), 'kept');
  const mountpoint = (await daemon.ok(['volume', 'inspect', '-f', '{{.Mountpoint}}', 'ur-vol'])).trim();
  assert.equal((await stat(mountpoint)).uid, rootUid);
  assert.equal((await stat(join(mountpoint, 'f'))).uid, rootUid);
  await daemon.ok(['volume', 'rm', 'ur-vol']);
});

test('--userns host runs as the host\'s root; what a remapped root cannot do is refused in dockerd\'s words', async () => {
  await daemon.ok(['run', '-d', '--name', 'ur-host', '--userns', 'host', 'busybox', 'sleep', '300']);
  assert.equal(await hostUid(await daemon.ok(['inspect', '-f', '{{.State.Pid}}', 'ur-host'])), 0);
  await daemon.ok(['rm', '-f', 'ur-host']);
  assert.equal((await daemon.ok(['run', '--rm', '--privileged', '--userns', 'host', 'busybox', 'id', '-u'])).trim(), '0');
  await daemon.refused(['run', '--rm', '--privileged', 'busybox', 'true'],
    'privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode', 125);
  await daemon.refused(['run', '--rm', '--network', 'host', 'busybox', 'true'], "cannot share the host's network namespace when user namespaces are enabled", 125);
  await daemon.refused(['run', '--rm', '--pid', 'host', 'busybox', 'true'], 'cannot share the host PID namespace when user namespaces are enabled', 125);
});

test('a user without a group of its name, or without subordinate ranges, is refused at start in dockerd\'s words', async (t) => {
  const other = await mkdtemp(join(tmpdir(), 'berth-userns-refused-'));
  t.after(() => rm(other, { recursive: true, force: true }));
  await chmod(other, 0o711);
  const refused = async (spec: string, message: string) => {
    await assert.rejects(startDaemon({ dir: other, args: ['--userns-remap', spec] }), (err: Error) => err.message.includes(message));
  };
  await refused('berth-no-such-user', 'Error during uid lookup for "berth-no-such-user": no matching entries in passwd file');
  await refused('nobody', 'Error during gid lookup for "nobody": no matching entries in group file');
  await refused('nobody:nogroup', 'Can\'t create ID mappings: no subuid ranges found for user "nobody"');
  await refused('a:b:c', 'Invalid user/group specification in --userns-remap: "a:b:c"');
});

test('berth info shows the remap as docker info does', async () => {
  const r = await daemon.berth(['info']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /Security Options:[\s\S]*userns/);
  assert.ok(r.stdout.includes(`Docker Root Dir: ${join(daemon.dataRoot, `${rootUid}.${rootGid}`)}`), r.stdout);
});
