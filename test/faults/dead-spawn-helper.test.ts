import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

// berthd's spawn helper (berth-spawn, which starts runc and conmon and mounts for the daemon) killed
// under a running daemon: running containers are not touched, and the next docker command that needs
// a process works, through a new helper.

let daemon: TestDaemon;
before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
});
after(async () => { await daemon.stop(); });

const ok = async (args: string[]): Promise<string> => (await daemon.ok(args)).trim();

/** The pid of berthd's spawn helper, a child of the daemon named berth-spawn. */
function helperPid(): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const [comm, rest] = [stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), stat.slice(stat.lastIndexOf(')') + 2)];
      if (comm === 'berth-spawn' && Number(rest.split(' ')[1]) === daemon.proc!.pid) return Number(name);
    } catch { /* gone meanwhile */ }
  }
  return undefined;
}

test('a killed spawn helper leaves containers running, and the next command starts a new one', async () => {
  await ok(['run', '-d', '--name', 'sh-live', 'busybox', 'sleep', '300']);
  try {
    const first = helperPid();
    assert.ok(first, 'berthd started its spawn helper');
    process.kill(first, 'SIGKILL');
    assert.equal(await ok(['run', '--rm', '--network', 'none', 'busybox', 'echo', 'after the helper died']), 'after the helper died');
    const second = helperPid();
    assert.ok(second && second !== first, 'a new helper');
    assert.equal(await ok(['inspect', '-f', '{{.State.Status}}', 'sh-live']), 'running');
    assert.equal(await ok(['exec', 'sh-live', 'echo', 'exec works']), 'exec works');
  } finally {
    await daemon.docker(['rm', '-f', 'sh-live']);
  }
});
