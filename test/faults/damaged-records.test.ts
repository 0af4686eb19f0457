// Damaged state on disk: a record of a container, an image, a network or a volume truncated to 20
// bytes while berthd is stopped. The daemon starts, names the file in its log, moves it aside
// (`<file>.damaged-<time>`), and lists and runs everything else; the next start says nothing of it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, truncate } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

let daemon: TestDaemon;
before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
});
after(async () => { await daemon?.stop(); });

/** The copies of `path` moved aside beside it. */
async function setAside(path: string): Promise<string[]> {
  return (await readdir(dirname(path))).filter((n) => n.startsWith(`${basename(path)}.damaged-`));
}

/** Stops berthd, truncates `files` to 20 bytes, starts berthd again; resolves with what it logged. */
async function restartWithDamaged(files: string[]): Promise<string> {
  await daemon.stopDaemon();
  for (const f of files) await truncate(f, 20);
  const from = daemon.output.length;
  await daemon.launch();
  return daemon.output.slice(from);
}

async function restart(): Promise<string> {
  return restartWithDamaged([]);
}

const lines = (text: string) => text.split('\n').filter(Boolean).sort();

test('a truncated container, image, network and volume record: the daemon starts without it and the others work', async () => {
  const data = daemon.dataRoot;
  await importBusybox(daemon, 'frt-img2:latest', ['ENV FRT=2']);
  const img2 = (await daemon.ok(['image', 'inspect', '-f', '{{.Id}}', 'frt-img2'])).trim().replace('sha256:', '');
  const c2 = (await daemon.ok(['create', '--name', 'frt-c2', 'busybox', 'true'])).trim();
  await daemon.ok(['create', '--name', 'frt-c1', 'busybox', 'echo', 'c1 runs']);
  await daemon.ok(['network', 'create', 'frt-n1']);
  const n2 = (await daemon.ok(['network', 'create', 'frt-n2'])).trim();
  await daemon.ok(['volume', 'create', 'frt-v1']);
  await daemon.ok(['volume', 'create', 'frt-v2']);
  await daemon.ok(['run', '--rm', '-v', 'frt-v2:/d', 'busybox', 'sh', '-c', 'echo kept > /d/f']);

  const damaged = [
    join(data, 'containers', c2, 'container.json'),
    join(data, 'image', 'images', `${img2}.json`),
    join(data, 'network', 'networks', `${n2}.json`),
    join(data, 'volumes', 'frt-v2', 'volume.json'),
  ];
  const log = await restartWithDamaged(damaged);
  for (const file of damaged) {
    assert.match(log, new RegExp(`record ${file} is damaged: .*moved aside to ${file}\\.damaged-`), `the log does not name ${file}:\n${log}`);
    assert.equal((await setAside(file)).length, 1, `${file} was not moved aside`);
  }

  // The others are listed and work.
  assert.deepEqual(lines(await daemon.ok(['ps', '-a', '--format', '{{.Names}}'])), ['frt-c1']);
  assert.equal((await daemon.docker(['start', '-a', 'frt-c1'])).stdout, 'c1 runs\n');
  // An image's record only adds to its content-addressed config: it is rebuilt, tag and layers kept.
  assert.match(log, new RegExp(`image sha256:${img2}: its record was damaged; rebuilt it`));
  assert.deepEqual(lines(await daemon.ok(['images', '--format', '{{.Repository}}'])), ['busybox', 'frt-img2']);
  assert.equal(await daemon.ok(['run', '--rm', 'frt-img2', 'sh', '-c', 'echo $FRT']), '2\n');
  assert.deepEqual(lines(await daemon.ok(['network', 'ls', '--format', '{{.Name}}'])), ['bridge', 'frt-n1', 'host', 'none']);
  assert.equal(await daemon.ok(['run', '--rm', '--network', 'frt-n1', 'busybox', 'echo', 'n1 works']), 'n1 works\n');
  // A volume's data outlives its record: it comes back as a plain local volume, as a directory without
  // a record does.
  assert.deepEqual(lines(await daemon.ok(['volume', 'ls', '--format', '{{.Name}}'])), ['frt-v1', 'frt-v2']);
  assert.equal(await daemon.ok(['run', '--rm', '-v', 'frt-v2:/d', '-v', 'frt-v1:/e', 'busybox', 'cat', '/d/f']), 'kept\n');

  // The next start does not report them again.
  const quiet = await restart();
  for (const file of damaged) assert.ok(!quiet.includes(file), `${file} was reported again:\n${quiet}`);
  assert.deepEqual(lines(await daemon.ok(['ps', '-a', '--format', '{{.Names}}'])), ['frt-c1']);

  await daemon.ok(['rm', 'frt-c1']);
  await daemon.ok(['network', 'rm', 'frt-n1']);
  await daemon.ok(['volume', 'rm', 'frt-v1', 'frt-v2']);
  await daemon.ok(['rmi', 'frt-img2']);
});

test('a truncated tags file: the daemon starts, the images stay (untagged) and run', async () => {
  await importBusybox(daemon, 'frt-tagged:latest', ['ENV FRT=3']);
  const id = (await daemon.ok(['image', 'inspect', '-f', '{{.Id}}', 'frt-tagged'])).trim();
  const tags = join(daemon.dataRoot, 'image', 'repositories.json');
  const log = await restartWithDamaged([tags]);
  assert.match(log, new RegExp(`record ${tags} is damaged: .*moved aside to ${tags}\\.damaged-`), log);
  assert.equal((await setAside(tags)).length, 1);
  assert.ok((await daemon.ok(['images', '-q', '--no-trunc'])).includes(id));
  assert.equal(await daemon.ok(['run', '--rm', id, 'echo', 'untagged runs']), 'untagged runs\n');
  // Tags can be given again, and are kept.
  await daemon.ok(['tag', id, 'frt-tagged:again']);
  assert.ok(!(await restart()).includes('damaged'));
  assert.equal((await daemon.ok(['images', '--format', '{{.Repository}}:{{.Tag}}', 'frt-tagged'])), 'frt-tagged:again\n');
});
