import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { DOCKER, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

// `docker events` with the real docker CLI against berthd: the events of a container's life, of
// images, networks and volumes in dockerd's shape; filters; replay from the journal, also after a
// daemon restart; live delivery; berth events printing what docker events prints.

let daemon: TestDaemon;
let t0: string;
before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
  t0 = (Date.now() / 1000).toFixed(9);
});
after(async () => { await daemon.stop(); });

interface Event {
  status?: string; id?: string; from?: string; Type: string; Action: string;
  Actor: { ID: string; Attributes: Record<string, string> }; scope: string; time: number; timeNano: number;
}

const ok = async (args: string[]): Promise<string> => (await daemon.ok(args)).trim();

/** The events since the test began (replayed from the journal), filtered, as JSON. */
async function eventsSince(...filters: string[]): Promise<Event[]> {
  const until = (Date.now() / 1000 + 0.001).toFixed(9);
  const out = await ok(['events', '--since', t0, '--until', until, '--format', '{{json .}}', ...filters.flatMap((f) => ['--filter', f])]);
  return out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Event);
}

test('a container\'s life is reported with Docker\'s actions and attributes', async () => {
  const id = await ok(['run', '-d', '--name', 'evt-life', '-l', 'app=web', 'busybox', 'sleep', '30']);
  await ok(['rename', 'evt-life', 'evt-life2']);
  await ok(['exec', 'evt-life2', 'true']);
  await ok(['top', 'evt-life2']);
  await ok(['kill', '-s', 'USR1', 'evt-life2']);
  await ok(['stop', '-t', '1', 'evt-life2']);
  await ok(['restart', '-t', '1', 'evt-life2']);
  await ok(['rm', '-f', 'evt-life2']);
  const events = await eventsSince(`container=${id}`);
  assert.deepEqual(events.map((e) => e.Action), [
    'create', 'start', 'rename', 'exec_create: true ', 'exec_start: true ', 'exec_die', 'top', 'kill', 'kill', 'kill', 'die', 'stop',
    'start', 'restart', 'kill', 'die', 'destroy',
  ]);
  const [create] = events;
  assert.deepEqual(create, {
    status: 'create', id, from: 'busybox', Type: 'container', Action: 'create',
    Actor: { ID: id, Attributes: { app: 'web', image: 'busybox', name: 'evt-life' } },
    scope: 'local', time: create.time, timeNano: create.timeNano,
  });
  assert.equal(Math.floor(create.timeNano / 1e9), create.time);
  const attrs = (action: string) => events.find((e) => e.Action === action)!.Actor.Attributes;
  assert.equal(attrs('rename').oldName, '/evt-life');
  assert.equal(attrs('rename').name, 'evt-life2');
  assert.equal(attrs('exec_die').exitCode, '0');
  assert.match(attrs('exec_die').execID, /^[0-9a-f]{64}$/);
  assert.deepEqual(events.filter((e) => e.Action === 'kill').map((e) => e.Actor.Attributes.signal), ['10', '15', '9', '9']);
  assert.equal(attrs('die').exitCode, '137');
});

test('images, networks and volumes report theirs; filters pick them', async () => {
  await ok(['tag', 'busybox', 'evt-tag:1']);
  await ok(['rmi', 'evt-tag:1']);
  const net = await ok(['network', 'create', 'evt-net']);
  await ok(['volume', 'create', 'evt-vol']);
  const cid = await ok(['create', '--name', 'evt-vols', '--network', 'evt-net', '-v', 'evt-vol:/data', 'busybox', 'true']);
  await ok(['start', '-a', 'evt-vols']);
  await ok(['rm', 'evt-vols']);
  await ok(['network', 'rm', 'evt-net']);
  await ok(['volume', 'rm', 'evt-vol']);

  const images = await eventsSince('type=image', 'image=evt-tag');
  assert.deepEqual(images.map((e) => [e.Action, e.Actor.Attributes.name]), [['tag', 'evt-tag:1']]);
  assert.equal(images[0].status, 'tag');
  assert.equal(images[0].from, undefined);

  const network = await eventsSince('network=evt-net');
  assert.deepEqual(network.map((e) => e.Action), ['create', 'connect', 'disconnect', 'destroy']);
  assert.deepEqual(network[1].Actor, { ID: net, Attributes: { container: cid, name: 'evt-net', type: 'bridge' } });
  assert.equal(network[0].status, undefined);

  const volume = await eventsSince('volume=evt-vol');
  assert.deepEqual(volume.map((e) => e.Action), ['create', 'mount', 'unmount', 'destroy']);
  assert.deepEqual(volume[1].Actor.Attributes, { container: cid, destination: '/data', driver: 'local', propagation: '', 'read/write': 'true' });

  // Several values of one filter OR; different filters AND.
  const both = await eventsSince('event=create', 'event=destroy', 'type=volume');
  assert.deepEqual(both.map((e) => `${e.Type} ${e.Action}`), ['volume create', 'volume destroy']);
});

test('a live subscriber gets events as they happen, and the stream ends at --until', async () => {
  const since = (Date.now() / 1000).toFixed(9);
  const until = (Date.now() / 1000 + 4).toFixed(9);
  const child = spawn(DOCKER, ['-H', daemon.host, 'events', '--since', since, '--until', until, '--filter', 'type=volume', '--format', '{{.Action}} {{.Actor.ID}}']);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  await new Promise((r) => setTimeout(r, 500));
  await ok(['volume', 'create', 'evt-live']);
  await ok(['volume', 'rm', 'evt-live']);
  const started = Date.now();
  assert.equal(await exited, 0);
  assert.ok(Date.now() - started < 5000);
  assert.equal(out, 'create evt-live\ndestroy evt-live\n');
});

test('berth events prints what docker events prints', async () => {
  const until = (Date.now() / 1000).toFixed(9);
  const args = ['events', '--since', t0, '--until', until];
  const docker = await daemon.docker(args);
  const berth = await daemon.berth(args);
  assert.equal(berth.code, 0, berth.stderr);
  assert.ok(docker.stdout.length > 0);
  assert.equal(berth.stdout, docker.stdout);
  assert.match(docker.stdout, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z container create [0-9a-f]{64} \(app=web, image=busybox, name=evt-life\)$/m);
  const json = await daemon.berth([...args, '--format', 'json', '--filter', 'type=network']);
  const dockerJson = await daemon.docker([...args, '--format', '{{json .}}', '--filter', 'type=network']);
  assert.equal(json.stdout, dockerJson.stdout);
});

test('the journal answers --since after a daemon restart', async () => {
  await ok(['volume', 'create', 'evt-restart']);
  await ok(['volume', 'rm', 'evt-restart']);
  await daemon.stopDaemon();
  await daemon.launch();
  const events = await eventsSince('volume=evt-restart');
  assert.deepEqual(events.map((e) => e.Action), ['create', 'destroy']);
  const lives = await eventsSince('container=evt-life');
  assert.ok(lives.length > 10);
});

test('bad since and until are refused with dockerd\'s words', async () => {
  const r = await daemon.api('GET', '/events?since=5&until=1');
  assert.equal(r.status, 400);
  assert.equal(JSON.parse(r.body).message, '`since` time (5) cannot be after `until` time (1)');
  const bad = await daemon.api('GET', '/events?since=abc&until=1');
  assert.equal(bad.status, 400);
  assert.equal(JSON.parse(bad.body).message, 'strconv.ParseInt: parsing "abc": invalid syntax');
});
