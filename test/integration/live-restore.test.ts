import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

let daemon: TestDaemon;
before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
});
after(async () => { await daemon.stop(); });

async function ok(args: string[], on = daemon): Promise<string> {
  const r = await on.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('kill -9 of the daemon: containers keep running and logging; exits meanwhile keep their code', async () => {
  await ok(['run', '-d', '--name', 'counter', 'busybox', 'sh', '-c', 'i=0; while true; do i=$((i+1)); echo $i; sleep 1; done']);
  await ok(['run', '-d', '--name', 'short', 'busybox', 'sh', '-c', 'sleep 2; exit 42']);
  const pid = Number((await ok(['inspect', '-f', '{{.State.Pid}}', 'counter'])).trim());
  await sleep(1500);
  await daemon.kill9();
  await sleep(3500);
  // Nobody watched while the daemon was down, yet the container ran on.
  process.kill(pid, 0);
  await daemon.launch();

  assert.equal(await ok(['inspect', '-f', '{{.State.Status}} {{.State.Pid}}', 'counter']), `running ${pid}\n`);
  assert.equal(await ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'short']), 'exited 42\n');
  assert.match(await ok(['ps', '-a', '--filter', 'name=short', '--format', '{{.Status}}']), /^Exited \(42\) \d+ seconds? ago\n$/);
  const numbers = (await ok(['logs', 'counter'])).split('\n').filter(Boolean).map(Number);
  assert.ok(numbers.length >= 5, `only ${numbers.length} lines`);
  assert.deepEqual(numbers, numbers.map((_, i) => i + 1), 'every line, in order, none missing');

  // The restored container is followed again: a stop reports its real end.
  await ok(['stop', '-t', '1', 'counter']);
  assert.equal(await ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'counter']), 'exited 137\n');
  await ok(['rm', 'counter', 'short']);
});

test('a --data-root of its own shows nothing; going back shows everything', async () => {
  await ok(['create', '--name', 'mine', 'busybox', 'true']);
  const other = await startDaemon();
  try {
    assert.equal(await ok(['ps', '-aq'], other), '');
    assert.equal(await ok(['images', '-q'], other), '');
  } finally {
    await other.stop();
  }
  await daemon.stopDaemon();
  await daemon.launch();
  assert.equal(await ok(['ps', '-a', '--format', '{{.Names}}']), 'mine\n');
  await ok(['rm', 'mine']);
});

test('a container directory without its record (a create cut short) is removed at start', async () => {
  const id = (await ok(['create', '--name', 'half', 'busybox', 'true'])).trim();
  await daemon.kill9();
  const { unlink } = await import('node:fs/promises');
  await unlink(join(daemon.dataRoot, 'containers', id, 'container.json'));
  await daemon.launch();
  assert.equal(await ok(['ps', '-aq']), '');
  assert.deepEqual(await readdir(join(daemon.dataRoot, 'containers')), []);
  // The name is free again.
  await ok(['create', '--name', 'half', 'busybox', 'true']);
  await ok(['rm', 'half']);
});
