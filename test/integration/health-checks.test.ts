import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

// Health checks with the real docker CLI against berthd, checked as a user checks them: `docker ps`
// STATUS and its health filter, `docker inspect` .State.Health, and what the probe sees inside.

let daemon: TestDaemon;
before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
  await importBusybox(daemon, 'hc-image:latest', ['HEALTHCHECK --interval=200ms --retries=1 CMD test -f /ready']);
});
after(async () => { await daemon.stop(); });

interface Health {
  Status: string;
  FailingStreak: number;
  Log: { Start: string; End: string; ExitCode: number; Output: string }[];
}

async function health(name: string): Promise<Health | null> {
  return JSON.parse(await daemon.ok(['inspect', '--format', '{{json .State.Health}}', name])) as Health | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function untilHealth(name: string, what: string, check: (h: Health) => boolean, ms = 15_000): Promise<Health> {
  const deadline = Date.now() + ms;
  for (;;) {
    const h = await health(name);
    if (h && check(h)) return h;
    if (Date.now() > deadline) assert.fail(`${name}: timed out waiting for ${what}; last: ${JSON.stringify(h)}`);
    await sleep(100);
  }
}

test('--health-cmd: starting, then healthy or unhealthy in docker ps, inspect and the health filter', async () => {
  await daemon.ok(['run', '-d', '--name', 'hc-good', '--health-cmd', 'echo fine', '--health-interval', '300ms', 'busybox', 'sleep', '300']);
  await daemon.ok(['run', '-d', '--name', 'hc-bad', '--health-cmd', 'echo broken >&2; exit 3', '--health-interval', '300ms',
    '--health-retries', '2', 'busybox', 'sleep', '300']);
  await daemon.ok(['run', '-d', '--name', 'hc-none', 'busybox', 'sleep', '300']);
  assert.match(await daemon.ok(['ps', '--filter', 'name=hc-good', '--format', '{{.Status}}']), /^Up .* \((health: starting|healthy)\)\n$/);

  const good = await untilHealth('hc-good', 'healthy', (h) => h.Status === 'healthy');
  assert.equal(good.FailingStreak, 0);
  assert.deepEqual(good.Log.map((e) => [e.ExitCode, e.Output]), good.Log.map(() => [0, 'fine\n']));
  assert.ok(Date.parse(good.Log[0]!.End) >= Date.parse(good.Log[0]!.Start));
  const bad = await untilHealth('hc-bad', 'unhealthy', (h) => h.Status === 'unhealthy');
  assert.ok(bad.FailingStreak >= 2);
  assert.deepEqual(bad.Log.at(-1), { ...bad.Log.at(-1)!, ExitCode: 3, Output: 'broken\n' });

  assert.match(await daemon.ok(['ps', '--filter', 'name=hc-good', '--format', '{{.Status}}']), /^Up .* \(healthy\)\n$/);
  assert.match(await daemon.ok(['ps', '--filter', 'name=hc-bad', '--format', '{{.Status}}']), /^Up .* \(unhealthy\)\n$/);
  assert.match(await daemon.ok(['ps', '--filter', 'name=hc-none', '--format', '{{.Status}}']), /^Up [^(]*\n$/);
  const names = async (filter: string) => (await daemon.ok(['ps', '--filter', filter, '--filter', 'name=hc-', '--format', '{{.Names}}'])).split('\n').filter(Boolean).sort();
  assert.deepEqual(await names('health=healthy'), ['hc-good']);
  assert.deepEqual(await names('health=unhealthy'), ['hc-bad']);
  assert.deepEqual(await names('health=none'), ['hc-none']);
  assert.deepEqual(await names('health=starting'), []);
  const refused = await daemon.docker(['ps', '--filter', 'health=sick']);
  assert.match(refused.stderr, /Unrecognised filter value for health: sick/);

  // The log holds the last five; a stop ends probing and reads unhealthy; a start begins again.
  const five = await untilHealth('hc-good', 'five results', (h) => h.Log.length === 5);
  await daemon.ok(['stop', '-t', '0', 'hc-good']);
  const stopped = await health('hc-good');
  assert.equal(stopped!.Status, 'unhealthy');
  await sleep(700);
  assert.deepEqual((await health('hc-good'))!.Log.at(-1)!.Start >= five.Log.at(-1)!.Start, true);
  assert.deepEqual((await health('hc-good'))!.Log, stopped!.Log, 'no probe runs in a stopped container');
  await daemon.ok(['start', 'hc-good']);
  const restarted = (await health('hc-good'))!;
  assert.ok(['starting', 'healthy'].includes(restarted.Status));
  await untilHealth('hc-good', 'healthy again', (h) => h.Status === 'healthy');
  await daemon.ok(['rm', '-f', 'hc-good', 'hc-bad', 'hc-none']);
});

test('a probe runs inside the container as its process does: user, working dir, environment; CMD form; bad command', async () => {
  await daemon.ok(['run', '-d', '--name', 'hc-inside', '-u', 'nobody', '-w', '/tmp', '-e', 'COLOUR=blue', '--health-cmd',
    'echo "$(id -u) $(pwd) $COLOUR $(cat /proc/1/cmdline | tr "\\0" " ")"', '--health-interval', '300ms', 'busybox', 'sleep', '301']);
  const inside = await untilHealth('hc-inside', 'one result', (h) => h.Log.length > 0);
  assert.equal(inside.Log[0]!.Output, '65534 /tmp blue sleep 301 \n', 'same user, dir, env and pid namespace as the container');

  const created = await daemon.api('POST', '/containers/create?name=hc-cmd', {
    Image: 'busybox', Cmd: ['sleep', '300'],
    Healthcheck: { Test: ['CMD', 'nosuchprobe', '--flag'], Interval: 300_000_000, Retries: 1 },
  });
  assert.equal(created.status, 201, created.body);
  await daemon.ok(['start', 'hc-cmd']);
  const failed = await untilHealth('hc-cmd', 'unhealthy', (h) => h.Status === 'unhealthy');
  assert.equal(failed.Log[0]!.ExitCode, -1);
  assert.equal(failed.Log[0]!.Output,
    'OCI runtime exec failed: exec failed: unable to start container process: exec: "nosuchprobe": executable file not found in $PATH: unknown');
  await daemon.ok(['rm', '-f', 'hc-inside', 'hc-cmd']);
});

test('timeouts kill the probe; output is cut at 4096 bytes', async () => {
  await daemon.ok(['run', '-d', '--name', 'hc-slow', '--health-cmd', 'echo started; sleep 30', '--health-interval', '300ms',
    '--health-timeout', '400ms', '--health-retries', '1', 'busybox', 'sleep', '300']);
  await daemon.ok(['run', '-d', '--name', 'hc-loud', '--health-cmd', 'head -c 5000 /dev/zero | tr "\\0" x',
    '--health-interval', '300ms', 'busybox', 'sleep', '300']);
  const slow = await untilHealth('hc-slow', 'unhealthy', (h) => h.Status === 'unhealthy');
  assert.deepEqual([slow.Log[0]!.ExitCode, slow.Log[0]!.Output], [-1, 'Health check exceeded timeout (400ms): started\n']);
  const took = Date.parse(slow.Log[0]!.End) - Date.parse(slow.Log[0]!.Start);
  assert.ok(took >= 400 && took < 5000, `the probe ended after ${took} ms`);
  // The killed probe is gone from the container.
  const ps = await daemon.ok(['exec', 'hc-slow', 'ps', '-o', 'args']);
  assert.doesNotMatch(ps, /echo started/);
  const loud = await untilHealth('hc-loud', 'one result', (h) => h.Log.length > 0);
  assert.equal(loud.Log[0]!.Output, `${'x'.repeat(4096)}...`);
  await daemon.ok(['rm', '-f', 'hc-slow', 'hc-loud']);
});

test('HEALTHCHECK of the image applies, merged under --health-*; --no-healthcheck turns it off', async () => {
  await daemon.ok(['run', '-d', '--name', 'hc-img', 'hc-image', 'sleep', '300']);
  assert.deepEqual(JSON.parse(await daemon.ok(['inspect', '--format', '{{json .Config.Healthcheck}}', 'hc-img'])),
    { Test: ['CMD-SHELL', 'test -f /ready'], Interval: 200_000_000, Retries: 1 });
  await untilHealth('hc-img', 'unhealthy', (h) => h.Status === 'unhealthy');
  await daemon.ok(['exec', 'hc-img', 'touch', '/ready']);
  await untilHealth('hc-img', 'healthy', (h) => h.Status === 'healthy');

  await daemon.ok(['create', '--name', 'hc-merged', '--health-retries', '4', 'hc-image', 'true']);
  assert.deepEqual(JSON.parse(await daemon.ok(['inspect', '--format', '{{json .Config.Healthcheck}}', 'hc-merged'])),
    { Test: ['CMD-SHELL', 'test -f /ready'], Interval: 200_000_000, Retries: 4 });
  await daemon.ok(['run', '-d', '--name', 'hc-off', '--no-healthcheck', 'hc-image', 'sleep', '300']);
  // As dockerd shows it: the image's other fields are merged under NONE, which alone decides.
  assert.deepEqual(JSON.parse(await daemon.ok(['inspect', '--format', '{{json .Config.Healthcheck}}', 'hc-off'])),
    { Test: ['NONE'], Interval: 200_000_000, Retries: 1 });
  await sleep(500);
  assert.equal(await health('hc-off'), null);
  assert.match(await daemon.ok(['ps', '--filter', 'name=hc-off', '--format', '{{.Status}}']), /^Up [^(]*\n$/);
  await daemon.ok(['rm', '-f', 'hc-img', 'hc-merged', 'hc-off']);
});

test('refused settings, in Docker\'s words', async () => {
  const before = await daemon.ok(['ps', '-aq']);
  const create = (hc: unknown) => daemon.api('POST', '/containers/create', { Image: 'busybox', Healthcheck: hc });
  for (const [hc, message] of [
    [{ Interval: 500_000 }, 'Interval in Healthcheck cannot be less than 1ms'],
    [{ Timeout: -1 }, 'Timeout in Healthcheck cannot be less than 1ms'],
    [{ Retries: -1 }, 'Retries in Healthcheck cannot be negative'],
    [{ StartPeriod: 5 }, 'StartPeriod in Healthcheck cannot be less than 1ms'],
  ] as const) {
    const r = await create(hc);
    assert.equal(r.status, 400, r.body);
    assert.equal(JSON.parse(r.body).message, message);
  }
  const cli = await daemon.docker(['run', '-d', '--health-interval', '500us', 'busybox', 'true']);
  assert.equal(cli.code, 125);
  assert.match(cli.stderr, /Interval in Healthcheck cannot be less than 1ms/);
  assert.equal(await daemon.ok(['ps', '-aq']), before, 'nothing was created');
  // berth refuses what the docker CLI refuses before asking the daemon.
  const berth = await daemon.berth(['run', '-d', '--health-retries', '-1', 'busybox', 'true']);
  assert.equal(berth.code, 125);
  assert.match(berth.stderr, /--health-retries cannot be negative/);
  const conflict = await daemon.berth(['run', '-d', '--no-healthcheck', '--health-cmd', 'true', 'busybox', 'true']);
  assert.match(conflict.stderr, /--no-healthcheck conflicts with --health-\* options/);
});

test('berth run --health-* sets the same Healthcheck as docker', async () => {
  const flags = ['--health-cmd', 'true', '--health-interval', '1m30s', '--health-timeout', '2s', '--health-retries', '4',
    '--health-start-period', '1.5s', '--health-start-interval', '250ms', 'busybox', 'true'];
  await daemon.ok(['create', '--name', 'hc-docker', ...flags]);
  const b = await daemon.berth(['create', '--name', 'hc-berth', ...flags]);
  assert.equal(b.code, 0, b.stderr);
  const shown = async (name: string) => JSON.parse(await daemon.ok(['inspect', '--format', '{{json .Config.Healthcheck}}', name]));
  assert.deepEqual(await shown('hc-berth'), await shown('hc-docker'));
  assert.deepEqual(await shown('hc-berth'), {
    Test: ['CMD-SHELL', 'true'], Interval: 90e9, Timeout: 2e9, Retries: 4, StartPeriod: 1.5e9, StartInterval: 250e6,
  });
  await daemon.ok(['rm', 'hc-docker', 'hc-berth']);
});

test('the health state survives a daemon restart and kill -9; probing resumes for the adopted container', async () => {
  await daemon.ok(['run', '-d', '--name', 'hc-live', '--health-cmd', 'test ! -f /broken', '--health-interval', '300ms',
    '--health-retries', '1', 'busybox', 'sleep', '300']);
  await untilHealth('hc-live', 'healthy', (h) => h.Status === 'healthy' && h.Log.length >= 2);
  await daemon.stopDaemon();
  await daemon.launch();
  const kept = (await health('hc-live'))!;
  assert.equal(kept.Status, 'healthy');
  await untilHealth('hc-live', 'a probe after the restart', (h) => h.Log.at(-1)!.Start > kept.Log.at(-1)!.Start);

  await daemon.kill9();
  await daemon.launch();
  assert.equal((await health('hc-live'))!.Status, 'healthy', 'the last change of status was saved when it happened');
  await daemon.ok(['exec', 'hc-live', 'touch', '/broken']);
  await untilHealth('hc-live', 'unhealthy after kill -9', (h) => h.Status === 'unhealthy');
  assert.match(await daemon.ok(['ps', '--filter', 'name=hc-live', '--format', '{{.Status}}']), /\(unhealthy\)/);
  await daemon.ok(['rm', '-f', 'hc-live']);
  await sleep(300);
  assert.deepEqual(await readdir(join(daemon.execRoot, 'health')), [], 'no probe left behind');
});
