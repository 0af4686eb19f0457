/**
 * The conmon + runc create/start/exit/delete cycle of a trivial container driven from a shell: the
 * floor of the conmon + runc design, which bench/runtime-bench.ts and bench/scale-bench.ts set berthd
 * beside. The same conmon flags as berthd's, the sync pipe read with `head -n 1`.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildOciSpec } from '../src/engine/runtime/oci-spec.js';
import type { RuntimeSpec } from '../src/engine/runtime/runtime.js';
import { timeCommand } from './lib.js';

const execFileAsync = promisify(execFile);

export const SHELL_CYCLE = `
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

/** The runtime's view of a `true` container on `rootfs`, named by `n` and `kind`, its bundle under `work`. */
export function trueSpec(work: string, rootfs: string, n: number, kind: string): RuntimeSpec {
  const id = `${kind}${String(n).padStart(4, '0')}`.padEnd(64, '0');
  return {
    id, bundleDir: join(work, 'bundles', id), rootfs, args: ['true'], env: ['PATH=/bin'], cwd: '/',
    user: { uid: 0, gid: 0 }, hostname: 'bench', terminal: false, openStdin: false, network: 'new',
    logPath: join(work, `${id}.log`),
  };
}

/** Writes `spec`'s bundle and the directories the cycle uses under `execRoot`. */
async function prepare(spec: RuntimeSpec, execRoot: string): Promise<void> {
  await mkdir(spec.bundleDir, { recursive: true });
  for (const d of ['conmon', 'exits', 'runc', 'persist']) await mkdir(join(execRoot, d), { recursive: true });
  await writeFile(join(spec.bundleDir, 'config.json'), JSON.stringify(buildOciSpec(spec, { cgroupV2: false, cgroupParent: '/berth' })));
}

/** One shell-driven cycle of `spec` (its bundle written first, removed after); returns its ms. */
export async function timeShellCycle(spec: RuntimeSpec, execRoot: string): Promise<number> {
  await prepare(spec, execRoot);
  const ms = timeCommand(['sh', '-c', SHELL_CYCLE, 'sh', spec.id, spec.bundleDir, execRoot]);
  await rm(spec.bundleDir, { recursive: true });
  return ms;
}

/**
 * The cycles of `specs` started at once from shells (bundles written first, removed after): each
 * one's ms from the common start. What many concurrent runs cost the runtime alone.
 */
export async function timeShellCyclesAtOnce(specs: RuntimeSpec[], execRoot: string): Promise<number[]> {
  for (const spec of specs) await prepare(spec, execRoot);
  const t0 = performance.now();
  try {
    return await Promise.all(specs.map(async (spec) => {
      await execFileAsync('sh', ['-c', SHELL_CYCLE, 'sh', spec.id, spec.bundleDir, execRoot]);
      return performance.now() - t0;
    }));
  } finally {
    for (const spec of specs) await rm(spec.bundleDir, { recursive: true, force: true });
  }
}
