// The userland proxy (native/berth-port-proxy.c driven by src/engine/network/userland-proxy.ts) on its
// own: servers on 127.0.0.1 stand in for containers, so no daemon is needed.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { UserlandProxy } from '../../src/engine/network/userland-proxy.js';
import { freePort } from '../helpers/ports.js';

const ROOT = join(import.meta.dirname, '..', '..');
const warnings: string[] = [];
let proxy: UserlandProxy;

before(() => {
  execFileSync('bash', [join(ROOT, 'scripts', 'build-native.sh')]);
  proxy = new UserlandProxy('unit-test', { warn: (m) => warnings.push(m) }, join(ROOT, 'dist', 'native', 'berth-port-proxy'));
});
after(() => proxy.close());

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as { port: number }).port;
}

async function dial(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  await once(s, 'connect');
  return s;
}

async function readAll(s: Socket): Promise<string> {
  let text = '';
  s.setEncoding('utf8').on('data', (d: string) => (text += d));
  await once(s, 'end');
  return text;
}

describe('the userland proxy', () => {
  it('relays TCP; a half-closed connection still gets its late answer', async () => {
    // The "container" reads to the client's end of input, waits, then answers and closes.
    const server = createServer({ allowHalfOpen: true }, (c) => {
      let got = '';
      c.on('data', (d) => (got += d));
      c.on('end', () => setTimeout(() => c.end(`late answer to ${got}`), 300));
    });
    const target = await listen(server);
    const port = await freePort();
    await proxy.add({ proto: 'tcp', hostIp: '127.0.0.1', hostPort: port, containerIp: '127.0.0.1', containerPort: target });
    try {
      const client = await dial(port);
      client.end('ping');
      assert.equal(await readAll(client), 'late answer to ping');
    } finally {
      await proxy.remove({ proto: 'tcp', hostIp: '127.0.0.1', hostPort: port });
      server.close();
    }
  });

  it('refuses a port in use with the errno, and serves it again once free', async () => {
    const other = createServer();
    const port = await listen(other);
    await assert.rejects(proxy.add({ proto: 'tcp', hostIp: '127.0.0.1', hostPort: port, containerIp: '127.0.0.1', containerPort: 9 }), { code: 'EADDRINUSE' });
    other.close();
    await once(other, 'close');
    await proxy.add({ proto: 'tcp', hostIp: '127.0.0.1', hostPort: port, containerIp: '127.0.0.1', containerPort: 9 });
    await proxy.remove({ proto: 'tcp', hostIp: '127.0.0.1', hostPort: port });
  });

  it('ends the relays of a port when it is removed, and refuses new connections', async () => {
    const server = createServer((c) => c.pipe(c));
    const target = await listen(server);
    const port = await freePort();
    await proxy.add({ proto: 'tcp', hostIp: '127.0.0.1', hostPort: port, containerIp: '127.0.0.1', containerPort: target });
    try {
      const client = await dial(port);
      client.on('error', () => {});
      client.write('echo');
      await once(client, 'data');
      const closed = once(client, 'close');
      await proxy.remove({ proto: 'tcp', hostIp: '127.0.0.1', hostPort: port });
      await closed;
      const refused = connect(port, '127.0.0.1');
      const [err] = await once(refused, 'error');
      assert.equal((err as NodeJS.ErrnoException).code, 'ECONNREFUSED');
    } finally {
      server.close();
    }
  });

  it('accepts, then closes, a connection the container refuses', async () => {
    const port = await freePort();
    const nobody = await freePort();
    await proxy.add({ proto: 'tcp', hostIp: '127.0.0.1', hostPort: port, containerIp: '127.0.0.1', containerPort: nobody });
    try {
      const client = await dial(port);
      client.on('error', () => {});
      await once(client, 'close');
    } finally {
      await proxy.remove({ proto: 'tcp', hostIp: '127.0.0.1', hostPort: port });
    }
  });

  it('relays UDP both ways, each client address its own flow', async () => {
    const echo = createSocket('udp4');
    echo.on('message', (m, from) => echo.send(`${m} from ${from.port}`, from.port, from.address));
    echo.bind(0, '127.0.0.1');
    await once(echo, 'listening');
    const port = await freePort();
    await proxy.add({ proto: 'udp', hostIp: '127.0.0.1', hostPort: port, containerIp: '127.0.0.1', containerPort: echo.address().port });
    const clients = [createSocket('udp4'), createSocket('udp4')];
    try {
      const answers: string[] = [];
      for (const [i, c] of clients.entries()) {
        c.send(`hello ${i}`, port, '127.0.0.1');
        const [msg] = await once(c, 'message');
        answers.push(String(msg));
      }
      assert.match(answers[0], /^hello 0 from \d+$/);
      assert.match(answers[1], /^hello 1 from \d+$/);
      assert.notEqual(answers[0].split(' ').pop(), answers[1].split(' ').pop(), 'two flows, two source ports towards the container');
    } finally {
      for (const c of clients) c.close();
      echo.close();
      await proxy.remove({ proto: 'udp', hostIp: '127.0.0.1', hostPort: port });
    }
  });

  it('publishes its ports again when its process dies under the daemon', async () => {
    const server = createServer((c) => c.end('still here'));
    const target = await listen(server);
    const port = await freePort();
    const restarted = new UserlandProxy('unit-test-restart', { warn: (m) => warnings.push(m) }, join(ROOT, 'dist', 'native', 'berth-port-proxy'));
    const spec = { proto: 'tcp' as const, hostIp: '127.0.0.1', hostPort: port, containerIp: '127.0.0.1', containerPort: target };
    restarted.onRestart = () => restarted.add(spec);
    try {
      await restarted.add(spec);
      await new Promise((r) => setTimeout(r, 1100)); // past the guard against a process that dies at once
      const pid = Number(execFileSync('pgrep', ['-f', '-n', 'berth-port-proxy unit-test-restart'], { encoding: 'utf8' }).trim());
      process.kill(pid, 'SIGKILL');
      for (let i = 0; ; i++) {
        try {
          assert.equal(await readAll(await dial(port)), 'still here');
          break;
        } catch (err) {
          if (i > 50) throw err;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      assert.ok(warnings.some((w) => w.includes('the userland proxy exited (SIGKILL); starting it again')), warnings.join('\n'));
    } finally {
      restarted.close();
      server.close();
    }
  });
});
