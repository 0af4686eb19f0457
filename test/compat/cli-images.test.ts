/**
 * berth against the docker CLI for images moving in and out: save/load, the legacy builder, image
 * prune, and login/push/pull against Debian's docker-registry with htpasswd.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDockerRegistry, type RegistryPeer } from '../helpers/distribution-peers.js';
import { Compat } from './cli-harness.js';

const c = new Compat(`bi${process.pid}`);
const P = c.prefix;
let IMAGE = '';
let dir = '';
let registry: RegistryPeer | undefined;
/** Each CLI keeps credentials in its own temp config directory. */
let env: Record<string, string> = {};

describe('berth save, load, build, login, push and pull print what docker prints', { timeout: 110_000 }, () => {
  before(async () => {
    await c.start();
    IMAGE = await c.importBusybox();
    dir = await mkdtemp(join(tmpdir(), 'berth-images-'));
    env = { DOCKER_CONFIG: join(dir, 'docker-config'), BERTH_CONFIG: join(dir, 'berth-config'), DOCKER_BUILDKIT: '0' };
    registry = await startDockerRegistry({ htpasswd: { user: 'alice', password: 'secret' } });
  });

  after(async () => {
    await registry?.stop();
    await c.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('saves and loads images the same way', async () => {
    const tar = join(dir, 'saved.tar');
    assert.equal((await c.berth(['save', '-o', tar, IMAGE])).code, 0);
    await c.same(['save', `${P}-nothing`]);
    await c.same(['tag', IMAGE, `${P}-loaded:v1`]);
    const saved2 = join(dir, 'saved2.tar');
    assert.equal((await c.berth(['save', '-o', saved2, `${P}-loaded:v1`])).code, 0);
    assert.equal((await c.docker(['rmi', `${P}-loaded:v1`])).code, 0);
    const loaded = await c.berth(['load', '-i', saved2]);
    assert.equal(loaded.stdout, `Loaded image: ${P}-loaded:v1\n`);
    await c.same(['load', '-i', saved2]);
    await c.same(['load', '-q', '-i', saved2]);
    await c.same(['load', '-i', join(dir, 'missing.tar')]);
    await c.same(['image', 'prune', '-f', '--filter', `label=${P}=none`]);
  });

  it('builds with the legacy builder, honouring .dockerignore and build args', async () => {
    const ctx = join(dir, 'ctx');
    await mkdir(join(ctx, 'sub'), { recursive: true });
    await writeFile(join(ctx, 'Dockerfile'), `FROM ${IMAGE}\nARG X=def\nRUN echo "x=$X" > /x\nCOPY . /ctx/\nCMD ["cat", "/x"]\n`);
    await writeFile(join(ctx, 'a.txt'), 'hi\n');
    await writeFile(join(ctx, 'sub', 'ignored.txt'), 'no\n');
    await writeFile(join(ctx, '.dockerignore'), 'sub/ignored.txt\n');
    await writeFile(join(ctx, 'Dockerfile.bad'), `FROM ${IMAGE}\nRUN exit 3\n`);
    const opts = { cwd: ctx, env };
    const built = await c.berth(['build', '--network', 'none', '--no-cache', '-t', `${P}-built:1`, '--build-arg', 'X=5', '.'], opts);
    assert.equal(built.code, 0, built.stderr);
    assert.match(built.stdout, /^Sending build context to Berth daemon {2}\d/);
    assert.match(built.stdout, /Step 1\/5 : FROM /);
    assert.match(built.stdout, /Successfully tagged /);
    const ran = await c.docker(['run', '--rm', '--network', 'none', `${P}-built:1`, 'sh', '-c', 'cat /x; ls /ctx /ctx/sub']);
    assert.equal(ran.stdout, 'x=5\n/ctx:\nDockerfile\nDockerfile.bad\na.txt\nsub\n\n/ctx/sub:\n');
    const quiet = await c.berth(['build', '--network', 'none', '-q', '.'], opts);
    assert.match(quiet.stdout, /^sha256:[0-9a-f]{64}\n$/);
    const failed = await c.berth(['build', '--network', 'none', '-f', 'Dockerfile.bad', '.'], opts);
    const dockerFailed = await c.docker(['build', '--network', 'none', '-f', 'Dockerfile.bad', '.'], opts);
    assert.equal(failed.code, dockerFailed.code);
    assert.equal(failed.stderr.split('\n').at(-2), dockerFailed.stderr.split('\n').at(-2));
    const missing = await c.berth(['build', '-f', 'nosuch', '.'], opts);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${join(ctx, 'nosuch')}: no such file or directory\n`);
  });

  it('logs in, pushes and pulls with credentials, as docker does', async () => {
    const server = registry!.host;
    const repo = `${server}/${P}/bb`;
    const opts = { env };
    assert.equal((await c.docker(['tag', IMAGE, `${repo}:v1`])).code, 0);
    await c.same(['push', `${repo}:v1`], opts);
    await c.same(['login', '--password-stdin', server], opts);
    await c.same(['login', '-u', 'alice', server], opts);
    const wrong = await c.same(['login', '-u', 'alice', '--password-stdin', server], { ...opts, input: 'wrong\n' });
    assert.equal(wrong.code, 1);
    const ok = await c.berth(['login', '-u', 'alice', '--password-stdin', server], { ...opts, input: 'secret\n' });
    assert.equal(ok.stdout, 'Login Succeeded\n', ok.stderr);
    assert.equal((await c.docker(['login', '-u', 'alice', '--password-stdin', server], { ...opts, input: 'secret\n' })).code, 0);
    const pushed = await c.berth(['push', `${repo}:v1`], opts);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.match(pushed.stdout, new RegExp(`^The push refers to repository \\[${repo.replace(/\./g, '\\.')}\\]\\n[0-9a-f]{12}: Preparing\\n[0-9a-f]{12}: (Pushed|Layer already exists)\\nv1: digest: sha256:[0-9a-f]{64} size: \\d+\\n$`));
    await c.same(['push', `${repo}:v1`], opts);
    for (const args of [['pull', `${repo}:v1`], ['pull', '-q', `${repo}:v1`]]) {
      assert.equal((await c.docker(['rmi', `${repo}:v1`])).code, 0);
      const d = await c.docker(args, opts);
      assert.equal((await c.docker(['rmi', `${repo}:v1`])).code, 0);
      const b = await c.berth(args, opts);
      assert.equal(b.stdout, d.stdout);
      assert.equal(b.code, d.code);
    }
    await c.same(['logout', server], opts);
    await c.same(['push', `${repo}:v1`], opts);
  });
});
