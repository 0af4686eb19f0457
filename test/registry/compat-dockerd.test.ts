// Debian's dockerd (20.10) against berth-registry: a user's session. Tag, push, remove, pull, run,
// and containerd's ctr pulls the result; then the same behind htpasswd auth with docker login.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, spawnRegistry, tempDir, type RegistryProcess } from './helpers/registry.js';
import { importBusybox, startDockerd, type Dockerd } from './helpers/dockerd.js';

const exec = promisify(execFile);
let dockerd: Dockerd;
const cleanups: Array<() => Promise<void> | void> = [];

before(async () => {
  dockerd = await startDockerd();
  await importBusybox(dockerd, 'busybox:latest');
}, { timeout: 120_000 });
after(async () => {
  for (const c of cleanups.reverse()) await c();
  await dockerd?.stop();
});

async function registry(env: Record<string, string>, port?: number): Promise<RegistryProcess> {
  const root = tempDir();
  const reg = await spawnRegistry({ REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: root, ...env }, [], port);
  cleanups.push(async () => { await reg.stop(); rmSync(root, { recursive: true, force: true }); });
  return reg;
}

describe('Debian dockerd', () => {
  it('tag, push, rmi, pull and run an image through berth-registry', async () => {
    const reg = await registry({});
    const image = `${reg.host}/team/app:1.0`;
    let r = await dockerd.docker(['tag', 'busybox:latest', image]);
    assert.equal(r.code, 0, r.stderr);
    r = await dockerd.docker(['push', image]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /1\.0: digest: sha256:[0-9a-f]{64}/);
    const pushedDigest = /digest: (sha256:[0-9a-f]{64})/.exec(r.stdout)![1];
    r = await dockerd.docker(['rmi', image]);
    assert.equal(r.code, 0, r.stderr);
    r = await dockerd.docker(['pull', image]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`Digest: ${pushedDigest}`));
    r = await dockerd.docker(['run', '--rm', '--network', 'none', image, 'busybox', 'echo', 'hello from the registry']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'hello from the registry');
    r = await dockerd.docker(['rmi', image]);
    assert.equal(r.code, 0, r.stderr);

    // containerd's own client pulls it too.
    r = await dockerd.ctr(['--namespace', 'berth-test', 'images', 'pull', '--plain-http', image]);
    assert.equal(r.code, 0, r.stderr);
    r = await dockerd.ctr(['--namespace', 'berth-test', 'images', 'ls', '-q']);
    assert.equal(r.stdout.trim(), image);
  });

  it('htpasswd: anonymous is refused, a wrong password fails docker login, the right one pushes and pulls', async () => {
    const dir = tempDir();
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const htpasswd = join(dir, 'htpasswd');
    await exec('htpasswd', ['-Bbc', htpasswd, 'alice', 's3cret']);
    const reg = await registry({ REGISTRY_AUTH: 'htpasswd', REGISTRY_AUTH_HTPASSWD_REALM: 'Berth Realm', REGISTRY_AUTH_HTPASSWD_PATH: htpasswd,
      // alice pushes team/*, outside her own namespace: as an admin of the hub.
      REGISTRY_HUB_ADMINS: 'alice' });

    const anon = await fetch(`${reg.url}/v2/`);
    assert.equal(anon.status, 401);
    assert.match(anon.headers.get('www-authenticate') ?? '', /^Basic realm="Berth Realm"/);
    assert.equal(((await anon.json()) as { errors: Array<{ code: string }> }).errors[0].code, 'UNAUTHORIZED');

    const image = `${reg.host}/team/private:1.0`;
    await dockerd.docker(['tag', 'busybox:latest', image]);
    let r = await dockerd.docker(['push', image]);
    assert.notEqual(r.code, 0, 'push without login must fail');
    r = await dockerd.docker(['login', '-u', 'alice', '--password-stdin', reg.host], Buffer.from('wrong'));
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /unauthorized|401/i);
    r = await dockerd.docker(['login', '-u', 'alice', '--password-stdin', reg.host], Buffer.from('s3cret'));
    assert.equal(r.code, 0, r.stderr);
    r = await dockerd.docker(['push', image]);
    assert.equal(r.code, 0, r.stderr);
    await dockerd.docker(['rmi', image]);
    r = await dockerd.docker(['pull', image]);
    assert.equal(r.code, 0, r.stderr);
    await dockerd.docker(['rmi', image]);
    await dockerd.docker(['logout', reg.host]);
  });

  it('token auth: docker login through the token server; a pull-only user cannot push (denied)', async () => {
    const dir = tempDir();
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    await exec('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=berth token', '-keyout', join(dir, 'token.key'), '-out', join(dir, 'token.crt')]);
    await exec('htpasswd', ['-Bbc', join(dir, 'users'), 'alice', 'alice-pw']);
    await exec('htpasswd', ['-Bb', join(dir, 'users'), 'bob', 'bob-pw']);
    const port = await freePort();
    const reg = await registry({
      REGISTRY_HTTP_ADDR: `127.0.0.1:${port}`,
      REGISTRY_AUTH: 'token', REGISTRY_AUTH_TOKEN_REALM: `http://127.0.0.1:${port}/token`, REGISTRY_AUTH_TOKEN_SERVICE: 'berth-test',
      REGISTRY_AUTH_TOKEN_ISSUER: 'berth-test', REGISTRY_AUTH_TOKEN_ROOTCERTBUNDLE: join(dir, 'token.crt'),
      REGISTRY_TOKENSERVER_KEY: join(dir, 'token.key'), REGISTRY_TOKENSERVER_CERTIFICATE: join(dir, 'token.crt'),
      REGISTRY_TOKENSERVER_HTPASSWD: join(dir, 'users'),
      REGISTRY_TOKENSERVER_ACL: '[{account: alice, name: "team/*", actions: [pull, push]}, {account: bob, name: "team/*", actions: [pull]}]',
      REGISTRY_HUB_ADMINS: 'alice',
    }, port);
    const image = `${reg.host}/team/tokened:1.0`;
    await dockerd.docker(['tag', 'busybox:latest', image]);
    let r = await dockerd.docker(['login', '-u', 'bob', '--password-stdin', reg.host], Buffer.from('wrong'));
    assert.notEqual(r.code, 0);
    r = await dockerd.docker(['login', '-u', 'alice', '--password-stdin', reg.host], Buffer.from('alice-pw'));
    assert.equal(r.code, 0, r.stderr);
    r = await dockerd.docker(['push', image]);
    assert.equal(r.code, 0, r.stderr);
    r = await dockerd.docker(['login', '-u', 'bob', '--password-stdin', reg.host], Buffer.from('bob-pw'));
    assert.equal(r.code, 0, r.stderr);
    await dockerd.docker(['tag', 'busybox:latest', `${reg.host}/team/tokened:2.0`]);
    r = await dockerd.docker(['push', `${reg.host}/team/tokened:2.0`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr + r.stdout, /denied/i);
    await dockerd.docker(['rmi', image, `${reg.host}/team/tokened:2.0`]);
    r = await dockerd.docker(['pull', image]);
    assert.equal(r.code, 0, r.stderr);
    await dockerd.docker(['rmi', image]);
    await dockerd.docker(['logout', reg.host]);
  });
});
