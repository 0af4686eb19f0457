// The Node clients people drive Docker with, unchanged, against berthd: dockerode's getEvents() follows a
// container's life, and testcontainers' health-check wait strategy waits for a container to turn
// healthy (and fails for one that does not).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Docker from 'dockerode';
import { GenericContainer, Wait } from 'testcontainers';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

let daemon: TestDaemon;
before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
  // testcontainers reads where the daemon is from the environment, as every Docker client does. Its
  // reaper container (ryuk) comes from Docker Hub, which this host cannot reach: the tests remove
  // what they start themselves.
  process.env.DOCKER_HOST = daemon.host;
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
});
after(async () => { await daemon.stop(); });

test("dockerode's getEvents() streams a container's create, start, die and destroy", async () => {
  const docker = new Docker({ socketPath: daemon.socket });
  const since = Math.floor(Date.now() / 1000) - 1;
  const stream = await docker.getEvents({ since, filters: { type: ['container'], label: ['test=dockerode'] } });
  const actions: string[] = [];
  const seenDestroy = new Promise<void>((resolve, reject) => {
    let buffer = '';
    stream.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const event = JSON.parse(buffer.slice(0, nl)) as { Type: string; Action: string; Actor: { Attributes: Record<string, string> } };
        buffer = buffer.slice(nl + 1);
        assert.equal(event.Type, 'container');
        assert.equal(event.Actor.Attributes.test, 'dockerode');
        actions.push(event.Action);
        if (event.Action === 'destroy') resolve();
      }
    });
    stream.on('error', reject);
  });
  const container = await docker.createContainer({ Image: 'busybox', Cmd: ['sh', '-c', 'exit 3'], Labels: { test: 'dockerode' } });
  await container.start();
  assert.equal((await container.wait()).StatusCode, 3);
  await container.remove();
  await seenDestroy;
  (stream as unknown as { destroy(): void }).destroy();
  assert.deepEqual(actions, ['create', 'start', 'die', 'destroy']);
});

test("testcontainers' Wait.forHealthCheck() waits for healthy; an unhealthy container fails the start", async () => {
  const healthy = await new GenericContainer('busybox')
    .withCommand(['sh', '-c', 'sleep 1; touch /tmp/ready; sleep 300'])
    // Failing probes in the start period do not count (Docker's rule): the container turns healthy at ~1 s.
    .withHealthCheck({ test: ['CMD-SHELL', 'test -e /tmp/ready'], interval: 200, timeout: 1000, retries: 3, startPeriod: 5000 })
    .withWaitStrategy(Wait.forHealthCheck())
    .withStartupTimeout(20_000)
    .start();
  try {
    const state = await daemon.ok(['inspect', '-f', '{{.State.Health.Status}}', healthy.getId()]);
    assert.equal(state, 'healthy\n');
  } finally {
    await healthy.stop({ remove: true, timeout: 0 });
  }

  const failing = new GenericContainer('busybox')
    .withCommand(['sleep', '300'])
    .withHealthCheck({ test: ['CMD', 'false'], interval: 200, timeout: 1000, retries: 1, startPeriod: 0 })
    .withWaitStrategy(Wait.forHealthCheck())
    .withStartupTimeout(10_000);
  await assert.rejects(failing.start(), /unhealthy|Health check failed/i);
  for (const id of (await daemon.ok(['ps', '-aq'])).split('\n').filter(Boolean)) await daemon.ok(['rm', '-f', id]);
});
