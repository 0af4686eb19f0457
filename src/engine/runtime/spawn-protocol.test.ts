import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AnswerReader, SPAWN_SETSID, SPAWN_SYNC, encodeDrop, encodeKill, encodeMount, encodeSpawn, encodeUnmount } from './spawn-protocol.js';

/** A frame as berth-spawn.c writes it. */
function answer(seq: number, type: string, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUInt32LE(5 + payload.length, 0);
  head.writeUInt32LE(seq, 4);
  head.write(type, 8, 'latin1');
  return Buffer.concat([head, payload]);
}

const ints = (...v: number[]) => Buffer.concat(v.map((n) => { const b = Buffer.alloc(4); b.writeInt32LE(n); return b; }));

test('a spawn request carries flags, counts, then cwd, file, args and env as NUL-ended strings', () => {
  const f = encodeSpawn(7, { file: 'runc', args: ['start', 'x'], cwd: '/b', env: ['PATH=/bin'], flags: SPAWN_SETSID | SPAWN_SYNC });
  assert.equal(f.readUInt32LE(0), f.length - 4);
  assert.equal(f.readUInt32LE(4), 7);
  assert.equal(f.toString('latin1', 8, 9), 'S');
  assert.deepEqual([f.readUInt32LE(9), f.readUInt32LE(13), f.readUInt32LE(17)], [SPAWN_SETSID | SPAWN_SYNC, 3, 1]);
  assert.equal(f.subarray(21).toString(), '/b\0runc\0start\0x\0PATH=/bin\0');
  assert.throws(() => encodeSpawn(1, { file: 'a', args: ['b\0c'], cwd: '', env: [], flags: 0 }), /NUL/);
});

test('kill, drop, mount and umount requests', () => {
  assert.deepEqual([...encodeKill(3, 9).subarray(8)], [...Buffer.from('K'), 9, 0, 0, 0]);
  assert.deepEqual([...encodeDrop(3, 2).subarray(8)], [...Buffer.from('D'), 2]);
  const m = encodeMount(4, { source: 'overlay', fstype: 'overlay', target: '/m', flags: 0, data: 'lowerdir=/l' });
  assert.equal(m.subarray(13).toString(), 'overlay\0overlay\0/m\0lowerdir=/l\0');
  const u = encodeUnmount(5, '/m', 2);
  assert.equal(u.readUInt32LE(9), 2);
  assert.equal(u.subarray(13).toString(), '/m\0');
});

test('answers are read whatever chunks they arrive in', () => {
  const bytes = Buffer.concat([
    answer(1, 'P', ints(4242)),
    answer(1, 'O', Buffer.concat([Buffer.from([1]), Buffer.from('hello')])),
    answer(1, 'E', Buffer.from([1])),
    answer(1, 'X', ints(-1, 9, 0)),
    answer(2, 'R', ints(16)),
  ]);
  const reader = new AnswerReader();
  const got = [];
  for (let i = 0; i < bytes.length; i += 3) got.push(...reader.push(bytes.subarray(i, i + 3)));
  assert.deepEqual(got, [
    { seq: 1, type: 'started', pid: 4242 },
    { seq: 1, type: 'output', stream: 1, data: Buffer.from('hello') },
    { seq: 1, type: 'end', stream: 1 },
    { seq: 1, type: 'exit', code: -1, signal: 9, execErrno: 0 },
    { seq: 2, type: 'result', errno: 16 },
  ]);
  assert.throws(() => new AnswerReader().push(answer(1, '?', Buffer.alloc(0))), /unknown type/);
  assert.throws(() => new AnswerReader().push(Buffer.from([1, 0, 0, 0, 0])), /malformed/);
});
