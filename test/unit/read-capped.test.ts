import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { readCapped, readCappedRequest } from '../../src/lib/read-capped.js';

class TooLarge extends Error {}

function request(chunks: Buffer[], contentLength?: number): IncomingMessage {
  const req = new IncomingMessage(new Socket());
  if (contentLength !== undefined) req.headers['content-length'] = String(contentLength);
  for (const c of chunks) req.push(c);
  req.push(null);
  return req;
}

test('readCapped returns the whole body up to and including the cap', async () => {
  const body = await readCapped(Readable.from([Buffer.from('abc'), Buffer.from('def')]), 6, () => new TooLarge());
  assert.equal(body.toString(), 'abcdef');
  assert.equal((await readCapped(Readable.from([]), 0, () => new TooLarge())).length, 0);
});

test('past the cap the caller\'s error is thrown and the stream destroyed, before the rest is read', async () => {
  let produced = 0;
  const stream = Readable.from((function* () {
    for (;;) {
      produced++;
      yield Buffer.alloc(1024);
    }
  })());
  await assert.rejects(readCapped(stream, 4096, () => new TooLarge('too big')), TooLarge);
  assert.ok(stream.destroyed);
  assert.ok(produced < 32, `read ${produced} chunks`);
});

test('readCappedRequest refuses on the declared Content-Length, else on the bytes that come', async () => {
  const declared = request([Buffer.from('x')], 100);
  await assert.rejects(readCappedRequest(declared, 10, () => new TooLarge()), TooLarge);
  assert.equal(declared.readableEnded, false, 'nothing read');
  await assert.rejects(readCappedRequest(request([Buffer.alloc(11)]), 10, () => new TooLarge()), TooLarge);
  assert.equal((await readCappedRequest(request([Buffer.from('{}')], 2), 10, () => new TooLarge())).toString(), '{}');
});
