// What survives: a restart keeps everything; kill -9 in the middle of a push never leaves a partial
// blob to be served, and the push succeeds when retried (from scratch, or resumed where it stopped).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { freePort, spawnRegistry, tempDir } from './helpers/registry.js';
import { makeLayout } from './helpers/oci-layout.js';
import { errorCode, pushImage, req } from './helpers/client.js';

const exec = promisify(execFile);
const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

function uploadBytesOnDisk(root: string): number {
  let total = 0;
  const walk = (d: string) => {
    let entries;
    try { entries = readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p); else if (p.includes('/_uploads/') && e.name === 'data') total += statSync(p).size;
    }
  };
  walk(join(root, 'docker/registry/v2/repositories'));
  return total;
}

describe('durability', () => {
  it('a restarted registry still serves every image, tag and blob', async () => {
    const root = tempDir();
    const work = tempDir();
    dirs.push(root, work);
    const port = await freePort();
    const env = { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: root };
    let reg = await spawnRegistry(env, [], port);
    const made = await makeLayout(join(work, 'src'), '1.0', [100_000, 2_000]);
    await exec('skopeo', ['copy', '--dest-tls-verify=false', `oci:${join(work, 'src')}:1.0`, `docker://${reg.host}/team/app:1.0`]);
    const img = await pushImage({ url: reg.url, headers: {} }, 'team/other', 'v2');
    await reg.stop();

    reg = await spawnRegistry(env, [], port);
    try {
      const c = { url: reg.url, headers: {} };
      assert.deepEqual(await (await req(c, 'GET', '/v2/_catalog')).json(), { repositories: ['team/app', 'team/other'] });
      const res = await req(c, 'GET', '/v2/team/other/manifests/v2');
      assert.equal(await res.text(), img.body);
      await exec('skopeo', ['copy', '--src-tls-verify=false', `docker://${reg.host}/team/app:1.0`, `oci:${join(work, 'back')}:x`]);
      const out = await exec('skopeo', ['inspect', '--tls-verify=false', `docker://${reg.host}/team/app:1.0`]);
      assert.equal(JSON.parse(out.stdout).Digest, made.manifestDigest);
    } finally {
      await reg.stop();
    }
  });

  it('kill -9 during a blob push: no partial blob is served; the push succeeds when retried', async () => {
    const root = tempDir();
    dirs.push(root);
    const port = await freePort();
    const env = { REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: root };
    let reg = await spawnRegistry(env, [], port);
    const data = randomBytes(32 * 1024 * 1024);
    const digest = 'sha256:' + createHash('sha256').update(data).digest('hex');
    let c = { url: reg.url, headers: {} };
    const location = (await req(c, 'POST', '/v2/team/app/blobs/uploads/')).headers.get('location')!;

    // Stream the blob slowly; kill the registry once part of it is on disk.
    const upload = new Promise<void>((resolve) => {
      const r = request({ host: '127.0.0.1', port, method: 'PATCH', path: location, headers: { 'Content-Type': 'application/octet-stream' } });
      r.on('error', () => resolve());
      r.on('response', (res) => { res.resume(); resolve(); });
      let off = 0;
      const step = () => {
        if (off >= data.length) { r.end(); return; }
        r.write(data.subarray(off, off + 256 * 1024), () => setTimeout(step, 2));
        off += 256 * 1024;
      };
      step();
    });
    for (let i = 0; i < 400 && uploadBytesOnDisk(root) < 1024 * 1024; i++) await new Promise((r) => setTimeout(r, 10));
    assert.ok(uploadBytesOnDisk(root) > 0, 'part of the upload reached the disk');
    await reg.stop(true);
    await upload;

    reg = await spawnRegistry(env, [], port);
    c = { url: reg.url, headers: {} };
    try {
      let res = await req(c, 'HEAD', `/v2/team/app/blobs/${digest}`);
      assert.equal(res.status, 404);
      res = await req(c, 'GET', `/v2/team/app/blobs/${digest}`);
      assert.equal(await errorCode(res), 'BLOB_UNKNOWN');
      assert.deepEqual(readdirSync(join(root, 'docker/registry/v2')).includes('blobs') ? readdirSync(join(root, 'docker/registry/v2/blobs')) : [], []);

      // Resume the interrupted upload where the registry says it stopped.
      res = await req(c, 'GET', location);
      assert.equal(res.status, 204);
      const have = Number(res.headers.get('range')!.split('-')[1]) + 1;
      assert.ok(have > 0 && have < data.length, `resumes from ${have}`);
      res = await req(c, 'PATCH', location, { body: data.subarray(have), headers: { 'Content-Range': `${have}-${data.length - 1}` } });
      assert.equal(res.status, 202);
      res = await req(c, 'PUT', `${location}?digest=${digest}`);
      assert.equal(res.status, 201);
      res = await req(c, 'GET', `/v2/team/app/blobs/${digest}`);
      const back = Buffer.from(await res.arrayBuffer());
      assert.equal('sha256:' + createHash('sha256').update(back).digest('hex'), digest);

      // A retry from scratch (what docker does) works as well.
      res = await req(c, 'POST', `/v2/team/again/blobs/uploads/?digest=${digest}`, { body: data });
      assert.equal(res.status, 201);
    } finally {
      await reg.stop();
    }
  });
});
