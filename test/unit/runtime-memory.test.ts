import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { MemoryRuntime } from '../../src/engine/runtime/memory-runtime.js';
import { runtimeContractSuite } from '../helpers/runtime-suite.js';

// The in-memory runtime keeps the same contract as conmon + runc (runtime-conmon.test.ts runs the
// same suite against those).

let work: string | undefined;
after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

runtimeContractSuite('in-memory', async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-memrt-'));
  const runtime = new MemoryRuntime();
  return {
    runtime,
    async spec(args) {
      const id = randomBytes(32).toString('hex');
      const bundleDir = join(work!, 'bundles', id);
      await mkdir(bundleDir, { recursive: true });
      return {
        id, bundleDir, rootfs: join(work!, 'rootfs'), args, env: [], cwd: '/', user: { uid: 0, gid: 0 },
        hostname: id.slice(0, 12), terminal: false, openStdin: false, network: 'new', logPath: join(work!, `${id}.log`),
      };
    },
    async leftovers(ids) {
      return runtime.ids().filter((id) => ids.includes(id));
    },
    async killMonitor(id) {
      runtime.killMonitor(id);
    },
  };
});
