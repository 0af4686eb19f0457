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
import { Logger } from '../src/engine/base/log.js';
import { makeBusyboxRootfs } from '../test/helpers/busybox.js';
import { median, percentile, printTable, timeCommand } from './lib.js';
import { timeShellCycle, trueSpec } from './runtime-cycle.js';

const runs = Number(process.argv[2] ?? 30);
const rootfs = await makeBusyboxRootfs();
const work = await mkdtemp(join(tmpdir(), 'berth-rtbench-'));
const execRoot = join(work, 'exec');
const runtime = new ConmonRuntime({ execRoot, log: new Logger('warn') });

const specFor = (n: number, kind: string) => trueSpec(work, rootfs, n, kind);

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

    times.shell.push(await timeShellCycle(specFor(i, 'b'), execRoot));
    const c = specFor(i, 'c');
    await mkdir(c.bundleDir, { recursive: true });
    await writeFile(join(c.bundleDir, 'config.json'), JSON.stringify(buildOciSpec(c, { cgroupV2: false, cgroupParent: '/berth' })));
    times.runc.push(timeCommand(['runc', '--root', join(execRoot, 'runc'), 'run', '--bundle', c.bundleDir, c.id]));
    await rm(c.bundleDir, { recursive: true });
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
