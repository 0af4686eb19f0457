import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tar from 'tar-stream';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeBusyboxTar } from '../helpers/busybox.js';

let daemon: TestDaemon;
let busybox: { tar: string; cleanup: () => Promise<void> };
let scratch: string;

before(async () => {
  daemon = await startDaemon();
  busybox = await makeBusyboxTar();
  scratch = await mkdtemp(join(tmpdir(), 'berth-images-'));
});
after(async () => {
  await daemon.stop();
  await busybox.cleanup();
  await rm(scratch, { recursive: true, force: true });
});

async function docker(args: string[]): Promise<string> {
  const r = await daemon.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

async function hostileTar(name: string, entries: (Partial<tar.Header> & { name: string })[]): Promise<string> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = (async () => { for await (const c of pack) chunks.push(c as Buffer); })();
  for (const e of entries) {
    if (e.type === 'symlink' || e.type === 'link') pack.entry({ mode: 0o644, ...e });
    else pack.entry({ mode: 0o644, ...e }, 'x');
  }
  pack.finalize();
  await done;
  const path = join(scratch, name);
  await writeFile(path, Buffer.concat(chunks));
  return path;
}

test('docker import with changes makes an image that images, inspect and history show', async () => {
  const out = await docker(['import', '-c', 'CMD ["sh"]', '-c', 'EXPOSE 80', '-c', 'ENV A=b', '-m', 'rootfs from busybox', busybox.tar, 'bb:1']);
  assert.match(out, /^sha256:[a-f0-9]{64}$/);
  const id = out.slice(7, 19);
  assert.equal(await docker(['images', '--format', '{{.Repository}}:{{.Tag}} {{.ID}}', 'bb']), `bb:1 ${id}`);
  assert.equal(await docker(['inspect', '-f', '{{.Config.Cmd}} {{.Config.Env}} {{json .Config.ExposedPorts}} {{.Os}}', 'bb:1']), '[sh] [A=b] {"80/tcp":{}} linux');
  const history = await docker(['history', '--format', '{{.ID}} {{.Comment}}', 'bb:1']);
  assert.equal(history, `${id} rootfs from busybox`);
  const size = Number(await docker(['inspect', '-f', '{{.Size}}', 'bb:1']));
  assert.ok(size > 500_000, `busybox image size ${size}`);
});

test('a gzip-compressed archive imports to the same layer as the plain one', async () => {
  const { execFileSync } = await import('node:child_process');
  const gz = join(scratch, 'busybox.tar.gz');
  execFileSync('sh', ['-c', `gzip -c ${busybox.tar} > ${gz}`]);
  await docker(['import', gz, 'bbgz:1']);
  const layers = await docker(['inspect', '-f', '{{json .RootFS.Layers}}', 'bbgz:1']);
  assert.equal(layers, await docker(['inspect', '-f', '{{json .RootFS.Layers}}', 'bb:1']));
  await docker(['rmi', 'bbgz:1']);
});

test('docker tag adds a name; rmi of one of two names only untags; rmi of the last deletes', async () => {
  await docker(['import', busybox.tar, 'tagme:1']);
  const id = await docker(['inspect', '-f', '{{.Id}}', 'tagme:1']);
  await docker(['tag', 'tagme:1', 'localhost:5000/team/tagme:2.0']);
  assert.equal(await docker(['inspect', '-f', '{{.Id}}', 'localhost:5000/team/tagme:2.0']), id);
  assert.equal(await docker(['inspect', '-f', '{{json .RepoTags}}', id]), '["tagme:1","localhost:5000/team/tagme:2.0"]');

  const byId = await daemon.docker(['rmi', id.slice(7, 19)]);
  assert.equal(byId.code, 1);
  assert.equal(byId.stderr.trim(), `Error response from daemon: conflict: unable to delete ${id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`);

  assert.equal(await docker(['rmi', 'tagme:1']), 'Untagged: tagme:1');
  const last = await docker(['rmi', 'localhost:5000/team/tagme:2.0']);
  assert.match(last, new RegExp(`^Untagged: localhost:5000/team/tagme:2.0\nDeleted: ${id}$`));
  assert.equal(await docker(['images', '-q', 'tagme']), '');
});

test('rmi by ID with force removes every name; the shared layer stays while another image uses it', async () => {
  await docker(['import', busybox.tar, 'force:1']);
  const id = await docker(['inspect', '-f', '{{.Id}}', 'force:1']);
  await docker(['tag', 'force:1', 'force2:1']);
  const out = await docker(['rmi', '-f', id]);
  assert.equal(out, `Untagged: force2:1\nUntagged: force:1\nDeleted: ${id}`);
  assert.equal(await docker(['inspect', '-f', '{{.Config.Cmd}}', 'bb:1']), '[sh]');
});

test('rmi of an unknown image fails with Docker\'s message', async () => {
  const r = await daemon.docker(['rmi', 'x']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim(), 'Error response from daemon: No such image: x:latest');
  const bad = await daemon.docker(['image', 'inspect', 'Busybox']);
  assert.equal(bad.code, 1);
});

test('a bad change is refused before the archive is read', async () => {
  const r = await daemon.docker(['import', '-c', 'RUN echo hi', busybox.tar, 'bad:1']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim(), 'Error response from daemon: run is not a valid change command');
  const p = await daemon.docker(['import', '-c', 'EXPOSE http', busybox.tar, 'bad:1']);
  assert.equal(p.stderr.trim(), 'Error response from daemon: Invalid containerPort: http');
  assert.equal(await docker(['images', '-q', 'bad']), '');
});

test('a hostile archive is refused with a clear error and leaves no image, layer or temp dir', async () => {
  const before = (await readdir(join(daemon.dataRoot, 'layers'))).sort();
  const escapes = [
    await hostileTar('dotdot.tar', [{ name: '../../../../tmp/berth-pwned' }]),
    await hostileTar('symlink.tar', [{ name: 'evil', type: 'symlink', linkname: '/tmp' }, { name: 'evil/berth-pwned' }]),
    await hostileTar('hardlink.tar', [{ name: 'leak', type: 'link', linkname: '../../etc/passwd' }]),
  ];
  for (const file of escapes) {
    const r = await daemon.docker(['import', file, 'hostile:1']);
    assert.equal(r.code, 1, file);
    assert.match(r.stderr, /Error response from daemon: refusing tar entry .*(escapes the layer root|is a symbolic link)/);
  }
  assert.equal(await docker(['images', '-q', 'hostile']), '');
  assert.deepEqual((await readdir(join(daemon.dataRoot, 'layers'))).sort(), before);
  await assert.rejects(readdir('/tmp/berth-pwned'));
  const garbage = join(scratch, 'garbage.tar');
  await writeFile(garbage, 'not a tar at all\n');
  const g = await daemon.docker(['import', garbage, 'hostile:1']);
  assert.match(g.stderr, /Error response from daemon: Error processing tar file\(exit status 1\): unexpected EOF/);
});

test('images, tags and layers survive a daemon crash', async () => {
  const id = await docker(['inspect', '-f', '{{.Id}}', 'bb:1']);
  await daemon.kill9();
  await daemon.launch();
  assert.equal(await docker(['inspect', '-f', '{{.Id}} {{.Config.Cmd}}', 'bb:1']), `${id} [sh]`);
  assert.equal(await docker(['history', '-q', 'bb:1']), id.slice(7, 19));
});
