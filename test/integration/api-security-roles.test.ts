import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, run, cleanupDir, ROOT, BERTH, DOCKER, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';
import { freePort } from '../helpers/ports.js';

// The session: `berth tls init`, berthd with --tlsverify and roles in daemon.json; a viewer,
// an operator and an admin certificate through the real docker CLI; a unix user whose supplementary
// group is an operator; every refusal in the audit log with the identity.

const suffix = `${process.pid % 100000}`;
const GROUP = `bthops${suffix}`;
const USER = `bthuser${suffix}`;

let work: string;
let certs: string;
let daemon: TestDaemon;
let port: number;
let opsGid: number;
let userCreated = false;
let groupCreated = false;

const buildAddon = async () => {
  const r = await run('bash', [join(ROOT, 'scripts', 'build-native.sh')]);
  assert.equal(r.code, 0, r.stderr);
};

const must = async (cmd: string, args: string[]) => {
  const r = await run(cmd, args);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

/** The docker CLI over TLS with the certificates in `dir` (DOCKER_CERT_PATH, DOCKER_TLS_VERIFY). */
const dockerAs = (dir: string, args: string[]) => run(DOCKER, ['-H', `tcp://127.0.0.1:${port}`, ...args], {
  env: { DOCKER_CERT_PATH: dir, DOCKER_TLS_VERIFY: '1', DOCKER_CONFIG: join(work, 'docker-config') },
});

/**
 * The docker CLI on the unix socket as the test user: with the groups the system gives it (the
 * operators' group as a supplementary group), or with the operators' group as its primary group only.
 */
const dockerAsUser = (args: string[], groups: 'supplementary' | 'primary') => run('setpriv', [
  `--reuid=${USER}`, ...(groups === 'supplementary' ? [`--regid=${USER}`, '--init-groups'] : [`--regid=${opsGid}`, '--clear-groups']),
  DOCKER, '-H', daemon.host, ...args,
], { env: { DOCKER_CONFIG: join(work, 'docker-config'), HOME: work } });

const auditLines = async () => (await readFile(join(work, 'audit.log'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-sec-roles-'));
  await buildAddon(); // the unix peer's uid/gid (npm run build does it; a bare tsc does not)
  await chmod(work, 0o711); // the test user must reach the socket inside
  await mkdir(join(work, 'docker-config'), { mode: 0o755 });
  certs = join(work, 'certs');
  await must(process.execPath, [BERTH, 'tls', 'init', '--out', certs]);
  for (const name of ['alice', 'ops']) await must(process.execPath, [BERTH, 'tls', 'client', name, '--ca-dir', certs, '--out', join(work, name)]);
  await must('groupadd', [GROUP]);
  groupCreated = true;
  opsGid = Number((await must('getent', ['group', GROUP])).split(':')[2]);
  await must('useradd', ['--no-create-home', '--shell', '/usr/sbin/nologin', '--groups', GROUP, USER]);
  userCreated = true;
  port = await freePort();
  const dir = join(work, 'daemon');
  await mkdir(dir, { mode: 0o711 });
  daemon = await startDaemon({
    dir,
    args: ['-H', `tcp://127.0.0.1:${port}`, '--tlsverify', '--tlscacert', join(certs, 'ca.pem'),
      '--tlscert', join(certs, 'server-cert.pem'), '--tlskey', join(certs, 'server-key.pem'),
      '--group', GROUP, '--audit-log', join(work, 'audit.log')],
    config: { authorization: { viewer: ['cn:alice'], operator: ['cn:ops', `gid:${opsGid}`], admin: ['cn:admin'] } },
  });
  await importBusybox(daemon);
  await daemon.ok(['run', '-d', '--name', 'web', '-e', 'DB_PASSWORD=hunter2', 'busybox', 'sleep', '300']);
});

after(async () => {
  if (daemon) await daemon.stop();
  if (userCreated) await run('userdel', [USER]);
  if (groupCreated) await run('groupdel', [GROUP]);
  if (work) await cleanupDir(work);
});

describe('mutual TLS', () => {
  it('lets the docker CLI in with the certificate of berth tls init', async () => {
    const r = await dockerAs(certs, ['ps', '--format', '{{.Names}}']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'web');
  });

  it('refuses a client without a certificate during the handshake', async () => {
    const empty = join(work, 'empty');
    await mkdir(empty);
    const r = await run(DOCKER, ['--tlsverify', '--tlscacert', join(certs, 'ca.pem'), '-H', `tcp://127.0.0.1:${port}`, 'ps'],
      { env: { DOCKER_CERT_PATH: empty, DOCKER_CONFIG: join(work, 'docker-config') } });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /tls: certificate required/);
  });

  it('refuses a certificate from another CA during the handshake', async () => {
    const other = join(work, 'other-ca');
    await must(process.execPath, [BERTH, 'tls', 'init', '--out', other]);
    const r = await run(DOCKER, ['--tlsverify', '--tlscacert', join(certs, 'ca.pem'), '--tlscert', join(other, 'cert.pem'),
      '--tlskey', join(other, 'key.pem'), '-H', `tcp://127.0.0.1:${port}`, 'ps'], { env: { DOCKER_CONFIG: join(work, 'docker-config') } });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /error during connect/);
    assert.doesNotMatch(r.stdout, /CONTAINER ID/);
  });

  it('serves berth with --tlsverify and the same files', async () => {
    const r = await run(process.execPath, ['--', BERTH, '--tlsverify', '-H', `tcp://127.0.0.1:${port}`, 'ps', '--format', '{{.Names}}'],
      { env: { DOCKER_CERT_PATH: certs } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'web');
  });
});

describe('roles', () => {
  it('lets a viewer list and inspect, with Env values masked', async () => {
    const ps = await dockerAs(join(work, 'alice'), ['ps', '--format', '{{.Names}}']);
    assert.equal(ps.code, 0, ps.stderr);
    assert.equal(ps.stdout.trim(), 'web');
    const inspect = await dockerAs(join(work, 'alice'), ['inspect', '--format', '{{json .Config.Env}}', 'web']);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.match(inspect.stdout, /"DB_PASSWORD=<masked>"/);
    assert.doesNotMatch(inspect.stdout, /hunter2/);
    const admin = await dockerAs(certs, ['inspect', '--format', '{{json .Config.Env}}', 'web']);
    assert.match(admin.stdout, /DB_PASSWORD=hunter2/);
  });

  it('refuses a viewer exec, run and rm with a 403 naming the role and the action', async () => {
    const alice = join(work, 'alice');
    const exec = await dockerAs(alice, ['exec', 'web', 'true']);
    assert.notEqual(exec.code, 0);
    assert.match(exec.stderr, /Error response from daemon: authorization denied: alice \(viewer\) may not exec \(POST \/containers\/\{id\}\/exec\)/);
    const runIt = await dockerAs(alice, ['run', '--rm', 'busybox', 'true']);
    assert.equal(runIt.code, 125);
    assert.match(runIt.stderr, /authorization denied: alice \(viewer\) may not create \(POST \/containers\/create\)/);
    const rm = await dockerAs(alice, ['rm', '-f', 'web']);
    assert.notEqual(rm.code, 0);
    assert.match(rm.stderr, /authorization denied: alice \(viewer\) may not rm/);
  });

  it('lets an operator exec, but not rm or run --privileged', async () => {
    const ops = join(work, 'ops');
    const exec = await dockerAs(ops, ['exec', 'web', 'echo', 'from-ops']);
    assert.equal(exec.code, 0, exec.stderr);
    assert.equal(exec.stdout.trim(), 'from-ops');
    const rm = await dockerAs(ops, ['rm', '-f', 'web']);
    assert.match(rm.stderr, /authorization denied: ops \(operator\) may not rm \(DELETE \/containers\/\{id:\.\*\}\)/);
    const privileged = await dockerAs(ops, ['run', '--rm', '--privileged', 'busybox', 'true']);
    assert.equal(privileged.code, 125);
    assert.match(privileged.stderr, /authorization denied: ops \(operator\) may not create/);
    assert.equal((await daemon.ok(['ps', '-q', '--filter', 'name=web'])).trim().length > 0, true, 'web is still there');
  });

  it('makes a unix user in the configured group an operator, as a supplementary or a primary group', async () => {
    const exec = await dockerAsUser(['exec', 'web', 'echo', 'from-unix'], 'supplementary');
    assert.equal(exec.code, 0, exec.stderr);
    assert.equal(exec.stdout.trim(), 'from-unix');
    const rm = await dockerAsUser(['rm', '-f', 'web'], 'supplementary');
    assert.match(rm.stderr, /authorization denied: uid \d+ \(operator\) may not rm/);
    const primary = await dockerAsUser(['ps', '--format', '{{.Names}}'], 'primary');
    assert.equal(primary.code, 0, primary.stderr);
    assert.equal(primary.stdout.trim(), 'web');
  });

  it('refuses a certificate of the CA whose CN has no role', async () => {
    await must(process.execPath, [BERTH, 'tls', 'client', 'mallory', '--ca-dir', certs, '--out', join(work, 'mallory')]);
    const r = await dockerAs(join(work, 'mallory'), ['ps']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /Error response from daemon: authorization denied: mallory has no role \(GET \/containers\/json\)/);
  });

  it('writes every refusal to the audit log with the identity and the role', async () => {
    const lines = await auditLines();
    const denied = lines.filter((l) => l.decision === 'denied');
    const find = (pred: (l: any) => boolean, what: string) => assert.ok(denied.some(pred), `${what} in ${JSON.stringify(denied)}`);
    find((l) => l.who.cn === 'alice' && l.role === 'viewer' && l.action === 'exec' && l.status === 403, 'alice exec');
    find((l) => l.who.cn === 'alice' && l.action === 'create', 'alice run');
    find((l) => l.who.cn === 'alice' && l.action === 'rm', 'alice rm');
    find((l) => l.who.cn === 'ops' && l.role === 'operator' && l.action === 'rm', 'ops rm');
    find((l) => l.who.cn === 'ops' && l.action === 'create', 'ops run --privileged');
    find((l) => l.who.cn === 'mallory' && l.role === null, 'mallory');
    find((l) => typeof l.who.uid === 'number' && l.who.uid !== 0 && l.who.groups.includes(opsGid) && l.role === 'operator' && l.action === 'rm', 'unix user rm');
    assert.ok(lines.some((l) => l.who.cn === 'ops' && l.action === 'exec' && l.decision === 'allowed'));
    for (const l of lines) assert.ok(l.who && l.decision, JSON.stringify(l));
  });
});
