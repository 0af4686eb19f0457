import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { access } from 'node:fs/promises';
import type { ContainerRuntime, RuntimeSpec } from '../../src/engine/runtime/runtime.js';
import { ContainerStartError } from '../../src/engine/runtime/start-failure.js';
import { ConflictError, NotFoundError } from '../../src/lib/errors.js';

/**
 * The contract every ContainerRuntime keeps (runtime.ts), as one suite: each runtime's test file
 * registers it with a harness, as distribution's storage driver suite does. Commands are the few that
 * a busybox rootfs and the in-memory runtime answer alike (memory-runtime.ts `busyboxPrograms`).
 */
export interface RuntimeHarness {
  runtime: ContainerRuntime;
  /** A spec for `args` with a fresh ID and bundle dir (created), a rootfs and a log path. */
  spec(args: string[]): Promise<RuntimeSpec>;
  /** Called once at the end: fails when the runtime kept anything of the suite's containers. */
  leftovers(ids: string[]): Promise<string[]>;
  /** Kills the container's monitor as `kill -9` would (conmon; the in-memory runtime's stand-in). */
  killMonitor(id: string): Promise<void>;
}

export function runtimeContractSuite(name: string, open: () => Promise<RuntimeHarness>): void {
  describe(`ContainerRuntime contract: ${name}`, () => {
    let harness: RuntimeHarness | undefined;
    const ids: string[] = [];
    const setup = async () => {
      harness ??= await open();
      return harness;
    };
    const specFor = async (args: string[]) => {
      const h = await setup();
      const spec = await h.spec(args);
      ids.push(spec.id);
      return { rt: h.runtime, spec };
    };

    after(async () => {
      if (!harness) return;
      for (const id of ids) await harness.runtime.delete(id);
      assert.deepEqual(await harness.leftovers(ids), [], 'nothing left behind');
    });

    test('create -> created, start -> running, SIGKILL -> 137, then stopped until delete', async () => {
      const { rt, spec } = await specFor(['sleep', '100']);
      const { pid } = await rt.create(spec);
      assert.ok(pid > 0);
      assert.deepEqual(await rt.state(spec.id), { status: 'created', pid });
      assert.equal(await rt.readExit(spec.id), undefined);
      await rt.start(spec.id);
      assert.equal((await rt.state(spec.id))?.status, 'running');
      await rt.kill(spec.id, 'SIGKILL');
      const exit = await rt.waitExit(spec.id);
      assert.equal(exit.exitCode, 137);
      assert.equal(exit.oomKilled, false);
      assert.deepEqual(await rt.readExit(spec.id), exit);
      assert.equal((await rt.state(spec.id))?.status, 'stopped');
      await assert.rejects(rt.kill(spec.id, 'KILL'), /not running/);
      await rt.delete(spec.id);
      assert.equal(await rt.state(spec.id), undefined);
      assert.equal(await rt.readExit(spec.id), undefined);
      await assert.rejects(rt.waitExit(spec.id), NotFoundError);
      assert.equal(await access(spec.bundleDir).then(() => true, () => false), false, 'delete removes the bundle');
      await rt.delete(spec.id); // idempotent
    });

    test('states() tells in one call what state() tells of each container', async () => {
      const a = await specFor(['sleep', '100']);
      const b = await specFor(['sleep', '100']);
      const { pid } = await a.rt.create(a.spec);
      await b.rt.create(b.spec);
      await b.rt.start(b.spec.id);
      const all = await a.rt.states();
      assert.deepEqual(all.get(a.spec.id), { status: 'created', pid });
      assert.deepEqual(all.get(b.spec.id), await b.rt.state(b.spec.id));
      assert.equal(all.get(b.spec.id)?.status, 'running');
      await a.rt.delete(a.spec.id);
      await b.rt.delete(b.spec.id);
      assert.equal((await a.rt.states()).has(a.spec.id), false, 'a deleted container is not listed');
    });

    test('the exit code and finish time of a process that ends by itself are recorded', async () => {
      const { rt, spec } = await specFor(['sh', '-c', 'exit 3']);
      await rt.create(spec);
      const waiting = rt.waitExit(spec.id);
      const before = Date.now();
      await rt.start(spec.id);
      const exit = await waiting;
      assert.equal(exit.exitCode, 3);
      assert.ok(Math.abs(exit.finishedAt.getTime() - before) < 10_000);
      assert.deepEqual(await rt.waitExit(spec.id), exit, 'a wait after the exit answers at once');
      await rt.delete(spec.id);
    });

    test('many containers are waited for at once', async () => {
      const specs = await Promise.all([0, 1, 2].map((n) => specFor(['sh', '-c', `sleep 0.${n}; exit ${n + 10}`])));
      for (const { rt, spec } of specs) await rt.create(spec);
      const exits = specs.map(({ rt, spec }) => rt.waitExit(spec.id));
      for (const { rt, spec } of specs) await rt.start(spec.id);
      assert.deepEqual((await Promise.all(exits)).map((e) => e.exitCode), [10, 11, 12]);
      for (const { rt, spec } of specs) await rt.delete(spec.id);
    });

    test('a missing command fails the create with Docker\'s message and exit code 127, leaving nothing', async () => {
      const { rt, spec } = await specFor(['nosuch']);
      await assert.rejects(rt.create(spec), (err: unknown) => {
        assert.ok(err instanceof ContainerStartError, String(err));
        assert.equal(err.exitCode, 127);
        assert.match(err.message, /^failed to create task for container: failed to create shim task: OCI runtime create failed: .*exec: "nosuch": executable file not found in \$PATH: unknown$/);
        return true;
      });
      assert.equal(await rt.state(spec.id), undefined);
      await assert.rejects(rt.waitExit(spec.id), NotFoundError);
    });

    test('an aborted wait rejects with the signal\'s reason; a bad signal is refused', async () => {
      const { rt, spec } = await specFor(['sleep', '100']);
      await rt.create(spec);
      await rt.start(spec.id);
      const ac = new AbortController();
      const waiting = rt.waitExit(spec.id, ac.signal);
      ac.abort(new Error('gave up'));
      await assert.rejects(waiting, /gave up/);
      await assert.rejects(rt.kill(spec.id, 'SIGNOPE'), /Invalid signal: SIGNOPE/);
      assert.equal((await rt.state(spec.id))?.status, 'running');
      await rt.delete(spec.id);
      assert.equal(await rt.state(spec.id), undefined, 'delete ends a running container');
    });

    test('pause freezes the process until resume; pause twice or resume a running one is a conflict', async () => {
      const { rt, spec } = await specFor(['sh', '-c', 'sleep 0.3; exit 4']);
      await rt.create(spec);
      await rt.start(spec.id);
      await rt.pause(spec.id);
      assert.equal((await rt.state(spec.id))?.status, 'paused');
      await assert.rejects(rt.pause(spec.id), ConflictError);
      // Frozen, the process cannot end, though its time has passed.
      await new Promise((r) => setTimeout(r, 800));
      assert.equal((await rt.state(spec.id))?.status, 'paused');
      assert.equal(await rt.readExit(spec.id), undefined);
      await rt.resume(spec.id);
      assert.equal((await rt.waitExit(spec.id)).exitCode, 4, 'it runs on once thawed');
      await assert.rejects(rt.resume(spec.id), ConflictError);
      await rt.delete(spec.id);
    });

    test('SIGKILL ends a paused container; a running one cannot be resumed', async () => {
      const { rt, spec } = await specFor(['sleep', '100']);
      await rt.create(spec);
      await rt.start(spec.id);
      await assert.rejects(rt.resume(spec.id), (err: unknown) => err instanceof ConflictError && /is not paused/.test(err.message));
      await rt.pause(spec.id);
      await rt.kill(spec.id, 'SIGKILL');
      assert.equal((await rt.waitExit(spec.id)).exitCode, 137);
      await rt.delete(spec.id);
    });

    test('a monitor that dies is noticed: the process it leaves is ended, its exit recorded as 137', async () => {
      const h = await setup();
      const { rt, spec } = await specFor(['sleep', '100']);
      await rt.create(spec);
      await rt.start(spec.id);
      const waiting = rt.waitExit(spec.id);
      await h.killMonitor(spec.id);
      const exit = await waiting;
      assert.equal(exit.exitCode, 137);
      assert.deepEqual(await rt.readExit(spec.id), exit, 'recorded as any exit');
      assert.deepEqual(await rt.waitExit(spec.id), exit);
      assert.equal((await rt.state(spec.id))?.status, 'stopped');
      await rt.delete(spec.id);
    });

    test('a monitor that died while nobody waited: the next wait records the exit', async () => {
      const h = await setup();
      const { rt, spec } = await specFor(['sleep', '100']);
      await rt.create(spec);
      await rt.start(spec.id);
      await h.killMonitor(spec.id);
      assert.equal((await rt.waitExit(spec.id)).exitCode, 137);
      await rt.delete(spec.id);
    });

    test('an unknown container: no state, no exit, NotFoundError on wait and kill, delete is a no-op', async () => {
      const h = await setup();
      const id = randomBytes(32).toString('hex');
      assert.equal(await h.runtime.state(id), undefined);
      assert.equal(await h.runtime.readExit(id), undefined);
      await assert.rejects(h.runtime.waitExit(id), NotFoundError);
      await assert.rejects(h.runtime.kill(id, 'SIGKILL'), NotFoundError);
      await assert.rejects(h.runtime.pause(id), NotFoundError);
      await assert.rejects(h.runtime.resume(id), NotFoundError);
      await h.runtime.delete(id);
    });
  });
}
