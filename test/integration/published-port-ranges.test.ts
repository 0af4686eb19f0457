// Published ports served by one userland proxy process: a range of 1,000 ports, UDP from the host's
// loopback, ports unpublished when their container stops, and a daemon killed with -9 and restarted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
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

/** The userland proxy processes of this daemon (named after its exec root). */
async function proxies(d: TestDaemon): Promise<string[]> {
  return (await sh('pgrep', ['-f', `berth-port-proxy ${d.execRoot}$`])).stdout.split('\n').filter(Boolean);
}

/** The processes of this daemon on the host: berthd, its monitors, its proxy (all name its exec root). */
async function daemonProcesses(d: TestDaemon): Promise<number> {
  return (await sh('pgrep', ['-f', d.execRoot])).stdout.split('\n').filter(Boolean).length;
}

/** Sends a line to 127.0.0.1:port and resolves with the first answer ('' if the connection just closes). */
function ask(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(line));
    let text = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => { text += d; if (text.endsWith('\n')) s.destroy(); resolve(text); });
    s.on('close', () => resolve(text));
    s.on('error', reject);
    s.setTimeout(3000, () => s.destroy());
  });
}

/**
 * Whether 127.0.0.1:port echoes `line`. False, not an error, while nothing listens in the container
 * yet: the proxy's connection to it is refused and ours is reset.
 */
function echoes(port: number, line: string): Promise<boolean> {
  return ask(port, line).then((answer) => answer === line, () => false);
}

/** Whether this process could bind TCP `port` on every address (nobody holds it). */
async function isFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

/** A base port such that base..base+999 is used by nobody on the host now (below the ephemeral range). */
async function freeRange(): Promise<number> {
  const used = (await sh('ss', ['-Htanu'])).stdout.split('\n').map((l) => Number(l.trim().split(/\s+/)[4]?.split(':').pop()));
  for (;;) {
    const base = randomInt(10, 30) * 1000;
    if (!used.some((p) => p >= base && p < base + 1000)) return base;
  }
}

const echoServer = (ports: number[]) => ['sh', '-c', ports.map((p) => `nc -ll -p ${p} -e cat &`).join(' ') + ' wait'];

test('a range of 1,000 published ports is served by one proxy process; stopping the container unpublishes them all', async () => {
  const base = await freeRange();
  const last = base + 999;
  const probes = [base, base + 517, last];
  const before = await daemonProcesses(daemon);
  await daemon.ok(['run', '-d', '--name', 'range', '-p', `${base}-${last}:${base}-${last}`, 'busybox', ...echoServer(probes)]);
  try {
    for (const p of probes) await eventually(() => echoes(p, `to ${p}\n`), `the echo on ${p}`);
    assert.equal((await proxies(daemon)).length, 1, 'one proxy process for the daemon');
    assert.ok(await daemonProcesses(daemon) <= before + 2, 'a monitor for the container and at most one proxy added on the host');
    const ports = JSON.parse(await daemon.ok(['inspect', '--format', '{{json .NetworkSettings.Ports}}', 'range']));
    assert.equal(Object.keys(ports).length, 1000);
    assert.deepEqual(ports[`${base + 517}/tcp`], [{ HostIp: '0.0.0.0', HostPort: String(base + 517) }]);

    // A connection left open through the proxy ends when the container stops.
    const open = connect(base, '127.0.0.1');
    open.on('error', () => {});
    open.write('hold\n');
    await once(open, 'data');
    const closed = once(open, 'close');
    await daemon.ok(['stop', '-t', '0', 'range']);
    await closed;
    for (const p of probes) {
      await assert.rejects(ask(p, 'anyone?\n'), { code: 'ECONNREFUSED' }, `${p} is refused once the container stopped`);
    }
    for (const p of [base, base + 1, base + 500, last]) assert.ok(await isFree(p), `${p} is free again`);
    assert.equal((await proxies(daemon)).length, 1, 'still one proxy process');
  } finally {
    await daemon.docker(['rm', '-f', 'range']);
  }
});

/** A UDP echo server in a container's network namespace (busybox has no UDP server), run from the host. */
function udpEcho(pid: number, port: number): ChildProcess {
  const script = `import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.bind(("0.0.0.0", ${port}))\nwhile True:\n    d, a = s.recvfrom(65535)\n    s.sendto(b"echo " + d, a)\n`;
  return spawn('nsenter', [`--net=/proc/${pid}/ns/net`, 'python3', '-c', script], { stdio: 'ignore' });
}

async function udpAsk(port: number, text: string): Promise<string | undefined> {
  const s = createSocket('udp4');
  try {
    s.send(text, port, '127.0.0.1');
    const answer = once(s, 'message').then(([m]) => String(m));
    const timeout = new Promise<undefined>((r) => setTimeout(() => r(undefined), 300));
    return await Promise.race([answer, timeout]);
  } finally {
    s.close();
  }
}

test('UDP through a published port from the host\'s loopback, both ways', async () => {
  const port = await freePort();
  await daemon.ok(['run', '-d', '--name', 'udp', '-p', `${port}:5000/udp`, 'busybox', 'sleep', '300']);
  const pid = Number((await daemon.ok(['inspect', '--format', '{{.State.Pid}}', 'udp'])).trim());
  const echo = udpEcho(pid, 5000);
  try {
    await eventually(async () => (await udpAsk(port, 'hello')) === 'echo hello', 'the UDP echo');
    const held = (await sh('ss', ['-Hlunp', `sport = :${port}`])).stdout;
    assert.match(held, /"berth-port-prox"/, 'the proxy holds the UDP port');
  } finally {
    echo.kill();
    await daemon.docker(['rm', '-f', 'udp']);
  }
});

test('kill -9 of berthd: the next berthd serves the ports of the running container again; nothing is left once it is removed', async () => {
  const tcp = await freePort();
  const udp = await freePort();
  await daemon.ok(['run', '-d', '--name', 'survivor', '-p', `${tcp}:7000`, '-p', `${udp}:5000/udp`, 'busybox', ...echoServer([7000])]);
  const pid = Number((await daemon.ok(['inspect', '--format', '{{.State.Pid}}', 'survivor'])).trim());
  const echo = udpEcho(pid, 5000);
  try {
    await eventually(() => echoes(tcp, 'before\n'), 'the TCP echo');
    const [first] = await proxies(daemon);
    await daemon.kill9();
    await eventually(async () => (await proxies(daemon)).length === 0, 'the proxy ends with berthd');
    await daemon.launch();
    await eventually(() => echoes(tcp, 'after\n'), 'the TCP echo after the restart');
    await eventually(async () => (await udpAsk(udp, 'again')) === 'echo again', 'the UDP echo after the restart');
    const now = await proxies(daemon);
    assert.equal(now.length, 1);
    assert.notEqual(now[0], first);
    await daemon.ok(['rm', '-f', 'survivor']);
    assert.ok(await isFree(tcp), 'the TCP port is free');
    const probe = createSocket('udp4');
    await new Promise<void>((resolve, reject) => { probe.once('error', reject); probe.bind(udp, '0.0.0.0', () => resolve()); });
    probe.close();
  } finally {
    echo.kill();
    await daemon.docker(['rm', '-f', 'survivor']);
  }
});
