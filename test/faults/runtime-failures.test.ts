// A runtime that fails at create, start or delete: the client gets runc's message in dockerd's words,
// the host keeps nothing of the failed run, and `docker ps -a` shows what dockerd shows. The failures
// come from a wrapper runtime (fixtures/faulty-runtime.sh, registered through daemon.json "runtimes"
// with its fault file in "runtimeArgs") that passes everything else through to runc.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';
import { firewallRules, leftoversOf } from './host-leftovers.js';

const FAULTY = join(import.meta.dirname, 'fixtures', 'faulty-runtime.sh');
const injected = (command: string) => `injected fault: runc ${command} refused by the test runtime`;

let daemon: TestDaemon;
let work: string;
let faults: string;
let bridgeId: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-rtfault-'));
  faults = join(work, 'faults');
  daemon = await startDaemon({
    config: { runtimes: { faulty: { path: FAULTY, runtimeArgs: [`--fault-file=${faults}`] } } },
    // The flag form too: a second name for the same wrapper, without a fault file, as the default.
    args: ['--add-runtime', `passthrough=${FAULTY}`, '--default-runtime', 'passthrough'],
  });
  await importBusybox(daemon);
  bridgeId = (await daemon.ok(['network', 'inspect', '-f', '{{.Id}}', 'bridge'])).trim();
});
after(async () => {
  await rm(faults, { force: true });
  await daemon?.stop();
  await rm(work, { recursive: true, force: true });
});

async function failing(...commands: string[]): Promise<void> {
  await writeFile(faults, commands.map((c) => `${c}\n`).join(''));
}

async function idOf(name: string): Promise<string> {
  return (await daemon.ok(['inspect', '-f', '{{.Id}}', name])).trim();
}

async function stateOf(name: string): Promise<string> {
  return (await daemon.ok(['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}} {{.State.Error}}', name])).trim();
}

test('docker info lists the runtimes of daemon.json and --add-runtime; the default is --default-runtime', async () => {
  const info = await daemon.ok(['info', '-f', '{{json .Runtimes}} {{.DefaultRuntime}}']);
  const [runtimes, def] = info.trim().split(' ');
  assert.deepEqual(JSON.parse(runtimes!), {
    faulty: { path: FAULTY, runtimeArgs: [`--fault-file=${faults}`] }, passthrough: { path: FAULTY }, runc: { path: 'runc' },
  });
  assert.equal(def, 'passthrough');
  await daemon.ok(['create', '--name', 'frt-default', 'busybox', 'true']);
  await daemon.ok(['create', '--name', 'frt-runc', '--runtime', 'runc', 'busybox', 'true']);
  assert.equal(await daemon.ok(['inspect', '-f', '{{.HostConfig.Runtime}}', 'frt-default', 'frt-runc']), 'passthrough\nrunc\n');
  await daemon.ok(['rm', 'frt-default', 'frt-runc']);
  await daemon.refused(['run', '--runtime', 'nosuch', 'busybox', 'true'], 'Error response from daemon: unknown or invalid runtime name: nosuch', 125);
});

for (const when of ['create', 'create-late'] as const) {
  test(`runc failing at ${when}: docker run answers with its message; the container stays Created and nothing is left`, async () => {
    const rules = await firewallRules(daemon);
    await failing(when);
    const run = await daemon.docker(['run', '--name', `frt-${when}`, '--runtime', 'faulty', '-p', '127.0.0.1::80', 'busybox', 'true']);
    assert.equal(run.code, 125, run.stderr);
    assert.ok(run.stderr.includes('Error response from daemon: failed to create task for container: failed to create shim task: '
      + `OCI runtime create failed: ${injected('create')}: unknown`), run.stderr);
    const id = await idOf(`frt-${when}`);
    assert.equal(await daemon.ok(['ps', '-a', '--filter', `id=${id}`, '--format', '{{.Status}}']), 'Created\n');
    assert.match(await stateOf(id), new RegExp(`^created 128 .*${injected('create')}`));
    assert.deepEqual(await leftoversOf(daemon, id, bridgeId, rules), []);
    // The runtime works again: the same container starts.
    await failing();
    assert.equal((await daemon.docker(['start', '-a', id])).code, 0);
    assert.equal(await stateOf(id), 'exited 0');
    await daemon.ok(['rm', id]);
    assert.deepEqual(await leftoversOf(daemon, id, bridgeId, rules), []);
  });
}

test('runc failing at start: run and start answer with its message; State.Error keeps it, exit code 128', async () => {
  const rules = await firewallRules(daemon);
  await failing('start');
  const message = `OCI runtime start failed: ${injected('start')}: unknown`;
  const run = await daemon.docker(['run', '--name', 'frt-start', '--runtime', 'faulty', '-p', '127.0.0.1::80', 'busybox', 'true']);
  assert.equal(run.code, 125, run.stderr);
  assert.ok(run.stderr.includes(`Error response from daemon: ${message}`), run.stderr);
  const id = await idOf('frt-start');
  assert.equal(await daemon.ok(['ps', '-a', '--filter', 'name=frt-start', '--format', '{{.Status}}']), 'Created\n');
  assert.equal(await stateOf(id), `created 128 ${message}`);
  assert.deepEqual(await leftoversOf(daemon, id, bridgeId, rules), []);

  await daemon.ok(['create', '--name', 'frt-start2', '--runtime', 'faulty', 'busybox', 'true']);
  await daemon.refused(['start', 'frt-start2'], `Error response from daemon: ${message}`, 1);
  const id2 = await idOf('frt-start2');
  assert.deepEqual(await leftoversOf(daemon, id2, bridgeId, rules), []);
  await failing();
  await daemon.ok(['rm', id, id2]);
});

test('runc failing at delete: rm -f answers with its message and keeps the container; a later rm -f removes it all', async () => {
  const rules = await firewallRules(daemon);
  await failing();
  const id = (await daemon.ok(['run', '-d', '--name', 'frt-delete', '--runtime', 'faulty', '-p', '127.0.0.1::80', 'busybox', 'sleep', '1000'])).trim();
  // exec goes through the container's runtime too.
  assert.equal(await daemon.ok(['exec', 'frt-delete', 'echo', 'in']), 'in\n');
  await failing('delete');
  await daemon.refused(['rm', '-f', 'frt-delete'], `OCI runtime delete failed: ${injected('delete')}: unknown`, 1);
  assert.match(await daemon.ok(['ps', '-a', '--filter', 'name=frt-delete', '--format', '{{.Status}}']), /^Exited \(137\) /);
  // What the run held besides runc's own state is given back at its exit.
  const held = await leftoversOf(daemon, id, bridgeId, rules);
  assert.deepEqual(held.filter((l) => !l.startsWith('cgroup ') && !l.startsWith('runc state ')), []);
  await failing();
  await daemon.ok(['rm', '-f', 'frt-delete']);
  assert.equal(await daemon.ok(['ps', '-aq', '--filter', 'name=frt-delete']), '');
  assert.deepEqual(await leftoversOf(daemon, id, bridgeId, rules), []);
});

test('a command that does not exist: 127 and runc\'s exec message, nothing left', async () => {
  const rules = await firewallRules(daemon);
  const run = await daemon.docker(['run', '--name', 'frt-nosuch', '-p', '127.0.0.1::80', 'busybox', 'nosuch']);
  assert.equal(run.code, 127, run.stderr);
  assert.ok(run.stderr.includes('exec: "nosuch": executable file not found in $PATH'), run.stderr);
  const id = await idOf('frt-nosuch');
  assert.match(await stateOf(id), /^created 127 failed to create task for container: .*exec: "nosuch": executable file not found in \$PATH: unknown$/);
  assert.deepEqual(await leftoversOf(daemon, id, bridgeId, rules), []);
  await daemon.ok(['rm', id]);
});
