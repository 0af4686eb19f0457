/**
 * What knowing a unix-socket client's uid/gid costs per connection, for the candidates of
 * docs/security.md: the native addon (SO_PEERCRED + SO_PEERGROUPS, what berthd uses), and a lookup of
 * the peer through `ss -xpn` (sock_diag, then the pid's /proc/<pid>/status), which needs no compiled
 * code. Beside them, a bare connect + accept + close on the same socket, the cost every connection
 * pays anyway. One socket per role costs nothing per connection (the kernel checks the socket file's
 * mode at connect) and is not measured.
 *
 *   node --import tsx bench/peer-credentials-bench.ts [connections=2000] [lookups=50]
 */
import { createConnection, createServer, type Socket } from 'node:net';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { peerCredentials } from '../src/engine/api/peer-credentials.js';

const execFileAsync = promisify(execFile);
const connections = Number(process.argv[2] ?? 2000);
const lookups = Number(process.argv[3] ?? 50);

type Probe = (socket: Socket) => Promise<unknown> | unknown;

/** Median and p99 microseconds of `probe` on the server side of fresh connections, and the wall time per connection. */
async function measure(path: string, count: number, probe: Probe): Promise<{ medianUs: number; p99Us: number; perConnUs: number }> {
  const times: number[] = [];
  const server = createServer((socket) => {
    const t0 = process.hrtime.bigint();
    void Promise.resolve(probe(socket)).then(() => {
      times.push(Number(process.hrtime.bigint() - t0) / 1e3);
      socket.end('x');
    });
  });
  await new Promise<void>((r) => server.listen(path, r));
  const start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    await new Promise<void>((resolve, reject) => {
      const c = createConnection(path);
      c.on('data', () => c.end());
      c.on('close', () => resolve());
      c.on('error', reject);
    });
  }
  const perConnUs = Number(process.hrtime.bigint() - start) / 1e3 / count;
  await new Promise<void>((r) => server.close(() => r()));
  times.sort((a, b) => a - b);
  return { medianUs: times[Math.floor(times.length / 2)]!, p99Us: times[Math.floor(times.length * 0.99)]!, perConnUs };
}

/** The sock_diag route: find the peer of our end's inode in `ss -xpn`, then read the pid's status for uid and groups. */
async function viaSs(socket: Socket): Promise<unknown> {
  const local = (socket as unknown as { _handle: { fd: number } })._handle.fd;
  const { stdout } = await execFileAsync('ss', ['-xpn']);
  // our accepted socket's inode, then the line whose peer is that inode names the client's pid
  const inode = (await readFile(`/proc/self/fdinfo/${local}`, 'utf8')).match(/ino:\s*(\d+)/)?.[1];
  const line = stdout.split('\n').find((l) => inode && new RegExp(`\\s\\* ${inode}\\s`).test(l) && /pid=/.test(l));
  const pid = line?.match(/pid=(\d+)/)?.[1];
  return pid ? readFile(`/proc/${pid}/status`, 'utf8') : undefined;
}

const dir = await mkdtemp(join(tmpdir(), 'berth-peercred-bench-'));
try {
  const none = await measure(join(dir, 'a.sock'), connections, () => undefined);
  const addon = await measure(join(dir, 'b.sock'), connections, (s) => peerCredentials(s));
  const ss = await measure(join(dir, 'c.sock'), lookups, viaSs);
  const row = (name: string, r: typeof none) =>
    `| ${name} | ${r.medianUs.toFixed(1)} | ${r.p99Us.toFixed(1)} | ${r.perConnUs.toFixed(1)} |`;
  console.log(`${connections} connections (${lookups} for ss)\n`);
  console.log('| identity lookup | median µs | p99 µs | whole connection µs |');
  console.log('|---|---|---|---|');
  console.log(row('none (connect, accept, close)', none));
  console.log(row('addon: SO_PEERCRED + SO_PEERGROUPS', addon));
  console.log(row('`ss -xpn` + /proc/<pid>/status', ss));
} finally {
  await rm(dir, { recursive: true, force: true });
}
