// `docker logs` of long and rotated logs: --tail read from the end and --since by bisection give
// exactly what the whole log gives; --log-opt max-size/max-file keep the files bounded, and tail
// and follow read across the rotated files.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { spawn } from 'node:child_process';
import { DOCKER, run, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

let daemon: TestDaemon;
before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
});
after(async () => {
  await daemon.stop();
});

/** The docker CLI's stdout and stderr (the two streams of the log, demultiplexed). */
async function logs(args: string[]): Promise<{ out: string; err: string }> {
  const r = await run(DOCKER, ['-H', daemon.host, 'logs', ...args], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  return { out: r.stdout, err: r.stderr };
}

const seq = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${from + i}\n`).join('');

test('tail of a 200,000-line log: exactly the last entries, per stream, with and without timestamps, a partial line last', async () => {
  // conmon reads stdout and stderr apart: what one stream writes before the other's is only
  // logged first with a pause in between.
  await daemon.ok(['run', '--name', 'big', 'busybox', 'sh', '-c', 'seq 1 50 >&2; sleep 0.3; seq 1 200000; printf "no newline"']);
  try {
    // The last 100 entries: 99 lines and the unfinished one.
    assert.deepEqual(await logs(['--tail', '100', 'big']), { out: seq(199902, 200000) + 'no newline', err: '' });
    assert.equal((await logs(['--tail', '1', 'big'])).out, 'no newline');
    assert.deepEqual(await logs(['--tail', '0', 'big']), { out: '', err: '' });
    assert.deepEqual(await logs(['--tail', '200003', 'big']), { out: seq(1, 200000) + 'no newline', err: seq(49, 50) });
    // One stream only: the tail counts entries of both, and prints the chosen one.
    const onlyErr = await run(DOCKER, ['-H', daemon.host, 'logs', '--tail', '200010', 'big'], { timeoutMs: 60_000 });
    assert.equal(onlyErr.stderr, seq(42, 50));
    const api = await daemon.api('GET', '/v1.47/containers/big/logs?stderr=1&tail=200005');
    assert.equal(api.status, 200);
    assert.equal(api.body.length, 4 * (8 + 3), 'four framed stderr lines (47-50), no stdout');
    // With timestamps: the same lines as the whole log shows them.
    const all = await logs(['-t', 'big']);
    const allOut = all.out.split('\n');
    const stamped = await logs(['-t', '--tail', '1000', 'big']);
    const tailOut = stamped.out.split('\n');
    assert.deepEqual(tailOut, allOut.slice(-1000));
    assert.equal(stamped.err, '');
    assert.match(tailOut[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z 199002$/);
    // --since in the middle: from the first entry stamped at or after the 100,000th line's time.
    const since = allOut[99_999]!.slice(0, 30);
    const fromSince = await logs(['-t', '--since', since, 'big']);
    const first = allOut.findIndex((l) => l.slice(0, 30) >= since);
    assert.deepEqual(fromSince.out.split('\n'), allOut.slice(first));
    const until = allOut[150_000]!.slice(0, 30);
    const between = await logs(['-t', '--since', since, '--until', until, 'big']);
    assert.deepEqual(between.out.split('\n').slice(0, -1), allOut.slice(first).filter((l) => l.slice(0, 30) <= until));
    assert.equal(between.err, '', 'stderr came before --since');
  } finally {
    await daemon.ok(['rm', '-f', 'big']);
  }
});

test('--log-opt max-size/max-file: bounded files, tail and follow across rotations, options as inspect and dockerd show them', async () => {
  // 30 bursts of 1,000 lines (~1.5 MB in all) a little apart, after a second to start following.
  const script = 'sleep 1; for b in $(seq 0 29); do seq $((b*1000+1)) $((b*1000+1000)); usleep 30000; done';
  const id = (await daemon.ok(['run', '-d', '--name', 'rot', '--log-opt', 'max-size=300k', '--log-opt', 'max-file=3', 'busybox', 'sh', '-c', script])).trim();
  try {
    const follower = spawn(DOCKER, ['-H', daemon.host, 'logs', '-f', 'rot'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let followed = '';
    follower.stdout.on('data', (d) => (followed += d));
    const ended = new Promise((resolve) => follower.on('exit', resolve));
    assert.equal(await daemon.ok(['wait', 'rot']), '0\n');
    await ended;
    assert.equal(followed, seq(1, 30000), 'the follower saw every line once, in order');

    const logPath = (await daemon.ok(['inspect', '-f', '{{.LogPath}}', 'rot'])).trim();
    const files = (await readdir(dirname(logPath))).filter((f) => /^container\.log(\.\d+)?$/.test(f));
    assert.ok(files.length <= 3 && files.length >= 2, `files kept: ${files.join(' ')}`);
    for (const f of files) {
      const { size } = await stat(`${dirname(logPath)}/${f}`);
      assert.ok(size <= 300_000, `${f} holds ${size} bytes`);
    }
    // What is kept is the newest part, in order, across the files.
    const kept = (await logs(['rot'])).out.split('\n').slice(0, -1).map(Number);
    assert.equal(kept.at(-1), 30000);
    assert.ok(kept.length > 10_000 && kept[0]! > 1, `kept ${kept.length} lines from ${kept[0]}`);
    assert.deepEqual(kept, kept.map((_, i) => kept[0]! + i));
    assert.equal((await logs(['--tail', '10000', 'rot'])).out, seq(20001, 30000));
    assert.equal(await daemon.ok(['inspect', '-f', '{{json .HostConfig.LogConfig}}', id]), '{"Type":"json-file","Config":{"max-file":"3","max-size":"300k"}}\n');
  } finally {
    await daemon.ok(['rm', '-f', 'rot']);
  }
});

test('log options with bad values fail the start with dockerd\'s messages; compression is refused by name', async () => {
  const cases: [string[], string][] = [
    [['max-size=abc'], "failed to initialize logging driver: invalid size: 'abc'"],
    [['max-size=0'], 'failed to initialize logging driver: max-size must be a positive number'],
    [['max-size=1k', 'max-file=0'], 'failed to initialize logging driver: max-file cannot be less than 1'],
    [['max-file=x'], 'failed to initialize logging driver: strconv.Atoi: parsing "x": invalid syntax'],
    [['compress=yes'], 'failed to initialize logging driver: strconv.ParseBool: parsing "yes": invalid syntax'],
  ];
  for (const [opts, message] of cases) {
    await daemon.refused(['run', '--rm', ...opts.flatMap((o) => ['--log-opt', o]), 'busybox', 'true'], message);
  }
  await daemon.refused(['run', '--rm', '--log-opt', 'max-size=1k', '--log-opt', 'max-file=2', '--log-opt', 'compress=true', 'busybox', 'true'],
    /log opt 'compress' of the json-file log driver is not supported by berthd yet/);
  // Names are checked at create, values at start (as dockerd does).
  await daemon.ok(['create', '--name', 'badsize', '--log-opt', 'max-size=abc', 'busybox', 'true']);
  await daemon.ok(['rm', 'badsize']);
  await daemon.refused(['run', '--rm', '--log-driver', 'local', '--log-opt', 'max-size=abc', 'busybox', 'true'],
    "failed to initialize logging driver: invalid value for max-size: abc: invalid size: 'abc'");
});

test('the daemon\'s --log-opt are the defaults of json-file containers, under their own options', async () => {
  const other = await startDaemon({ args: ['--log-opt', 'max-size=1m', '--log-opt', 'max-file=2'] });
  try {
    await importBusybox(other);
    await other.ok(['create', '--name', 'plain', 'busybox', 'true']);
    await other.ok(['create', '--name', 'own', '--log-opt', 'max-size=5m', 'busybox', 'true']);
    await other.ok(['create', '--name', 'local', '--log-driver', 'local', '--log-opt', 'compress=false', 'busybox', 'true']);
    const shown = await other.ok(['inspect', '-f', '{{json .HostConfig.LogConfig}}', 'plain', 'own', 'local']);
    assert.equal(shown, [
      '{"Type":"json-file","Config":{"max-file":"2","max-size":"1m"}}',
      '{"Type":"json-file","Config":{"max-file":"2","max-size":"5m"}}',
      '{"Type":"local","Config":{"compress":"false"}}',
      '',
    ].join('\n'));
  } finally {
    await other.stop();
  }
});
