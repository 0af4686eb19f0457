import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Logger } from '../../src/engine/base/log.js';
import { ContainerManager } from '../../src/engine/containers/container-manager.js';
import type { Container } from '../../src/engine/containers/container.js';
import { images, network, rootfs, tempDataRoot, volumes } from '../helpers/container-doubles.js';
import type { ProbeOptions, ProbeOutcome, ProbeRunner } from '../../src/engine/runtime/health-probe.js';
import { MemoryRuntime } from '../../src/engine/runtime/memory-runtime.js';

// The health monitor inside a real ContainerManager on the in-memory runtime, with a probe runner
// whose answers the test scripts: when loops start and end, what reaches State.Health and the
// transitions, what is saved, and what a daemon restart finds.

/** Answers probes with the next scripted exit code (the last one repeats); records each call. */
class ScriptedProbes implements ProbeRunner {
  calls: { id: string; args: string[]; options: ProbeOptions }[] = [];
  constructor(public codes: number[]) {}
  async probe(id: string, args: string[], options: ProbeOptions): Promise<ProbeOutcome> {
    this.calls.push({ id, args, options });
    const exitCode = this.codes.length > 1 ? this.codes.shift()! : this.codes[0]!;
    return { kind: 'exited', exitCode, output: `probe ${this.calls.length}\n` };
  }
}

async function open(probes: ProbeRunner, root?: string, runtime = new MemoryRuntime()) {
  if (!root) {
    root = await tempDataRoot('berth-health-');
  }
  const manager = await ContainerManager.open({
    dataRoot: root, execRoot: join(root, 'exec'), log: new Logger('error'), runtime, images, volumes, network, rootfs, probes,
  });
  const seen: string[] = [];
  manager.onTransition((_c, t) => seen.push(t.kind === 'health_status' ? `health_status:${t.status}` : t.kind));
  return { manager, runtime, root, seen };
}

async function runWithCheck(manager: ContainerManager, healthcheck: Record<string, unknown>): Promise<Container> {
  const { Id } = await manager.create(undefined, { Image: 'busybox', Cmd: ['sleep', '60'], Healthcheck: healthcheck });
  await manager.start(Id);
  return manager.get(Id);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, check: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const MS = 1e6;

test('probes run while the container runs: healthy, then unhealthy after `retries` failures, each change a transition, saved', async () => {
  const probes = new ScriptedProbes([0, 1, 1, 0]);
  const d = await open(probes);
  const c = await runWithCheck(d.manager, { Test: ['CMD-SHELL', 'test -f /ready'], Interval: 20 * MS, Timeout: 7 * MS, Retries: 2 });
  assert.equal(c.state.health?.Status, 'starting');
  await until('healthy, unhealthy, healthy', () => d.seen.filter((s) => s.startsWith('health_status')).length >= 3);
  assert.deepEqual(d.seen.filter((s) => s.startsWith('health_status')),
    ['health_status:healthy', 'health_status:unhealthy', 'health_status:healthy']);
  assert.deepEqual(probes.calls[0]!.args, ['/bin/sh', '-c', 'test -f /ready']);
  assert.equal(probes.calls[0]!.options.timeoutMs, 7);
  assert.equal(probes.calls[0]!.options.maxOutputBytes, 4096);
  const saved = JSON.parse(await readFile(join(d.root, 'containers', c.id, 'container.json'), 'utf8'));
  assert.equal(saved.record.state.health.Status, 'healthy', 'a status change is on disk');

  await d.manager.stop(c.id, { timeout: 0 });
  const probed = probes.calls.length;
  assert.equal(c.state.health?.Status, 'unhealthy', 'a stopped container reads unhealthy, as in dockerd');
  await sleep(80);
  assert.equal(probes.calls.length, probed, 'no probe after the stop');
  await d.manager.remove(c.id);
  await d.manager.close();
});

test('no check, NONE, or an unknown type: no probes and no State.Health', async () => {
  const probes = new ScriptedProbes([0]);
  const d = await open(probes);
  for (const hc of [{ Test: ['NONE'] }, { Interval: 20 * MS }, { Test: ['HTTP', 'x'], Interval: 20 * MS }]) {
    const c = await runWithCheck(d.manager, hc);
    assert.equal(c.state.health, undefined, JSON.stringify(hc));
  }
  await sleep(60);
  assert.equal(probes.calls.length, 0);
  for (const c of d.manager.all()) await d.manager.remove(c.id, { force: true });
  await d.manager.close();
});

test('daemon restart: the health state is kept and probing resumes for the adopted container', async () => {
  const first = new ScriptedProbes([0]);
  const d = await open(first);
  const c = await runWithCheck(d.manager, { Test: ['CMD', 'true'], Interval: 20 * MS });
  await until('healthy', () => c.state.health?.Status === 'healthy');
  await until('more results', () => (c.state.health?.Log.length ?? 0) >= 3);
  await d.manager.close();
  const logAtClose = c.state.health!.Log.length;
  const closedCalls = first.calls.length;
  await sleep(60);
  assert.equal(first.calls.length, closedCalls, 'close() ends every loop');

  const second = new ScriptedProbes([1]);
  const again = await open(second, d.root, d.runtime);
  const adopted = again.manager.get(c.id);
  assert.equal(adopted.state.health?.Status, 'healthy', 'the status as it was');
  assert.equal(adopted.state.health?.Log.length, logAtClose, 'results saved at close');
  await until('probing resumed', () => second.calls.length >= 3);
  assert.equal(adopted.state.health?.Status, 'unhealthy', 'three failures after the restart');
  await again.manager.remove(c.id, { force: true });
  await again.manager.close();
});
