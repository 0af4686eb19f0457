import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  identityFields, identityName, parseAuthorization, roleAtLeast, roleOf, type Identity,
} from '../../src/engine/base/access-roles.js';
import { AccessControl } from '../../src/engine/api/access-control.js';
import { maskEnv, maskUserinfo, viewerRedaction } from '../../src/engine/api/viewer-redaction.js';
import { checkTcpHosts, withTlsDefaults } from '../../src/engine/api/tcp-policy.js';
import { groupId } from '../../src/engine/api/socket-group.js';
import { defaultConfig } from '../../src/engine/base/config.js';

const RULES = { viewer: ['cn:alice'], operator: ['cn:ops', 'gid:1000', 'uid:1500'], admin: ['cn:admin', 'uid:0'] };
const unix = (uid: number, gid: number, groups: number[] = []): Identity => ({ kind: 'unix', uid, gid, pid: 42, groups });
const cert = (cn: string): Identity => ({ kind: 'certificate', cn, remote: '10.0.0.2:5555' });
const noLog = { warn: () => {} };

describe('authorization rules in daemon.json', () => {
  it('gives each identity its role: certificate CN, uid, primary or supplementary gid', () => {
    const rules = parseAuthorization(RULES);
    assert.equal(roleOf(rules, cert('alice')), 'viewer');
    assert.equal(roleOf(rules, cert('ops')), 'operator');
    assert.equal(roleOf(rules, cert('admin')), 'admin');
    assert.equal(roleOf(rules, unix(1500, 1500)), 'operator');
    assert.equal(roleOf(rules, unix(1001, 1000)), 'operator', 'primary group');
    assert.equal(roleOf(rules, unix(1001, 1001, [27, 1000])), 'operator', 'supplementary group');
  });

  it('refuses an identity no rule names, and one without an identity', () => {
    const rules = parseAuthorization(RULES);
    assert.equal(roleOf(rules, cert('mallory')), undefined);
    assert.equal(roleOf(rules, unix(1002, 1002, [27])), undefined);
    assert.equal(roleOf(rules, { kind: 'anonymous', remote: '1.2.3.4:1' }), undefined);
    assert.equal(roleOf(rules, { kind: 'unix-unknown' }), undefined);
    assert.equal(roleOf(rules, cert('uid:0')), undefined, 'a CN that looks like a rule is only a CN');
  });

  it('lets the strongest of several matching rules win; root on the unix socket is admin', () => {
    const rules = parseAuthorization({ viewer: ['uid:1001'], operator: ['gid:1000'] });
    assert.equal(roleOf(rules, unix(1001, 1000)), 'operator');
    assert.equal(roleOf(rules, unix(0, 0)), 'admin');
    assert.equal(roleOf(rules, cert('root')), undefined);
  });

  it('without an authorization section everyone is admin, as before', () => {
    assert.equal(parseAuthorization(undefined), undefined);
    assert.equal(roleOf(undefined, unix(1001, 1001)), 'admin');
    assert.equal(roleOf(undefined, { kind: 'anonymous', remote: '1.2.3.4:1' }), 'admin');
  });

  it('refuses unknown roles, malformed rules and one rule under two roles', () => {
    assert.throws(() => parseAuthorization({ superuser: ['cn:x'] }), /unknown role "superuser" \(roles: viewer, operator, admin\)/);
    assert.throws(() => parseAuthorization({ viewer: ['alice'] }), /"alice" under "viewer" is not cn:NAME, uid:N or gid:N/);
    assert.throws(() => parseAuthorization({ viewer: ['uid:bob'] }), /uid must be a number/);
    assert.throws(() => parseAuthorization({ viewer: 'cn:alice' }), /wants a list of identities/);
    assert.throws(() => parseAuthorization(['cn:alice']), /want an object/);
    assert.throws(() => parseAuthorization({ viewer: ['cn:x'], admin: ['cn:x'] }), /"cn:x" is listed under both "viewer" and "admin"/);
  });

  it('orders roles and names identities for messages and the audit log', () => {
    assert.ok(roleAtLeast('admin', 'operator') && roleAtLeast('operator', 'operator') && !roleAtLeast('viewer', 'operator'));
    assert.equal(identityName(cert('alice')), 'alice');
    assert.equal(identityName(unix(1001, 1000)), 'uid 1001');
    assert.deepEqual(identityFields(unix(1001, 1000, [27])), { uid: 1001, gid: 1000, pid: 42, groups: [27] });
    assert.deepEqual(identityFields(cert('alice')), { cn: 'alice', remote: '10.0.0.2:5555' });
  });
});

describe('access decisions', () => {
  const access = new AccessControl(parseAuthorization(RULES), noLog);
  const q = new URLSearchParams();

  it('names the identity, the role, the action and the route in a refusal', () => {
    const d = access.decide(cert('alice'), 'POST', '/containers/{id}/exec', q);
    assert.equal(d.allowed, false);
    assert.equal(d.refusal, 'authorization denied: alice (viewer) may not exec (POST /containers/{id}/exec)');
    assert.equal(access.decide(cert('ops'), 'DELETE', '/containers/{id:.*}', q).refusal,
      'authorization denied: ops (operator) may not rm (DELETE /containers/{id:.*})');
    assert.equal(access.decide(cert('nobody'), 'GET', '/_ping', q).refusal, 'authorization denied: nobody has no role (GET /_ping)');
  });

  it('lets a viewer read with Env masked, an operator exec and pull but not import', () => {
    const inspect = access.decide(cert('alice'), 'GET', '/containers/{id}/json', q);
    assert.equal(inspect.allowed, true);
    assert.deepEqual(inspect.redact!({ Config: { Env: ['A=secret', 'B'] }, Id: 'x' }), { Config: { Env: ['A=<masked>', 'B'] }, Id: 'x' });
    assert.equal(access.decide(cert('admin'), 'GET', '/containers/{id}/json', q).redact, undefined);
    assert.equal(access.decide(cert('ops'), 'POST', '/containers/{id}/exec', q).allowed, true);
    assert.equal(access.decide(cert('ops'), 'POST', '/images/create', new URLSearchParams('fromImage=busybox')).allowed, true);
    assert.equal(access.decide(cert('ops'), 'POST', '/images/create', new URLSearchParams('fromSrc=-')).refusal,
      'authorization denied: ops (operator) may not import (POST /images/create)');
  });

  it('treats a route missing from the table as admin-only', () => {
    assert.equal(access.decide(cert('ops'), 'POST', '/brand/new', q).refusal,
      'authorization denied: ops (operator) may not POST /brand/new (POST /brand/new)');
    assert.equal(access.decide(cert('admin'), 'POST', '/brand/new', q).allowed, true);
  });
});

describe('viewer redaction', () => {
  it('masks values of Env, keeps the names, and masks credentials in mirror URLs', () => {
    assert.deepEqual(maskEnv(['PASSWORD=hunter2', 'EMPTY=', 'PATH=/bin', 'INHERITED']), ['PASSWORD=<masked>', 'EMPTY=<masked>', 'PATH=<masked>', 'INHERITED']);
    assert.equal(maskUserinfo('https://bob:s3cret@mirror.example:5000/x'), 'https://<masked>@mirror.example:5000/x');
    assert.equal(maskUserinfo('https://mirror.example'), 'https://mirror.example');
    const info = viewerRedaction('GET', '/info')!({ RegistryConfig: { Mirrors: ['https://u:p@m.example'], IndexConfigs: {} }, Name: 'h' });
    assert.deepEqual(info, { RegistryConfig: { Mirrors: ['https://<masked>@m.example'], IndexConfigs: {} }, Name: 'h' });
    const image = viewerRedaction('GET', '/images/{name:.*}/json')!({ Config: { Env: ['K=v'] }, ContainerConfig: { Env: ['K=v'] } });
    assert.deepEqual(image, { Config: { Env: ['K=<masked>'] }, ContainerConfig: { Env: ['K=<masked>'] } });
  });
});

describe('plain TCP policy', () => {
  const config = (over: Partial<ReturnType<typeof defaultConfig>>) => ({ ...defaultConfig(), hosts: ['unix:///x.sock'], ...over });

  it('refuses tcp:// without --tlsverify, loopback included, with both fixes in the message', () => {
    for (const host of ['tcp://0.0.0.0:2375', 'tcp://127.0.0.1:2375', 'tcp://[::1]:2375']) {
      assert.throws(() => checkTcpHosts(config({ hosts: [host] }), noLog), (err: Error) => {
        assert.match(err.message, /without --tlsverify/);
        assert.match(err.message, /berth tls init/);
        assert.match(err.message, /--tls=false/);
        assert.match(err.message, /any web page/);
        return true;
      });
    }
    assert.throws(() => checkTcpHosts(config({ hosts: ['tcp://127.0.0.1:2376'], tls: true }), noLog), /--tls without --tlsverify encrypts/);
  });

  it('accepts --tlsverify, unix sockets, and plain TCP asked for by name (with warnings)', () => {
    const warnings: string[] = [];
    checkTcpHosts(config({ hosts: ['tcp://0.0.0.0:2376'], tlsVerify: true }), { warn: (m) => warnings.push(m) });
    checkTcpHosts(config({}), { warn: (m) => warnings.push(m) });
    assert.equal(warnings.length, 0);
    checkTcpHosts(config({ hosts: ['tcp://0.0.0.0:2375'], plainTcp: true }), { warn: (m) => warnings.push(m) });
    assert.match(warnings.join('\n'), /WITHOUT client authentication \(--tls=false\): anyone who can reach this address has root/);
  });

  it('takes the CA, certificate and key from /etc/berth/tls when --tlsverify names none', () => {
    const filled = withTlsDefaults(config({ tlsVerify: true, tlsCert: '/mine.pem' }));
    assert.equal(filled.tlsCaCert, '/etc/berth/tls/ca.pem');
    assert.equal(filled.tlsCert, '/mine.pem');
    assert.equal(filled.tlsKey, '/etc/berth/tls/server-key.pem');
    assert.equal(withTlsDefaults(config({})).tlsCert, undefined);
  });
});

describe('socket group', () => {
  it('finds a group by name or number', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-group-'));
    try {
      await writeFile(join(dir, 'group'), 'root:x:0:\ndocker:x:108:alice\nops:x:1000:\n');
      assert.equal(await groupId('docker', join(dir, 'group')), 108);
      assert.equal(await groupId('1234', join(dir, 'group')), 1234);
      assert.equal(await groupId('nope', join(dir, 'group')), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
