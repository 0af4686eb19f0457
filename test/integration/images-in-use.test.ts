import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeBusyboxTar } from '../helpers/busybox.js';

let daemon: TestDaemon;
let busybox: { tar: string; cleanup: () => Promise<void> };
before(async () => {
  daemon = await startDaemon();
  busybox = await makeBusyboxTar();
});
after(async () => {
  await daemon.stop();
  await busybox.cleanup();
});

async function docker(args: string[]): Promise<string> {
  const r = await daemon.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

async function fails(args: string[], message: string): Promise<void> {
  const r = await daemon.docker(args);
  assert.equal(r.code, 1, `docker ${args.join(' ')} should fail`);
  assert.equal(r.stderr.trim(), `Error response from daemon: ${message}`);
}

async function layerDirs(): Promise<string[]> {
  return (await readdir(join(daemon.dataRoot, 'layers'))).filter((n) => /^[a-f0-9]{64}$/.test(n));
}

test('an image a stopped container uses is kept unless forced; forced, its layers stay until the container goes', async () => {
  const imageId = await docker(['import', '-c', 'LABEL use=stopped', busybox.tar, 'stopped:1']);
  const image = imageId.slice(7, 19);
  const container = (await docker(['create', 'stopped:1', 'true'])).slice(0, 12);

  await fails(['rmi', 'stopped:1'], `conflict: unable to remove repository reference "stopped:1" (must force) - container ${container} is using its referenced image ${image}`);
  await fails(['rmi', image], `conflict: unable to delete ${image} (must be forced) - image is being used by stopped container ${container}`);
  // A second name can go: the image stays named.
  await docker(['tag', 'stopped:1', 'stopped:2']);
  assert.equal(await docker(['rmi', 'stopped:2']), 'Untagged: stopped:2');

  assert.equal(await docker(['rmi', '-f', image]), `Untagged: stopped:1\nDeleted: ${imageId}`);
  assert.equal(await docker(['images', '-q', 'stopped']), '');
  assert.equal((await layerDirs()).length, 1);
  await docker(['rm', container]);
  assert.deepEqual(await layerDirs(), []);
});
