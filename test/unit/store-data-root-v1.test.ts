// A data root written by the berthd before RecordStore (records without a schema version; the
// fixture was made by that version's stores) still loads, whole, in every store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ContainerStore } from '../../src/engine/containers/container-store.js';
import { NetworkStore } from '../../src/engine/network/network-store.js';
import { VolumeStore } from '../../src/engine/volumes/volume-store.js';
import { ImageStore } from '../../src/engine/images/image-store.js';
import { BuildCache } from '../../src/engine/build/build-cache.js';
import type { Logger } from '../../src/engine/base/log.js';
import { parseReference } from '../../src/lib/image-reference.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/data-root-v1', import.meta.url));
const IMAGE = 'sha256:3d1fe018d3770289e3b89c5700db7f3a648b0109acae5195ab287b0d16c17964';
const RETAINED = 'sha256:f470960f5b43d802f4db3bcac52fb3a3010cb0a79818988a038c68005a4d2139';
const CONTAINER = 'c'.repeat(64);
const NETWORK = 'a'.repeat(64);

test('every store loads a data root of the previous version, and writes it back in the new format', async () => {
  const root = await mkdtemp(join(tmpdir(), 'berth-data-root-v1-'));
  const messages: string[] = [];
  const log = { warn: (m: string) => messages.push(m), error: (m: string) => messages.push(m), info: () => {}, debug: () => {} } as unknown as Logger;
  try {
    await cp(FIXTURE, root, { recursive: true, verbatimSymlinks: true });
    // The runtime save of that version named its temp file so; one a crash left is cleaned.
    const oldTemp = join(root, 'network', 'containers', CONTAINER, 'network.json.4242.tmp');
    await writeFile(oldTemp, '{"id": "cc');

    const images = await ImageStore.open(join(root, 'image'), log);
    assert.equal((await images.resolve('fixture:v1')).id, IMAGE);
    assert.deepEqual(images.get(IMAGE).repoTags, ['fixture:v1']);
    assert.ok(images.refs.lastTagTime(IMAGE));
    assert.equal((await images.lowerDirs(RETAINED)).length, 1, 'the retained image keeps its layer');
    assert.equal(images.layerStore.all().length, 2);

    const containers = new ContainerStore(join(root, 'containers'), log);
    const { records, leftovers } = await containers.load();
    assert.deepEqual(leftovers, []);
    assert.deepEqual(records.map((r) => [r.id, r.name, r.image]), [[CONTAINER, '/fixture', IMAGE]]);

    const network = new NetworkStore(join(root, 'network'), log);
    assert.deepEqual((await network.loadNetworks()).map((n) => [n.id, n.name, n.subnet]), [[NETWORK, 'fixnet', '172.31.250.0/24']]);
    const [endpoint] = await network.loadContainers();
    assert.deepEqual(endpoint.networks, { [NETWORK]: { aliases: ['fix'] } });
    await assert.rejects(stat(oldTemp), { code: 'ENOENT' });
    assert.deepEqual(messages.splice(0), [`removing ${oldTemp}, left by a container network record write that did not finish`]);

    const volumes = await VolumeStore.open(join(root, 'volumes'), log);
    assert.deepEqual(volumes.get('fixvol').Labels, { kind: 'fixture' });
    assert.equal(await readFile(join(volumes.get('fixvol').Mountpoint, 'kept.txt'), 'utf8'), 'kept\n');

    const cache = await BuildCache.open(join(root, 'build', 'cache.json'), log);
    assert.equal(cache.lookup(images, 'f'.repeat(64)), IMAGE);

    // A write converts a record to the new format; it loads again.
    await containers.save(records[0]);
    await network.saveNetwork((await network.loadNetworks())[0]);
    await images.tag(IMAGE, parseReference('again:v2'));
    const file = JSON.parse(await readFile(join(root, 'containers', CONTAINER, 'container.json'), 'utf8')) as { schemaVersion: number };
    assert.equal(file.schemaVersion, 1);
    assert.equal((await new ContainerStore(join(root, 'containers'), log).load()).records[0].name, '/fixture');
    assert.equal((await new NetworkStore(join(root, 'network'), log).loadNetworks())[0].name, 'fixnet');
    assert.deepEqual((await ImageStore.open(join(root, 'image'), log)).get(IMAGE).repoTags.sort(), ['again:v2', 'fixture:v1']);
    assert.deepEqual(messages, [], 'nothing in the old data root may be reported as damaged');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
