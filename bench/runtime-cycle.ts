/**
 * The conmon + runc create/start/exit/delete cycle of a trivial container driven from a shell: the
 * floor of the conmon + runc design, which bench/runtime-bench.ts and bench/scale-bench.ts set berthd
 * beside. The same conmon flags as berthd's, the sync pipe read with `head -n 1`.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildOciSpec } from '../src/engine/runtime/oci-spec.js';
import type { RuntimeSpec } from '../src/engine/runtime/runtime.js';
import { timeCommand } from './lib.js';

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

/** One shell-driven cycle of `spec` (its bundle written first, removed after); returns its ms. */
export async function timeShellCycle(spec: RuntimeSpec, execRoot: string): Promise<number> {
  await mkdir(spec.bundleDir, { recursive: true });
  for (const d of ['conmon', 'exits', 'runc', 'persist']) await mkdir(join(execRoot, d), { recursive: true });
  await writeFile(join(spec.bundleDir, 'config.json'), JSON.stringify(buildOciSpec(spec, { cgroupV2: false, cgroupParent: '/berth' })));
  const ms = timeCommand(['sh', '-c', SHELL_CYCLE, 'sh', spec.id, spec.bundleDir, execRoot]);
  await rm(spec.bundleDir, { recursive: true });
  return ms;
}
