// Published ports seen from the host's own loopback: the userland proxy (berthd's default, as dockerd's)
// and the kernel's DNAT with --userland-proxy=false.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';
import { freePort } from '../helpers/ports.js';
import { networkDaemonArgs, sh, eventually } from './network-helpers.js';

let daemon: TestDaemon;
before(async () => {
  daemon = await startDaemon({ args: networkDaemonArgs() });
  await importBusybox(daemon);
});
after(async () => { await daemon.stop(); });

async function docker(d: TestDaemon, args: string[]): Promise<string> {
  const r = await d.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

const curl = (url: string) => sh('curl', ['-s', '--max-time', '3', url]);
const blog = ['sh', '-c', 'mkdir -p /www && echo "blog says hello" > /www/index.html && exec httpd -f -p 80 -h /www'];
const answers = async (port: number) => (await curl(`http://127.0.0.1:${port}/`)).stdout === 'blog says hello\n';
/** Who listens on a host TCP port, as `ss -p` names it ('' for nobody). */
const listener = async (port: number) => (await sh('ss', ['-Hltnp', `sport = :${port}`])).stdout;
/** The userland proxy's name in `ss -p` (a command name, cut at 15 characters). */
const PROXY = '"berth-port-prox"';

test('a request whose sender half-closes gets its late answer through the loopback proxy', async () => {
  const port = await freePort();
  // The server reads to end of input (the client's half-close), waits, then answers.
  await docker(daemon, ['run', '-d', '--name', 'late', '-p', `${port}:7000`, 'busybox',
    'nc', '-ll', '-p', '7000', '-e', 'sh', '-c', 'wc -c; sleep 1.5; echo late answer']);
  await eventually(async () => (await listener(port)).includes(PROXY), 'the proxy listens');
  await eventually(async () => {
    const r = await sh('sh', ['-c', `printf 'ping\\n' | socat -t 5 - TCP:127.0.0.1:${port}`]);
    return r.stdout === '5\nlate answer\n';
  }, 'the answer after the half-close');
  await docker(daemon, ['rm', '-f', 'late']);
  await eventually(async () => (await listener(port)) === '', 'the proxy to go with the container');
});

test('when a port is unpublished, the relays of connections still open through its proxy end too', async () => {
  const port = await freePort();
  await docker(daemon, ['network', 'create', 'relays']);
  await docker(daemon, ['run', '-d', '--name', 'held', '--network', 'relays', '-p', `${port}:7000`, 'busybox', 'nc', '-ll', '-p', '7000', '-e', 'cat']);
  // A client that keeps its connection open and never closes it.
  const client = connect(port, '127.0.0.1');
  client.on('error', () => {});
  try {
    await eventually(async () => {
      client.write('ping\n');
      return new Promise<boolean>((resolve) => {
        client.once('data', () => resolve(true));
        setTimeout(() => resolve(false), 300);
      });
    }, 'the echo through the proxy');
    // The proxy's end of the client's connection.
    const relays = async () => (await sh('ss', ['-Htnp', 'state', 'established', `sport = :${port}`])).stdout.split('\n').filter((l) => l.includes(PROXY));
    assert.equal((await relays()).length, 1, 'a relay');
    // The container keeps running, but its endpoint (and so its published port) goes: no FIN ever
    // comes from the container's side, and the client does not close either.
    await docker(daemon, ['network', 'disconnect', 'relays', 'held']);
    await eventually(async () => (await relays()).length === 0, 'no relay left for the port');
  } finally {
    client.destroy();
    await daemon.docker(['rm', '-f', 'held']);
    await daemon.docker(['network', 'rm', 'relays']);
  }
});

test('kill -9 of berthd takes its proxies along; the next berthd answers the port again', async () => {
  const port = await freePort();
  await docker(daemon, ['run', '-d', '--name', 'blog', '-p', `${port}:80`, 'busybox', ...blog]);
  await eventually(() => answers(port), 'the blog answers');
  await daemon.kill9();
  await eventually(async () => (await listener(port)) === '', 'no proxy outlives berthd');
  await daemon.launch();
  await eventually(() => answers(port), 'the blog answers after the restart');
  await docker(daemon, ['rm', '-f', 'blog']);
});

test('--userland-proxy=false: the host loopback reaches the port through the kernel, no proxy process', async () => {
  const kernel = await startDaemon({ args: [...networkDaemonArgs(), '--userland-proxy=false'] });
  try {
    await importBusybox(kernel);
    const port = await freePort();
    await docker(kernel, ['run', '-d', '--name', 'blog', '-p', `${port}:80`, 'busybox', ...blog]);
    await eventually(() => answers(port), 'the blog answers');
    const held = await listener(port);
    assert.match(held, /"node"/, 'berthd holds the port');
    assert.ok(!held.includes(PROXY));
  } finally {
    await kernel.stop();
  }
});
