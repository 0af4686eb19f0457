import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConmonRuntime, RuntimeCreateError } from '../../src/engine/runtime/conmon-runtime.js';
import { readK8sLog } from '../../src/engine/runtime/k8s-log.js';
import type { RuntimeSpec } from '../../src/engine/runtime/runtime.js';
import { Logger } from '../../src/engine/base/log.js';
import { NotFoundError } from '../../src/lib/errors.js';
import { makeBusyboxRootfs } from '../helpers/busybox.js';
import { runtimeContractSuite } from '../helpers/runtime-suite.js';

// Real runc and conmon on a busybox rootfs, no daemon: the runtime layer on its own.

let rootfs: string;
let work: string;
let runtime: ConmonRuntime;
const created = new Set<string>();

before(async () => {
  rootfs = await makeBusyboxRootfs();
  work = await mkdtemp(join(tmpdir(), 'berth-rt-'));
  runtime = new ConmonRuntime({ execRoot: join(work, 'exec'), log: new Logger('warn') });
});

after(async () => {
  for (const id of created) await runtime.delete(id).catch(() => {});
  runtime.close();
  // Nothing left: runc knows no container, no conmon runs for this exec root, no cgroup remains.
  const listed = execFileSync('runc', ['--root', runtime.runcRoot, 'list', '-q'], { encoding: 'utf8' }).trim();
  assert.equal(listed, '', 'runc list is empty');
  assert.deepEqual(conmonsOf(work), [], 'no conmon left');
  for (const h of await readdir('/sys/fs/cgroup')) {
    for (const id of created) assert.equal(await exists(`/sys/fs/cgroup/${h}/berth/${id}`), false, `cgroup ${h} of ${id} removed`);
  }
  assert.deepEqual(await readdir(runtime.exitDir), []);
  assert.deepEqual(await readdir(runtime.persistRoot), []);
  await rm(work, { recursive: true, force: true });
  await rm(rootfs, { recursive: true, force: true });
});

function conmonsOf(dir: string): string[] {
  const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes('conmon') && l.includes(dir));
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

async function specFor(args: string[], over: Partial<RuntimeSpec> = {}): Promise<RuntimeSpec> {
  const id = randomBytes(32).toString('hex');
  const bundleDir = join(work, 'bundles', id);
  await mkdir(bundleDir, { recursive: true });
  created.add(id);
  return {
    id, bundleDir, rootfs, args, env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'], cwd: '/',
    user: { uid: 0, gid: 0 }, hostname: id.slice(0, 12), terminal: false, openStdin: false, network: 'new',
    logPath: join(work, `${id}.log`), ...over,
  };
}

async function logOf(spec: RuntimeSpec): Promise<string[]> {
  const out: string[] = [];
  for await (const e of readK8sLog(spec.logPath)) out.push(`${e.stream}: ${e.data.toString()}`);
  return out;
}

async function leftovers(spec: RuntimeSpec): Promise<string[]> {
  const found: string[] = [];
  if (await runtime.state(spec.id)) found.push('runc state');
  if (await exists(join(runtime.exitDir, spec.id))) found.push('exit file');
  if (await exists(join(runtime.persistRoot, spec.id))) found.push('persist dir');
  if (await exists(spec.bundleDir)) found.push('bundle dir');
  if (conmonsOf(spec.id).length) found.push('conmon process');
  for (const h of await readdir('/sys/fs/cgroup')) {
    if (await exists(`/sys/fs/cgroup/${h}/berth/${spec.id}`)) found.push(`cgroup ${h}`);
  }
  return found;
}

test('a container runs, its exit code is recorded and its output is logged per stream', async () => {
  const spec = await specFor(['sh', '-c', 'echo out; echo err >&2; echo "$(id -u) $(hostname)"; exit 3'], {
    user: { uid: 65534, gid: 65534 }, hostname: 'box',
  });
  const { pid } = await runtime.create(spec);
  assert.ok(pid > 0);
  assert.deepEqual(await runtime.state(spec.id), { status: 'created', pid });
  assert.equal(await runtime.readExit(spec.id), undefined);
  const before = Date.now();
  await runtime.start(spec.id);
  const exit = await runtime.waitExit(spec.id);
  assert.equal(exit.exitCode, 3);
  assert.equal(exit.oomKilled, false);
  assert.ok(Math.abs(exit.finishedAt.getTime() - before) < 10_000);
  assert.deepEqual(await runtime.readExit(spec.id), exit);
  assert.equal((await runtime.state(spec.id))?.status, 'stopped');
  // Order within a stream is kept; between the two pipes it is whatever conmon read first.
  const log = await logOf(spec);
  assert.deepEqual(log.filter((l) => l.startsWith('stdout')), ['stdout: out\n', 'stdout: 65534 box\n']);
  assert.deepEqual(log.filter((l) => l.startsWith('stderr')), ['stderr: err\n']);
  await runtime.delete(spec.id);
  assert.deepEqual(await leftovers(spec), []);
  await runtime.delete(spec.id); // idempotent
});

test('signals: SIGKILL gives 137 as Docker reports; a TERM handler in the container runs', async () => {
  const sleeper = await specFor(['sleep', '100']);
  await runtime.create(sleeper);
  await runtime.start(sleeper.id);
  assert.equal((await runtime.state(sleeper.id))?.status, 'running');
  await runtime.kill(sleeper.id, 'SIGKILL');
  assert.equal((await runtime.waitExit(sleeper.id)).exitCode, 137);
  await assert.rejects(runtime.kill(sleeper.id, 'KILL'), /not running/);
  await runtime.delete(sleeper.id);

  // PID 1 of a namespace only gets the signals it handles: a shell with a trap.
  const trapper = await specFor(['sh', '-c', 'trap "echo got TERM; exit 143" TERM; echo ready; while :; do sleep 0.05; done']);
  await runtime.create(trapper);
  await runtime.start(trapper.id);
  await firstLine(trapper, 'ready');
  await runtime.kill(trapper.id, 15);
  assert.equal((await runtime.waitExit(trapper.id)).exitCode, 143);
  assert.deepEqual(await logOf(trapper), ['stdout: ready\n', 'stdout: got TERM\n']);
  await assert.rejects(runtime.kill(trapper.id, 'SIGNOPE'), /Invalid signal/);
  await runtime.delete(trapper.id);
});

async function firstLine(spec: RuntimeSpec, text: string): Promise<void> {
  const ac = new AbortController();
  for await (const e of readK8sLog(spec.logPath, { follow: true, signal: ac.signal, exited: runtime.waitExit(spec.id) })) {
    if (e.data.toString().trim() === text) return;
  }
  throw new Error(`container ended before printing ${text}`);
}

test('the container and its logging survive a kill -9 of the process that created it', async () => {
  const spec = await specFor(['sh', '-c', 'echo started; while [ ! -e /tmp/go-$HOSTNAME ]; do sleep 0.05; done; echo after; exit 7'], {
    env: ['PATH=/bin', 'HOSTNAME=h1'],
  });
  const go = join(rootfs, 'tmp', 'go-h1');
  const module = fileURLToPath(new URL('../../src/engine/runtime/conmon-runtime.ts', import.meta.url));
  const logModule = fileURLToPath(new URL('../../src/engine/base/log.ts', import.meta.url));
  const script = `
    import { ConmonRuntime } from ${JSON.stringify(module)};
    import { Logger } from ${JSON.stringify(logModule)};
    const spec = JSON.parse(process.env.SPEC);
    const rt = new ConmonRuntime({ execRoot: process.env.EXEC_ROOT, log: new Logger('warn') });
    const { pid } = await rt.create(spec);
    await rt.start(spec.id);
    rt.waitExit(spec.id); // a pending wait, as a daemon would have
    process.stdout.write('ready ' + pid + '\\n');
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, SPEC: JSON.stringify(spec), EXEC_ROOT: join(work, 'exec') },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const pid = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /ready (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.on('exit', (code) => reject(new Error(`child exited early with ${code}: ${out}`)));
  });
  const gone = new Promise((r) => child.on('exit', r));
  child.kill('SIGKILL');
  await gone;

  assert.deepEqual(await runtime.state(spec.id), { status: 'running', pid });
  const exit = runtime.waitExit(spec.id);
  await writeFile(go, '');
  try {
    assert.equal((await exit).exitCode, 7);
  } finally {
    await rm(go, { force: true });
  }
  assert.deepEqual(await logOf(spec), ['stdout: started\n', 'stdout: after\n']);
  await runtime.delete(spec.id);
  assert.deepEqual(await leftovers(spec), []);
});

test('a missing binary fails the create with Docker\'s message and leaves nothing behind', async () => {
  const spec = await specFor(['nosuch']);
  await assert.rejects(runtime.create(spec), (err: unknown) => {
    assert.ok(err instanceof RuntimeCreateError, String(err));
    assert.match(err.message, /OCI runtime create failed: .*exec: "nosuch": executable file not found in \$PATH: unknown$/);
    return true;
  });
  assert.deepEqual(await leftovers(spec), []);

  const notDir = await specFor(['true'], { cwd: '/etc/passwd' });
  await assert.rejects(runtime.create(notDir), /OCI runtime create failed: .*(not a directory|cwd)/);
  assert.deepEqual(await leftovers(notDir), []);
});

test('delete stops a running container and removes its runtime state, cgroup and files', async () => {
  const spec = await specFor(['sleep', '100'], { resources: { memoryBytes: 32 << 20, pidsLimit: 20 } });
  await runtime.create(spec);
  await runtime.start(spec.id);
  assert.equal(await exists(`/sys/fs/cgroup/pids/berth/${spec.id}`), true);
  // The monitor works in the bundle, not in whatever directory the daemon was started from.
  const conmonPid = Number(await readFile(join(runtime.persistRoot, spec.id, 'conmon.pid'), 'utf8'));
  assert.equal(await readlink(`/proc/${conmonPid}/cwd`), spec.bundleDir);
  await runtime.delete(spec.id);
  assert.deepEqual(await leftovers(spec), []);
  await assert.rejects(runtime.waitExit(spec.id), NotFoundError);
  assert.equal(await runtime.state(spec.id), undefined);
});

test('resource limits reach the container\'s cgroup; an OOM kill is reported', async () => {
  const limits = await specFor(['sh', '-c',
    'cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/cpu/cpu.cfs_quota_us'], {
    resources: { memoryBytes: 64 << 20, pidsLimit: 50, nanoCpus: 500_000_000 },
  });
  await runtime.create(limits);
  await runtime.start(limits.id);
  assert.equal((await runtime.waitExit(limits.id)).exitCode, 0);
  assert.deepEqual(await logOf(limits), [`stdout: ${64 << 20}\n`, 'stdout: 50\n', 'stdout: 50000\n']);
  await runtime.delete(limits.id);

  // tail buffers /dev/zero looking for a newline that never comes.
  const hog = await specFor(['tail', '/dev/zero'], { resources: { memoryBytes: 16 << 20, memorySwapBytes: 16 << 20 } });
  await runtime.create(hog);
  await runtime.start(hog.id);
  const exit = await runtime.waitExit(hog.id);
  assert.equal(exit.exitCode, 137);
  assert.equal(exit.oomKilled, true);
  await runtime.delete(hog.id);
  assert.deepEqual(await leftovers(hog), []);
});

test('many containers are waited for at once', async () => {
  const specs = await Promise.all([0, 1, 2, 3].map((n) => specFor(['sh', '-c', `sleep 0.${n}; exit ${n + 10}`])));
  for (const s of specs) await runtime.create(s);
  const exits = specs.map((s) => runtime.waitExit(s.id));
  for (const s of specs) await runtime.start(s.id);
  assert.deepEqual((await Promise.all(exits)).map((e) => e.exitCode), [10, 11, 12, 13]);
  for (const s of specs) await runtime.delete(s.id);
});

async function killConmon(id: string): Promise<void> {
  const conmonPid = Number(await readFile(join(runtime.persistRoot, id, 'conmon.pid'), 'utf8'));
  process.kill(conmonPid, 'SIGKILL');
  while (conmonsOf(id).length) await new Promise((r) => setTimeout(r, 10));
}

/** Whether a process still runs (a zombie waiting for its new parent to reap it does not). */
function runs(pid: number): boolean {
  try {
    const stat = execFileSync('cat', [`/proc/${pid}/stat`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return !/^\S+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

test('a container whose conmon was killed: its process is ended, 137 recorded, delete cleans up', async () => {
  const spec = await specFor(['sleep', '100']);
  const { pid } = await runtime.create(spec);
  await runtime.start(spec.id);
  const waiting = runtime.waitExit(spec.id);
  const killedAt = Date.now();
  await killConmon(spec.id);
  const exit = await waiting;
  assert.ok(Date.now() - killedAt < 2000, `noticed after ${Date.now() - killedAt} ms`);
  assert.equal(exit.exitCode, 137);
  assert.equal(runs(pid), false, 'the process that outlived its monitor is not left running');
  await runtime.delete(spec.id);
  assert.deepEqual(await leftovers(spec), []);
});

test('a container whose runc state was removed: kill reaches its process, conmon records the exit, delete cleans up', async () => {
  const spec = await specFor(['sleep', '100']);
  const { pid } = await runtime.create(spec);
  await runtime.start(spec.id);
  await rm(join(runtime.runcRoot, spec.id), { recursive: true });
  assert.deepEqual(await runtime.state(spec.id), { status: 'running', pid }, 'conmon still runs it');
  const waiting = runtime.waitExit(spec.id);
  await runtime.kill(spec.id, 'SIGKILL');
  assert.equal((await waiting).exitCode, 137);
  await runtime.delete(spec.id);
  assert.deepEqual(await leftovers(spec), [], 'cgroups removed without runc');

  // Deleted while it still runs: the process is ended, not orphaned.
  const again = await specFor(['sleep', '100']);
  const second = await runtime.create(again);
  await runtime.start(again.id);
  await rm(join(runtime.runcRoot, again.id), { recursive: true });
  await runtime.delete(again.id);
  assert.equal(runs(second.pid), false);
  assert.deepEqual(await leftovers(again), []);
});

test('following the log until the exit gets every line the container wrote, the last ones too', async () => {
  const spec = await specFor(['sh', '-c', 'i=0; while [ $i -lt 3000 ]; do echo line$i; i=$((i+1)); done; printf tail; echo oops >&2']);
  await runtime.create(spec);
  const lines: string[] = [];
  const reading = (async () => {
    for await (const e of readK8sLog(spec.logPath, { follow: true, exited: runtime.waitExit(spec.id) })) {
      lines.push(`${e.stream}:${e.data.toString()}`);
    }
  })();
  await runtime.start(spec.id);
  await reading;
  const stdout = lines.filter((l) => l.startsWith('stdout:'));
  assert.equal(stdout.length, 3001);
  assert.equal(stdout[2999], 'stdout:line2999\n');
  assert.equal(stdout[3000], 'stdout:tail', 'a last line without newline');
  assert.deepEqual(lines.filter((l) => l.startsWith('stderr:')), ['stderr:oops\n']);
  await runtime.delete(spec.id);
});

// The contract every runtime keeps, shared with the in-memory runtime (test/unit/runtime-memory.test.ts).
runtimeContractSuite('conmon + runc', async () => ({
  runtime,
  spec: (args) => specFor(args),
  async leftovers(ids) {
    const found: string[] = [];
    for (const id of ids) {
      if (await runtime.state(id)) found.push(`${id}: runc state`);
      if (await exists(join(runtime.exitDir, id))) found.push(`${id}: exit file`);
      if (await exists(join(runtime.persistRoot, id))) found.push(`${id}: persist dir`);
      if (conmonsOf(id).length) found.push(`${id}: conmon process`);
    }
    return found;
  },
  killMonitor: killConmon,
}));
