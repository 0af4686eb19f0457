/**
 * The runtime layer on its own, side by side in one run (interleaved, medians):
 *  1. ConmonRuntime: create + start + waitExit + delete of `true` (what the daemon pays per container)
 *  2. the same conmon + runc cycle driven from a shell script (the floor for this design)
 *  3. bare `runc run` (no monitor: the floor for any runc-based engine)
 * Usage: node --import tsx bench/runtime-bench.ts [runs]
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConmonRuntime } from '../src/engine/runtime/conmon-runtime.js';
import { buildOciSpec } from '../src/engine/runtime/oci-spec.js';
import type { RuntimeSpec } from '../src/engine/runtime/runtime.js';
import { Logger } from '../src/engine/base/log.js';
import { makeBusyboxRootfs } from '../test/helpers/busybox.js';
import { median, percentile, printTable, timeCommand } from './lib.js';

const runs = Number(process.argv[2] ?? 30);
const rootfs = await makeBusyboxRootfs();
const work = await mkdtemp(join(tmpdir(), 'berth-rtbench-'));
const execRoot = join(work, 'exec');
const runtime = new ConmonRuntime({ execRoot, log: new Logger('warn') });

function specFor(n: number, kind: string): RuntimeSpec {
  const id = `${kind}${String(n).padStart(4, '0')}`.padEnd(64, '0');
  return {
    id, bundleDir: join(work, 'bundles', id), rootfs, args: ['true'], env: ['PATH=/bin'], cwd: '/',
    user: { uid: 0, gid: 0 }, hostname: 'bench', terminal: false, openStdin: false, network: 'new',
    logPath: join(work, `${id}.log`),
  };
}

// The shell-driven cycle: the same conmon flags, the sync pipe read with `head -n 1`.
const SHELL_CYCLE = `
set -e
id=$1; b=$2; e=$3; p=$e/persist/$id
mkdir -p $p
_OCI_SYNCPIPE=3 conmon --api-version 1 -c $id -u $id -n $id -r "$(command -v runc)" -b $b -p $p/pid \\
  --conmon-pidfile $p/conmon.pid --exit-dir $e/exits --persist-dir $p --socket-dir-path $e/conmon --full-attach \\
  -l k8s-file:$b/log --runtime-arg --root --runtime-arg $e/runc 3>&1 >/dev/null | head -n 1 >/dev/null
runc --root $e/runc start $id
while [ ! -f $e/exits/$id ]; do sleep 0.001; done
runc --root $e/runc delete $id
rm -rf $p $e/exits/$id
`;

const times = { runtime: [] as number[], shell: [] as number[], runc: [] as number[] };
try {
  for (let i = 0; i < runs; i++) {
    const a = specFor(i, 'a');
    await mkdir(a.bundleDir, { recursive: true });
    const t0 = process.hrtime.bigint();
    await runtime.create(a);
    await runtime.start(a.id);
    await runtime.waitExit(a.id);
    await runtime.delete(a.id);
    times.runtime.push(Number(process.hrtime.bigint() - t0) / 1e6);

    for (const kind of ['shell', 'runc'] as const) {
      const s = specFor(i, kind === 'shell' ? 'b' : 'c');
      await mkdir(s.bundleDir, { recursive: true });
      await writeFile(join(s.bundleDir, 'config.json'), JSON.stringify(buildOciSpec(s, { cgroupV2: false, cgroupParent: '/berth' })));
      times[kind].push(kind === 'shell'
        ? timeCommand(['sh', '-c', SHELL_CYCLE, 'sh', s.id, s.bundleDir, execRoot])
        : timeCommand(['runc', '--root', join(execRoot, 'runc'), 'run', '--bundle', s.bundleDir, s.id]));
      await rm(s.bundleDir, { recursive: true });
    }
  }
  const row = (label: string, ms: number[]) => [label, median(ms).toFixed(1), percentile(ms, 90).toFixed(1)];
  printTable([
    ['cycle of `true` (create, start, exit, delete)', 'median ms', 'p90 ms'],
    row('ConmonRuntime (berthd)', times.runtime),
    row('conmon + runc from sh', times.shell),
    row('runc run (no monitor)', times.runc),
  ]);
} finally {
  runtime.close();
  const left = execFileSync('runc', ['--root', join(execRoot, 'runc'), 'list', '-q'], { encoding: 'utf8' }).trim();
  for (const id of left.split('\n').filter(Boolean)) execFileSync('runc', ['--root', join(execRoot, 'runc'), 'delete', '--force', id]);
  await rm(work, { recursive: true, force: true });
  await rm(rootfs, { recursive: true, force: true });
}
