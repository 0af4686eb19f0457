// The console's terminal protocol and its gate's host rules, as pure functions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Channel, decode, encodeAck, encodeAtOffset, encodeBytes, encodeJson, encodeSize, parseHello } from '../../src/cli/console/web/protocol.js';
import { allowedHostsFor, isLoopback } from '../../src/cli/console/console-gate.js';
import { parseAnsi, plainText } from '../../src/cli/console/web/ansi.js';

test('every channel survives an encode and decode, offsets past 2^32 included', () => {
  const bytes = new Uint8Array([0xe2, 0x82]);
  assert.deepEqual(decode(encodeAtOffset(Channel.Stdout, 2 ** 40 + 7, bytes)), { channel: Channel.Stdout, offset: 2 ** 40 + 7, bytes });
  assert.deepEqual(decode(encodeAck(123456789012)), { channel: Channel.Ack, offset: 123456789012 });
  assert.deepEqual(decode(encodeSize(Channel.Resize, { cols: 65535, rows: 1 })), { channel: Channel.Resize, size: { cols: 65535, rows: 1 } });
  assert.deepEqual(decode(encodeJson(Channel.Exit, { exitCode: 3 })), { channel: Channel.Exit, json: { exitCode: 3 } });
  assert.deepEqual(decode(encodeBytes(Channel.Stdin, bytes)), { channel: Channel.Stdin, bytes });
});

test('malformed messages and hellos are refused with a reason', () => {
  assert.throws(() => decode(new Uint8Array([])), /empty/);
  assert.throws(() => decode(new Uint8Array([42])), /unknown channel 42/);
  assert.throws(() => decode(new Uint8Array([Channel.Resize, 0, 80])), /4 bytes/);
  assert.throws(() => decode(new Uint8Array([Channel.Ack, 1, 2])), /too short/);
  assert.deepEqual(parseHello({ cols: 80, rows: 24, offset: 0 }), { cols: 80, rows: 24, offset: 0 });
  assert.throws(() => parseHello({ cols: 0, rows: 24, offset: 0 }), /cols must be a whole number from 1 to 65535/);
  assert.throws(() => parseHello({ cols: 80, rows: 24, offset: -1 }), /offset/);
  assert.throws(() => parseHello(null), /cols/);
});

test('the console answers to its own names only: loopback names on loopback, the address itself otherwise', () => {
  assert.deepEqual([...allowedHostsFor('127.0.0.1', 8080, 'http')].sort(), ['127.0.0.1:8080', '[::1]:8080', 'localhost:8080']);
  assert.deepEqual([...allowedHostsFor('192.0.2.7', 443, 'https')].sort(), ['192.0.2.7', '192.0.2.7:443']);
  assert.ok(allowedHostsFor('0.0.0.0', 8080, 'http').has('127.0.0.1:8080'));
  assert.ok(isLoopback('127.3.4.5') && isLoopback('[::1]') && isLoopback('localhost') && !isLoopback('0.0.0.0'));
});

test('log lines: SGR colours become styled segments, other escapes vanish', () => {
  assert.deepEqual(parseAnsi('\x1b[1;31mred\x1b[0m plain'), [{ text: 'red', style: { bold: true, fg: '#cd3131' } }, { text: ' plain', style: {} }]);
  assert.deepEqual(parseAnsi('\x1b[38;2;1;2;3mx'), [{ text: 'x', style: { fg: 'rgb(1,2,3)' } }]);
  assert.equal(plainText('\x1b[2K\x1b]0;title\x07\x1b[32mok\x1b[0m'), 'ok');
});
