// Blob downloads on the filesystem driver go out by sendfile (src/registry/storage/sendfile.ts) with
// the event loop taking over for slow clients: the bytes a client gets match the digest, whole or by
// range, one after another on one kept-alive connection, fast or slow, and a client that leaves in
// the middle does not disturb the next one.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request, type IncomingMessage } from 'node:http';
import { createHash } from 'node:crypto';
import { startTestRegistry, type TestRegistry } from './helpers/registry.js';
import { pushBlob, randomBlob } from './helpers/client.js';

const SIZE = 6 * 1024 * 1024 + 123;

function get(reg: TestRegistry, path: string, agent: Agent, headers: Record<string, string> = {}): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    request(`${reg.url}${path}`, { agent, headers }, resolve).on('error', reject).end();
  });
}

/** Reads the body, pausing `pauseMs` after each chunk (a slow client). */
async function body(res: IncomingMessage, pauseMs = 0): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) {
    chunks.push(chunk as Buffer);
    if (pauseMs) await new Promise((r) => setTimeout(r, pauseMs));
  }
  return Buffer.concat(chunks);
}

const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('blob downloads (filesystem driver)', () => {
  let reg: TestRegistry;
  let blob: Buffer;
  let digest: string;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  before(async () => {
    reg = await startTestRegistry();
    blob = randomBlob(SIZE);
    digest = await pushBlob({ url: reg.url, headers: {} }, 'dl/app', blob);
  });
  after(async () => {
    agent.destroy();
    await reg?.stop();
  });

  it('whole, three times on one kept-alive connection: every body matches the digest', async () => {
    const sockets = new Set<unknown>();
    for (let i = 0; i < 3; i++) {
      const res = await get(reg, `/v2/dl/app/blobs/${digest}`, agent);
      sockets.add(res.socket);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-length'], String(SIZE));
      assert.equal(digestOf(await body(res)), digest);
    }
    assert.equal(sockets.size, 1, 'one connection served all three');
  });

  it('a range, then a slow client: the bytes asked for, in order', async () => {
    const from = 100_001;
    const to = SIZE - 5001;
    let res = await get(reg, `/v2/dl/app/blobs/${digest}`, agent, { Range: `bytes=${from}-${to}` });
    assert.equal(res.statusCode, 206);
    assert.equal(res.headers['content-range'], `bytes ${from}-${to}/${SIZE}`);
    assert.ok((await body(res)).equals(blob.subarray(from, to + 1)), 'the range\'s bytes');
    res = await get(reg, `/v2/dl/app/blobs/${digest}`, agent);
    assert.equal(digestOf(await body(res, 2)), digest, 'a client reading slowly gets the same bytes');
  });

  it('a client that leaves mid-download: the next download is whole', async () => {
    const res = await get(reg, `/v2/dl/app/blobs/${digest}`, new Agent());
    await new Promise<void>((resolve) => res.once('data', () => resolve()));
    res.socket.destroy();
    const next = await get(reg, `/v2/dl/app/blobs/${digest}`, agent);
    assert.equal(digestOf(await body(next)), digest);
  });
});
