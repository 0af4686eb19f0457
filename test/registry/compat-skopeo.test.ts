// skopeo (containers/image) against berth-registry: copy both ways between an OCI layout and the
// registry, inspect, list tags, delete.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { spawnRegistry, tempDir, type RegistryProcess } from './helpers/registry.js';
import { makeLayout } from './helpers/oci-layout.js';

const exec = promisify(execFile);
const skopeo = (...args: string[]) => exec('skopeo', args, { maxBuffer: 16 * 1024 * 1024 });

let reg: RegistryProcess;
let root: string;
let work: string;

before(async () => {
  root = tempDir();
  work = tempDir();
  reg = await spawnRegistry({ REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY: root, REGISTRY_STORAGE_DELETE_ENABLED: 'true' });
});
after(async () => {
  await reg.stop();
  rmSync(root, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

describe('skopeo', () => {
  it('copies an OCI layout to the registry and back, byte for byte', async () => {
    const src = join(work, 'src');
    const made = await makeLayout(src, '1.0', [300_000, 50_000, 1_000]);
    await skopeo('copy', '--dest-tls-verify=false', `oci:${src}:1.0`, `docker://${reg.host}/team/app:1.0`);
    const inspect = JSON.parse((await skopeo('inspect', '--tls-verify=false', `docker://${reg.host}/team/app:1.0`)).stdout);
    assert.equal(inspect.Digest, made.manifestDigest);
    assert.deepEqual(inspect.Layers, made.layers);

    const back = join(work, 'back');
    await skopeo('copy', '--src-tls-verify=false', `docker://${reg.host}/team/app:1.0`, `oci:${back}:copy`);
    const index = JSON.parse(readFileSync(join(back, 'index.json'), 'utf8'));
    assert.equal(index.manifests[0].digest, made.manifestDigest);
    for (const layer of made.layers) {
      const hex = layer.slice(7);
      assert.deepEqual(readFileSync(join(back, 'blobs/sha256', hex)), readFileSync(join(src, 'blobs/sha256', hex)));
    }
    assert.equal(readdirSync(join(back, 'blobs/sha256')).length, readdirSync(join(src, 'blobs/sha256')).length);
  });

  it('lists tags, copies within the registry (mount) and deletes', async () => {
    await skopeo('copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${reg.host}/team/app:1.0`, `docker://${reg.host}/team/app:latest`);
    await skopeo('copy', '--src-tls-verify=false', '--dest-tls-verify=false', `docker://${reg.host}/team/app:1.0`, `docker://${reg.host}/other/app:1.0`);
    const tags = JSON.parse((await skopeo('list-tags', '--tls-verify=false', `docker://${reg.host}/team/app`)).stdout);
    assert.deepEqual(tags.Tags, ['1.0', 'latest']);
    await skopeo('delete', '--tls-verify=false', `docker://${reg.host}/other/app:1.0`);
    await assert.rejects(skopeo('inspect', '--tls-verify=false', `docker://${reg.host}/other/app:1.0`), /manifest unknown|not found/i);
  });
});
