// Garbage collection: removes what no manifest references, never a blob a manifest (or an index, or a
// referrer) needs, nor one that a push in progress is about to use.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { garbageCollect } from '../../src/registry/gc.js';
import { ROOT, startTestRegistry, type TestRegistry } from './helpers/registry.js';
import { OCI_MANIFEST, pushBlob, pushImage, randomBlob, req, type Client } from './helpers/client.js';

const exec = promisify(execFile);
let reg: TestRegistry;
let c: Client;

/** Makes every blob and link look two hours old, as if the push that wrote it were long over. */
function ageLinks(root: string): void {
  const old = new Date(Date.now() - 2 * 3600_000);
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p); else if (e.name === 'link' || e.name === 'data') utimesSync(p, old, old);
    }
  };
  walk(join(root, 'docker/registry/v2/repositories'));
  walk(join(root, 'docker/registry/v2/blobs'));
}

async function status(name: string, digest: string): Promise<number> {
  const res = await req(c, 'HEAD', `/v2/${name}/blobs/${digest}`);
  return res.status;
}

before(async () => {
  reg = await startTestRegistry({ REGISTRY_STORAGE_DELETE_ENABLED: 'true' });
  c = { url: reg.url, headers: {} };
});
after(async () => { await reg.stop(); });

describe('garbage-collect', () => {
  let kept: Awaited<ReturnType<typeof pushImage>>;
  let untagged: Awaited<ReturnType<typeof pushImage>>;
  let signature: Awaited<ReturnType<typeof pushImage>>;
  let orphan: string;
  let uploading: string;
  let recent: string;

  before(async () => {
    kept = await pushImage(c, 'gc/app', 'v1');
    untagged = await pushImage(c, 'gc/app', 'v2');
    await req(c, 'DELETE', '/v2/gc/app/manifests/v2');
    signature = await pushImage(c, 'gc/app', `sha256-${kept.digest.slice(7)}.sig`.slice(0, 128), {
      extra: { subject: { mediaType: OCI_MANIFEST, digest: kept.digest, size: Buffer.byteLength(kept.body) } },
    });
    await req(c, 'DELETE', `/v2/gc/app/manifests/sha256-${kept.digest.slice(7)}.sig`.slice(0, 160));
    orphan = await pushBlob(c, 'gc/app', randomBlob(500));
    uploading = await pushBlob(c, 'gc/busy', randomBlob(600));
    const res = await req(c, 'POST', '/v2/gc/busy/blobs/uploads/');
    assert.equal(res.status, 202);
    ageLinks(reg.root);
    recent = await pushBlob(c, 'gc/fresh', randomBlob(700));
  });

  it('--dry-run (through the bin) reports and deletes nothing', async () => {
    const out = await exec(process.execPath, ['--import', 'tsx', join(ROOT, 'src/registry/main.ts'), 'garbage-collect', '--dry-run', '--delete-untagged'],
      { env: { ...process.env, REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: reg.root, REGISTRY_HTTP_ADDR: '127.0.0.1:0' } });
    assert.match(out.stdout, new RegExp(`blob ${orphan} is unreferenced \\(would delete\\)`));
    assert.match(out.stdout, new RegExp(`manifest ${untagged.digest} is untagged \\(would delete\\)`));
    assert.equal(await status('gc/app', orphan), 200);
  });

  it('deletes unreferenced blobs, keeping those of every manifest and of pushes in progress', async () => {
    const result = await garbageCollect(reg.registry, {});
    assert.ok(result.deletedBlobs.includes(orphan));
    assert.equal(await status('gc/app', orphan), 404);
    for (const d of [kept.digest, ...kept.layers, untagged.digest, ...untagged.layers, signature.digest]) {
      assert.ok(!result.deletedBlobs.includes(d), d);
    }
    assert.equal(await status('gc/busy', uploading), 200, 'a repository with an open upload keeps its blobs');
    assert.equal(await status('gc/fresh', recent), 200, 'a blob pushed moments ago waits for its manifest');
  });

  it('--delete-untagged also removes manifests no tag reaches, but keeps referrers of tagged ones', async () => {
    const result = await garbageCollect(reg.registry, { deleteUntagged: true });
    assert.deepEqual(result.deletedManifests.map((m) => m.digest), [untagged.digest]);
    let res = await req(c, 'GET', `/v2/gc/app/manifests/${untagged.digest}`);
    assert.equal(res.status, 404);
    await res.arrayBuffer();
    assert.equal(await status('gc/app', untagged.layers[0]), 404);
    res = await req(c, 'GET', '/v2/gc/app/manifests/v1');
    assert.equal(await res.text(), kept.body);
    assert.equal(await status('gc/app', kept.layers[0]), 200);
    res = await req(c, 'GET', `/v2/gc/app/manifests/${signature.digest}`);
    assert.equal(res.status, 200, 'the signature of a kept image stays');
    await res.arrayBuffer();
  });

  it('removes uploads abandoned for a week, and then no longer keeps their repository\'s blobs for them', async () => {
    const uploadsDir = join(reg.root, 'docker/registry/v2/repositories/gc/busy/_uploads');
    const [id] = readdirSync(uploadsDir);
    writeFileSync(join(uploadsDir, id, 'startedat'), new Date(Date.now() - 8 * 24 * 3600_000).toISOString());
    const result = await garbageCollect(reg.registry, {});
    assert.deepEqual(result.purgedUploads, [{ repository: 'gc/busy', id }]);
    assert.equal(existsSync(join(uploadsDir, id)), false);
    assert.ok(result.deletedBlobs.includes(uploading));
    const res = await req(c, 'GET', `/v2/gc/busy/blobs/uploads/${id}`);
    assert.equal(res.status, 404);
    await res.arrayBuffer();
  });
});
