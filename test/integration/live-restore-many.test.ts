import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

// Daemon start adopts its containers with one runtime listing and several at once: none may be
// missed, mixed up or left unfollowed, whatever the order in which they are looked at.

const RUNNING = 50;
let daemon: TestDaemon;
before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
});
after(async () => {
  const ids = (await daemon.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
  if (ids.length) await daemon.docker(['rm', '-f', ...ids]);
  await daemon.stop();
});

async function ok(args: string[]): Promise<string> {
  const r = await daemon.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Runs `count` calls of `make(i)`, 8 at a time. */
async function inBatches(count: number, make: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < count; i += 8) await Promise.all(Array.from({ length: Math.min(8, count - i) }, (_, j) => make(i + j)));
}

test(`after kill -9, a restarted daemon adopts all ${RUNNING} running containers and records the exits it missed`, async () => {
  await inBatches(RUNNING, (i) => ok(['run', '-d', '--name', `many${i}`, '--network', 'none', 'busybox', 'sleep', '300']));
  await ok(['run', '-d', '--name', 'ends', '--network', 'none', 'busybox', 'sh', '-c', 'sleep 1; exit 7']);
  await ok(['run', '--name', 'ended', '--network', 'none', 'busybox', 'true']);
  const pids = (await ok(['ps', '--filter', 'name=many', '--format', '{{.Names}}'])).split('\n').filter(Boolean).sort();
  assert.equal(pids.length, RUNNING);
  const before = await ok(['inspect', '-f', '{{.Name}} {{.State.Pid}}', ...pids]);

  await daemon.kill9();
  await new Promise((r) => setTimeout(r, 1500));
  await daemon.launch();

  assert.equal(await ok(['inspect', '-f', '{{.Name}} {{.State.Pid}}', ...pids]), before, 'every container running with its own process');
  assert.equal((await ok(['ps', '-q'])).split('\n').filter(Boolean).length, RUNNING);
  assert.equal(await ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'ends', 'ended']), 'exited 7\nexited 0\n');
  // Each adopted container is followed again: its exit is seen, whichever one it is.
  await ok(['kill', 'many0', `many${RUNNING - 1}`]);
  assert.equal(await ok(['wait', 'many0', `many${RUNNING - 1}`]), '137\n137\n');
  assert.equal((await ok(['ps', '-q'])).split('\n').filter(Boolean).length, RUNNING - 2);
});
