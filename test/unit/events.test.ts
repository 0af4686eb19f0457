import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '../../src/engine/base/log.js';
import { EventBus, SlowSubscriberError } from '../../src/engine/events/event-bus.js';
import { EventFilter } from '../../src/engine/events/event-filter.js';
import { EventJournal } from '../../src/engine/events/event-journal.js';
import { parseEventTime, renderEvent, type BusEvent, type EventType } from '../../src/engine/events/event-types.js';
import { prettyEvent } from '../../src/cli/commands/events.js';

const log = new Logger('fatal');
let dir: string;
beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'berth-events-')); });
afterEach(async () => { await rm(dir, { recursive: true, force: true }); });

function event(type: EventType, action: string, id: string, attributes: Record<string, string> = {}, seq = 1): BusEvent {
  return { seq, type, action, actor: { ID: id, Attributes: attributes }, timeNano: 1796608146210805713n };
}

function matches(filters: Record<string, string[]>, e: BusEvent): boolean {
  return new EventFilter(new Map(Object.entries(filters))).matches(e);
}

const web = event('container', 'start', 'c0ffee11', { image: 'busybox:1.36', name: 'web', tier: 'front' });

test('an event is rendered as dockerd writes it: old fields for containers and images, exact timeNano', () => {
  assert.equal(renderEvent(event('container', 'create', 'abc', { name: 'x', image: 'busybox', foo: 'bar' })),
    '{"status":"create","id":"abc","from":"busybox","Type":"container","Action":"create","Actor":{"ID":"abc",'
    + '"Attributes":{"foo":"bar","image":"busybox","name":"x"}},"scope":"local","time":1796608146,"timeNano":1796608146210805713}');
  assert.equal(renderEvent(event('image', 'tag', 'sha256:1', { name: 'x:latest' })),
    '{"status":"tag","id":"sha256:1","Type":"image","Action":"tag","Actor":{"ID":"sha256:1","Attributes":{"name":"x:latest"}},'
    + '"scope":"local","time":1796608146,"timeNano":1796608146210805713}');
  assert.equal(renderEvent(event('volume', 'create', 'v', { driver: 'local' })),
    '{"Type":"volume","Action":"create","Actor":{"ID":"v","Attributes":{"driver":"local"}},"scope":"local","time":1796608146,"timeNano":1796608146210805713}');
});

test('the docker CLI\'s default line: time with nine decimals, type, action, actor, sorted attributes', () => {
  const e = { Type: 'container', Action: 'create', Actor: { ID: 'abc', Attributes: { name: 'x', image: 'busybox' } }, Time: 0, timeNano: 1796608146210805713n };
  process.env.TZ = 'UTC';
  assert.equal(prettyEvent(e), '2026-12-07T01:49:06.210805713Z container create abc (image=busybox, name=x)');
  assert.equal(prettyEvent({ ...e, Actor: { ID: 'v', Attributes: {} } }), '2026-12-07T01:49:06.210805713Z container create v');
});

test('since and until are Unix seconds with up to nine decimals; anything else is refused', () => {
  assert.equal(parseEventTime('1796608146'), 1796608146000000000n);
  assert.equal(parseEventTime('1796608146.2'), 1796608146200000000n);
  assert.equal(parseEventTime('1796608146.210805713'), 1796608146210805713n);
  assert.equal(parseEventTime('1h'), undefined);
  assert.equal(parseEventTime('2026-12-07T01:00:00Z'), undefined);
});

test('filters: values of one filter OR, different filters AND, labels all required', () => {
  assert.ok(matches({}, web));
  assert.ok(matches({ type: ['image', 'container'] }, web));
  assert.ok(!matches({ type: ['image'] }, web));
  assert.ok(matches({ event: ['stop', 'start'] }, web));
  assert.ok(!matches({ event: ['start'], type: ['image'] }, web));
  assert.ok(matches({ label: ['tier'] }, web));
  assert.ok(matches({ label: ['tier=front'] }, web));
  assert.ok(!matches({ label: ['tier=front', 'other'] }, web));
  assert.ok(matches({ scope: ['local'] }, web));
  assert.ok(!matches({ scope: ['swarm'] }, web));
  // A filter dockerd does not know is ignored.
  assert.ok(matches({ bogus: ['x'] }, web));
});

test('filters: container, network and volume match their own events by ID or name prefix', () => {
  assert.ok(matches({ container: ['web'] }, web));
  assert.ok(matches({ container: ['c0ff'] }, web));
  assert.ok(matches({ container: ['we'] }, web));
  assert.ok(!matches({ container: ['db'] }, web));
  assert.ok(!matches({ network: ['web'] }, web));
  const connect = event('network', 'connect', 'n1234', { name: 'bridge', type: 'bridge', container: 'c0ffee11' });
  assert.ok(matches({ network: ['bridge'] }, connect));
  assert.ok(!matches({ container: ['c0ffee11'] }, connect));
  assert.ok(matches({ volume: ['data'] }, event('volume', 'mount', 'data', { driver: 'local' })));
});

test('filters: image matches a container\'s image and an image\'s name, with or without the tag', () => {
  assert.ok(matches({ image: ['busybox:1.36'] }, web));
  assert.ok(matches({ image: ['busybox'] }, web));
  assert.ok(!matches({ image: ['alpine'] }, web));
  const tag = event('image', 'tag', 'sha256:abcd', { name: 'app:v2' });
  assert.ok(matches({ image: ['app'] }, tag));
  assert.ok(matches({ image: ['sha256:abcd'] }, tag));
  assert.ok(!matches({ image: ['app:v1'] }, tag));
});

test('filters: exec_start, exec_create and health_status match the actions that carry a suffix', () => {
  const exec = event('container', 'exec_start: sh -c true', 'c1');
  assert.ok(matches({ event: ['exec_start'] }, exec));
  assert.ok(!matches({ event: ['exec_die'] }, exec));
  assert.ok(matches({ event: ['health_status'] }, event('container', 'health_status: healthy', 'c1')));
  assert.ok(!matches({ event: ['start'] }, event('container', 'start_x', 'c1')));
});

test('every subscriber gets every event once, in order, at 1,000 events without waiting', async () => {
  const bus = await EventBus.open(dir, log);
  const subs = Array.from({ length: 10 }, () => bus.subscribe());
  const got = subs.map(() => [] as number[]);
  const readers = subs.map(async (s, i) => {
    while (got[i].length < 1000) for (const e of await s.next()) got[i].push(e.seq);
  });
  for (let i = 0; i < 1000; i++) bus.publish('container', 'create', { ID: `c${i}`, Attributes: {} });
  await Promise.all(readers);
  for (const g of got) assert.deepEqual(g, Array.from({ length: 1000 }, (_, i) => i + 1));
  await bus.close();
});

test('a subscriber that falls a whole buffer behind is cut off; the others go on', async () => {
  const bus = await EventBus.open(dir, log);
  const slow = bus.subscribe({ buffer: 10 });
  const fast = bus.subscribe({ buffer: 10 });
  let fastGot = 0;
  for (let i = 0; i < 50; i++) {
    bus.publish('volume', 'create', { ID: `v${i}`, Attributes: {} });
    fastGot += (await fast.next()).length;
  }
  assert.equal(fastGot, 50);
  assert.ok(slow.error instanceof SlowSubscriberError);
  assert.ok(slow.isClosed);
  assert.deepEqual(await slow.next(), []);
  assert.equal(bus.subscriberCount, 1);
  await bus.close();
});

test('replay then live: no event lost or repeated while events are published and written meanwhile', async () => {
  const bus = await EventBus.open(dir, log);
  for (let i = 0; i < 300; i++) bus.publish('container', 'start', { ID: `a${i}`, Attributes: {} });
  await new Promise((r) => setImmediate(r));
  for (let i = 0; i < 200; i++) bus.publish('container', 'start', { ID: `b${i}`, Attributes: {} });
  const sub = bus.subscribe({ since: 0n });
  for (let i = 0; i < 100; i++) bus.publish('container', 'start', { ID: `c${i}`, Attributes: {} });
  const seen = (await sub.replay()).map((e) => e.seq);
  while (seen.length < 600) seen.push(...(await sub.next()).map((e) => e.seq));
  assert.deepEqual(seen, Array.from({ length: 600 }, (_, i) => i + 1));
  await bus.close();
});

test('the journal survives a restart: since still answers, and seq goes on', async () => {
  const first = await EventBus.open(dir, log);
  first.publish('container', 'create', { ID: 'x', Attributes: { name: 'x' } });
  first.publish('network', 'create', { ID: 'n', Attributes: { name: 'n', type: 'bridge' } });
  await first.close();
  const second = await EventBus.open(dir, log);
  second.publish('volume', 'create', { ID: 'v', Attributes: { driver: 'local' } });
  const sub = second.subscribe({ since: 0n, until: BigInt(Date.now() + 1000) * 1_000_000n });
  const replayed = await sub.replay();
  assert.deepEqual(replayed.map((e) => [e.seq, e.type, e.actor.ID]), [[1, 'container', 'x'], [2, 'network', 'n'], [3, 'volume', 'v']]);
  sub.close();
  const filtered = second.subscribe({ until: BigInt(Date.now() + 1000) * 1_000_000n, filter: new EventFilter(new Map([['type', ['network']]])) });
  assert.deepEqual((await filtered.replay()).map((e) => e.actor.ID), ['n']);
  await second.close();
});

test('the journal stays within its bounds, dropping the oldest segment first', async () => {
  const limits = { segmentBytes: 2000, maxSegments: 3 };
  const bus = await EventBus.open(dir, log, limits);
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 10; i++) bus.publish('container', 'die', { ID: `c${round}-${i}`, Attributes: { exitCode: '0' } });
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 1));
  }
  await bus.close();
  const files = (await readdir(dir)).sort();
  assert.equal(files.length, 3);
  let total = 0;
  for (const f of files) total += (await stat(join(dir, f))).size;
  assert.ok(total <= 3 * 2000, `journal is ${total} bytes`);
  const again = await EventBus.open(dir, log, limits);
  const sub = again.subscribe({ since: 0n });
  const replayed = await sub.replay();
  assert.equal(replayed.at(-1)!.actor.ID, 'c19-9');
  assert.ok(replayed[0].seq > 1, 'the oldest events are gone');
  const seqs = replayed.map((e) => e.seq);
  assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => seqs[0] + i));
  await again.close();
});

test('a torn last line (a crash mid-write) is cut off at open', async () => {
  const bus = await EventBus.open(dir, log);
  bus.publish('container', 'create', { ID: 'x', Attributes: {} });
  await bus.close();
  const [file] = await readdir(dir);
  await appendFile(join(dir, file), '2\t17966081462108057');
  const journal = await EventJournal.open(dir, log);
  assert.equal(journal.lastSeq, 1);
  const events = await journal.read(10, () => true);
  assert.deepEqual(events.map((e) => e.actor.ID), ['x']);
  await journal.close();
});
