// Token auth (Docker registry token specification) with berth-registry's own token server:
// per-repository pull/push scopes from its ACL, checked by the registry offline.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SignJWT, importPKCS8 } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { freePort, spawnRegistry, tempDir, type RegistryProcess } from './helpers/registry.js';
import { makeLayout } from './helpers/oci-layout.js';

const exec = promisify(execFile);
let dir: string;
let reg: RegistryProcess;

async function token(user: string | undefined, password: string | undefined, scope: string): Promise<Response> {
  const headers: Record<string, string> = {};
  if (user) headers.Authorization = 'Basic ' + Buffer.from(`${user}:${password}`).toString('base64');
  return fetch(`${reg.url}/token?service=berth-test&scope=${encodeURIComponent(scope)}`, { headers });
}

async function bearer(user: string, password: string, scope: string): Promise<string> {
  const res = await token(user, password, scope);
  assert.equal(res.status, 200);
  return ((await res.json()) as { token: string }).token;
}

before(async () => {
  dir = tempDir();
  await exec('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
    '-subj', '/CN=berth token', '-keyout', join(dir, 'token.key'), '-out', join(dir, 'token.crt')]);
  await exec('htpasswd', ['-Bbc', join(dir, 'users'), 'alice', 'alice-pw']);
  await exec('htpasswd', ['-Bb', join(dir, 'users'), 'bob', 'bob-pw']);
  const port = await freePort();
  writeFileSync(join(dir, 'config.yml'), `
version: 0.1
storage:
  filesystem:
    rootdirectory: ${join(dir, 'data')}
http:
  addr: 127.0.0.1:${port}
auth:
  token:
    realm: http://127.0.0.1:${port}/token
    service: berth-test
    issuer: berth-test-issuer
    rootcertbundle: ${join(dir, 'token.crt')}
tokenserver:
  key: ${join(dir, 'token.key')}
  certificate: ${join(dir, 'token.crt')}
  htpasswd: ${join(dir, 'users')}
  acl:
    - { account: alice, name: "team/*", actions: [pull, push, delete] }
    - { account: bob, name: "team/*", actions: [pull] }
hub:
  admins: [alice]   # team/* is no one's own namespace
`);
  reg = await spawnRegistry({}, [join(dir, 'config.yml')], port);
});
after(async () => {
  await reg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('token auth', () => {
  it('anonymous requests get 401 with a Bearer challenge naming realm, service and scope', async () => {
    let res = await fetch(`${reg.url}/v2/`);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('www-authenticate'), `Bearer realm="${reg.url}/token",service="berth-test"`);
    await res.arrayBuffer();
    res = await fetch(`${reg.url}/v2/team/app/tags/list`);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate')!, /scope="repository:team\/app:pull"/);
    await res.arrayBuffer();
  });

  it('the token server refuses a wrong password (401) and grants the ACL intersection', async () => {
    let res = await token('bob', 'nope', 'repository:team/app:pull,push');
    assert.equal(res.status, 401);
    await res.arrayBuffer();
    const t = await bearer('bob', 'bob-pw', 'repository:team/app:pull,push');
    const claims = JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString());
    assert.deepEqual(claims.access, [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
    assert.equal(claims.aud, 'berth-test');
    assert.equal(claims.iss, 'berth-test-issuer');
    assert.equal(claims.sub, 'bob');
  });

  it('a user with pull scope cannot push: DENIED', async () => {
    const t = await bearer('bob', 'bob-pw', 'repository:team/app:pull,push');
    let res = await fetch(`${reg.url}/v2/team/app/blobs/uploads/`, { method: 'POST', headers: { Authorization: `Bearer ${t}` } });
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { errors: Array<{ code: string }> }).errors[0].code, 'DENIED');
    res = await fetch(`${reg.url}/v2/team/app/tags/list`, { headers: { Authorization: `Bearer ${t}` } });
    assert.equal(res.status, 404); // allowed to look; the repository does not exist yet
    await res.arrayBuffer();
  });

  it('a token for another repository gets a new challenge; a forged or foreign-signed token is refused', async () => {
    const t = await bearer('alice', 'alice-pw', 'repository:team/one:pull');
    let res = await fetch(`${reg.url}/v2/team/two/tags/list`, { headers: { Authorization: `Bearer ${t}` } });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate')!, /error="insufficient_scope"/);
    await res.arrayBuffer();
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const key = await importPKCS8(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 'ES256');
    const forged = await new SignJWT({ access: [{ type: 'repository', name: 'team/two', actions: ['pull', 'push'] }] })
      .setProtectedHeader({ alg: 'ES256' }).setIssuer('berth-test-issuer').setAudience('berth-test')
      .setSubject('mallory').setIssuedAt().setExpirationTime('5m').sign(key);
    res = await fetch(`${reg.url}/v2/team/two/tags/list`, { headers: { Authorization: `Bearer ${forged}` } });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate')!, /error="invalid_token"/);
    await res.arrayBuffer();
  });

  it('skopeo: alice pushes and bob pulls through the token flow; bob cannot push', async () => {
    const src = join(dir, 'layout');
    await makeLayout(src, 'v1', [10_000]);
    await exec('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', 'alice:alice-pw', `oci:${src}:v1`, `docker://${reg.host}/team/app:v1`]);
    const out = await exec('skopeo', ['inspect', '--tls-verify=false', '--creds', 'bob:bob-pw', `docker://${reg.host}/team/app:v1`]);
    assert.equal(JSON.parse(out.stdout).Name, `${reg.host}/team/app`);
    await assert.rejects(
      exec('skopeo', ['copy', '--dest-tls-verify=false', '--dest-creds', 'bob:bob-pw', `oci:${src}:v1`, `docker://${reg.host}/team/app:v2`]),
      /denied/i);
  });
});
