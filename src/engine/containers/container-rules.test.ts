import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { humanDuration } from '../../lib/human-duration.js';
import { initialState, setRestarting, setRunning, setStopped, stateName, statusText } from './container-state.js';
import { validateRestartPolicy } from './restart-policy.js';
import { randomName, validateName } from './names.js';
import { entrypointAndArgs, mergeImageConfig, runtimeEnv } from './image-merge.js';
import { parseSignal } from './signals.js';
import { parseCreateBody } from './create-body.js';
import { resolveUser } from './user-lookup.js';

test('humanDuration uses go-units thresholds', () => {
  const s = 1000;
  assert.equal(humanDuration(999), 'Less than a second');
  assert.equal(humanDuration(1 * s), '1 second');
  assert.equal(humanDuration(59 * s), '59 seconds');
  assert.equal(humanDuration(60 * s), 'About a minute');
  assert.equal(humanDuration(119 * s), 'About a minute');
  assert.equal(humanDuration(45 * 60 * s), '45 minutes');
  assert.equal(humanDuration(89 * 60 * s), 'About an hour');
  assert.equal(humanDuration(91 * 60 * s), '2 hours');
  assert.equal(humanDuration(47 * 3600 * s), '47 hours');
  assert.equal(humanDuration(3 * 24 * 3600 * s), '3 days');
  assert.equal(humanDuration(20 * 24 * 3600 * s), '2 weeks');
  assert.equal(humanDuration(90 * 24 * 3600 * s), '3 months');
  assert.equal(humanDuration(800 * 24 * 3600 * s), '2 years');
});

test('state names and status strings follow Docker', () => {
  const st = initialState();
  assert.equal(stateName(st), 'created');
  assert.equal(statusText(st), 'Created');
  const t0 = Date.parse('2030-01-01T00:00:00Z');
  setRunning(st, 42, new Date(t0));
  assert.equal(stateName(st), 'running');
  assert.equal(statusText(st, t0 + 3000), 'Up 3 seconds');
  setRestarting(st, { exitCode: 1, finishedAt: new Date(t0 + 5000), oomKilled: false });
  assert.equal(stateName(st), 'restarting');
  assert.equal(st.running, true);
  assert.equal(statusText(st, t0 + 5200), 'Restarting (1) Less than a second ago');
  setStopped(st, { exitCode: 1, finishedAt: new Date(t0 + 5000), oomKilled: false });
  assert.equal(stateName(st), 'exited');
  assert.equal(statusText(st, t0 + 30_000), 'Exited (1) 25 seconds ago');
});

test('restart policies: validation messages', () => {
  assert.throws(() => validateRestartPolicy({ Name: 'x' }), /^InvalidArgumentError: invalid restart policy 'x'$/);
  assert.throws(() => validateRestartPolicy({ Name: 'unless-stopped', MaximumRetryCount: 1 }), /maximum retry count cannot be used with restart policy 'unless-stopped'/);
  assert.deepEqual(validateRestartPolicy({ Name: 'on-failure', MaximumRetryCount: 2 }), { Name: 'on-failure', MaximumRetryCount: 2 });
});

test('names: Docker\'s pattern and messages; generated names are adjective_surname', () => {
  assert.equal(validateName('web-1.a_b'), '/web-1.a_b');
  assert.equal(validateName('/web'), '/web');
  for (const bad of ['a', '-x', 'x y', 'é1', '']) {
    assert.throws(() => validateName(bad), new RegExp(`Invalid container name \\(${bad}\\), only \\[a-zA-Z0-9\\]\\[a-zA-Z0-9_.-\\] are allowed`));
  }
  assert.match(randomName(), /^[a-z]+_[a-z]+$/);
  assert.match(randomName(3), /^[a-z]+_[a-z]+\d$/);
});

test('image config merging: Docker\'s rules for Cmd, Entrypoint, Env, Labels', () => {
  const image = { Cmd: ['sh'], Entrypoint: ['/init'], Env: ['PATH=/x', 'A=img'], Labels: { l: 'img', m: 'img' }, WorkingDir: '/w', User: 'u' };
  const base = () => parseCreateBody({ Image: 'i' }).config;

  const plain = base();
  mergeImageConfig(plain, image);
  assert.deepEqual(entrypointAndArgs(plain), { path: '/init', args: ['sh'] });
  assert.deepEqual(plain.Env, ['PATH=/x', 'A=img']);
  assert.equal(plain.WorkingDir, '/w');
  assert.equal(plain.User, 'u');

  const withCmd = { ...base(), Cmd: ['echo', 'hi'], Env: ['A=user'], Labels: { l: 'user' } };
  mergeImageConfig(withCmd, image);
  assert.deepEqual(entrypointAndArgs(withCmd), { path: '/init', args: ['echo', 'hi'] });
  assert.deepEqual(withCmd.Env, ['A=user', 'PATH=/x']);
  assert.deepEqual(withCmd.Labels, { l: 'user', m: 'img' });

  // --entrypoint drops the image's Cmd; --entrypoint "" drops the image's entrypoint too.
  const withEntrypoint = { ...base(), Entrypoint: ['ls'] };
  mergeImageConfig(withEntrypoint, image);
  assert.deepEqual(entrypointAndArgs(withEntrypoint), { path: 'ls', args: [] });
  const emptyEntrypoint = { ...base(), Entrypoint: [''], Cmd: ['date'] };
  mergeImageConfig(emptyEntrypoint, image);
  assert.deepEqual(entrypointAndArgs(emptyEntrypoint), { path: 'date', args: [] });
  const nothing = { ...base(), Entrypoint: [''] };
  assert.throws(() => mergeImageConfig(nothing, {}), /^InvalidArgumentError: No command specified$/);

  assert.deepEqual(runtimeEnv({ ...base(), Env: ['PATH=/mine', 'X=1'] }, 'h'), ['PATH=/mine', 'HOSTNAME=h', 'X=1']);
  assert.deepEqual(runtimeEnv({ ...base(), Tty: true, Env: null }, 'h', ['LINK=1']),
    ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=h', 'TERM=xterm', 'LINK=1']);
});

test('signals by name, number and SIG-less name; others refused', () => {
  assert.equal(parseSignal('SIGTERM'), 15);
  assert.equal(parseSignal('kill'), 9);
  assert.equal(parseSignal('10'), 10);
  assert.equal(parseSignal('SIGRTMIN+3'), 37);
  assert.throws(() => parseSignal('FOO'), /^InvalidArgumentError: Invalid signal: FOO$/);
  assert.throws(() => parseSignal('99'), /Invalid signal: 99/);
});

test('create bodies: Go-style type errors, StrSlice strings, defaults', () => {
  assert.throws(() => parseCreateBody({ Image: 'i', Cmd: [1] }), /cannot unmarshal number into Go struct field ContainerConfigWrapper.Cmd of type string/);
  assert.throws(() => parseCreateBody({ Image: 'i', Labels: { a: 1 } }), /ContainerConfigWrapper.Labels of type string/);
  assert.throws(() => parseCreateBody({ Image: 'i', HostConfig: { AutoRemove: 'yes' } }), /HostConfig.AutoRemove of type bool/);
  const req = parseCreateBody({ Image: 'i', Cmd: 'echo hi', HostConfig: { NetworkMode: '', ShmSize: 0 } });
  assert.deepEqual(req.config.Cmd, ['echo hi']);
  assert.equal(req.hostConfig.NetworkMode, 'default');
  assert.equal(req.hostConfig.ShmSize, 67108864);
  assert.deepEqual(req.hostConfig.RestartPolicy, { Name: 'no', MaximumRetryCount: 0 });
});

test('users resolve from the rootfs\'s passwd and group files', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-users-'));
  try {
    await mkdir(join(root, 'etc'));
    await writeFile(join(root, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n');
    await writeFile(join(root, 'etc/group'), 'root:x:0:\napp:x:1000:\nstaff:x:50:app,other\n');
    assert.deepEqual(await resolveUser(root, ''), { uid: 0, gid: 0, additionalGids: [], home: '/root' });
    assert.deepEqual(await resolveUser(root, 'app'), { uid: 1000, gid: 1000, additionalGids: [50], home: '/home/app' });
    assert.deepEqual(await resolveUser(root, 'app:staff'), { uid: 1000, gid: 50, additionalGids: [], home: '/home/app' });
    assert.deepEqual(await resolveUser(root, '4242:7'), { uid: 4242, gid: 7, additionalGids: [], home: '/' });
    await assert.rejects(resolveUser(root, 'ghost'), /unable to find user ghost: no matching entries in passwd file/);
    await assert.rejects(resolveUser(root, 'app:ghosts'), /unable to find group ghosts: no matching entries in group file/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('the passwd file is read through the rootfs\'s own links: an absolute link leads to the image\'s file, not the host\'s', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-users-'));
  try {
    await mkdir(join(root, 'etc'));
    await mkdir(join(root, 'usr/lib/berth-test'), { recursive: true });
    await writeFile(join(root, 'usr/lib/berth-test/passwd'), 'app:x:1234:1234::/home/app:/bin/sh\n');
    await symlink('/usr/lib/berth-test/passwd', join(root, 'etc/passwd'));
    assert.deepEqual(await resolveUser(root, 'app'), { uid: 1234, gid: 1234, additionalGids: [], home: '/home/app' });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
