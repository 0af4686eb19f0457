import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { Logger } from '../../src/engine/base/log.js';
import { ImageStore } from '../../src/engine/images/image-store.js';
import { hostPlatform } from '../../src/engine/images/image-config.js';
import { imageHistory, imageInspect, containerConfigView } from '../../src/engine/images/image-views.js';
import { parseReference } from '../../src/lib/image-reference.js';

async function makeTar(files: Record<string, string>): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => { for await (const c of pack) chunks.push(c as Buffer); })();
  for (const [name, body] of Object.entries(files)) pack.entry({ name, mode: 0o644 }, body);
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const dir = await mkdtemp(join(tmpdir(), 'berth-views-'));
after(async () => { await rm(dir, { recursive: true, force: true }); });

test('history lists entries newest first, with layer sizes and empty layers at 0', async () => {
  const store = await ImageStore.open(join(dir, 'image'), new Logger('fatal'));
  const l1 = await store.registerLayer(Readable.from([await makeTar({ a: '12345' })]));
  const l2 = await store.registerLayer(Readable.from([await makeTar({ b: '12' })]), l1.chainId);
  const image = await store.addImage({
    ...hostPlatform(),
    rootfs: { type: 'layers', diff_ids: [l1.diffId, l2.diffId] },
    history: [
      { created: '2024-01-01T00:00:00Z', created_by: 'ADD rootfs' },
      { created: '2024-01-02T00:00:00Z', created_by: 'ENV A=b', empty_layer: true },
      { created: '2024-01-03T00:00:00Z', created_by: 'RUN make', comment: 'built' },
    ],
  });
  await store.tag(image.id, parseReference('app:1'));
  const history = imageHistory(store, store.get(image.id));
  assert.deepEqual(history, [
    { Comment: 'built', Created: 1704240000, CreatedBy: 'RUN make', Id: image.id, Size: 2, Tags: ['app:1'] },
    { Comment: '', Created: 1704153600, CreatedBy: 'ENV A=b', Id: '<missing>', Size: 0, Tags: null },
    { Comment: '', Created: 1704067200, CreatedBy: 'ADD rootfs', Id: '<missing>', Size: 5, Tags: null },
  ]);
  const inspect = imageInspect(store, store.get(image.id)) as { GraphDriver: { Data: Record<string, string> }; Size: number };
  assert.equal(inspect.Size, 7);
  assert.match(inspect.GraphDriver.Data.UpperDir, new RegExp(`${l2.chainId.slice(7)}/diff$`));
  assert.match(inspect.GraphDriver.Data.LowerDir, new RegExp(`${l1.chainId.slice(7)}/diff$`));
});

test('the config view has every container.Config field, with Docker\'s nulls', () => {
  const view = containerConfigView({ Cmd: ['sh'], ExposedPorts: { '80/tcp': {} } });
  assert.deepEqual(Object.keys(view), ['Hostname', 'Domainname', 'User', 'AttachStdin', 'AttachStdout', 'AttachStderr',
    'ExposedPorts', 'Tty', 'OpenStdin', 'StdinOnce', 'Env', 'Cmd', 'Image', 'Volumes', 'WorkingDir', 'Entrypoint', 'OnBuild', 'Labels']);
  assert.equal(view.Env, null);
  assert.deepEqual(view.Cmd, ['sh']);
});
