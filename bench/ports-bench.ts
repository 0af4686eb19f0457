/**
 * Published ports, berthd beside Debian's dockerd in one run:
 *  1. `docker run -d -p B-E:B-E busybox sleep` with ranges of 500 and 1,000 ports: the time it takes, the
 *     processes it adds on the host and their memory (PSS, so shared library pages count once), and
 *     the growth of the daemon's processes already running (dockerd and containerd; berthd and its
 *     userland proxy)
 *  2. throughput of 1 GiB sent from the host's loopback to one published port: socat with 256 KiB
 *     buffers at both ends (the sink run in the container's network namespace), so that the relays,
 *     not the ends, set the pace
 *  3. connection latency through a published port from the host's loopback: connect, one byte each
 *     way, close (an echo server in the container's namespace)
 * Usage: node --import tsx bench/ports-bench.ts [throughput-runs=3] [connections=300] [ranges=0,500,1000 ('none' skips)]
 * (a range of 0 is the same container without published ports, for reference)
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { DOCKER } from '../test/helpers/daemon.js';
import { networkDaemonArgs } from '../test/integration/network-helpers.js';
import { cpuMs, docker, median, percentile, printRatios, printTable, samplesFor, startPeers, timeCommand, type Peer } from './lib.js';
import { waitListening } from './network-bench.js';
import { freePort } from '../test/helpers/ports.js';

const GIB = 1024 * 1024 * 1024;

interface Proc { pid: number; ppid: number; cmdline: string }

function processes(): Map<number, Proc> {
  const out = new Map<number, Proc>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      out.set(Number(name), { pid: Number(name), ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), cmdline });
    } catch { /* gone meanwhile */ }
  }
  return out;
}

function pssKb(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** The daemon's own processes: berthd; dockerd and containerd. */
function daemonPids(p: Peer): number[] {
  if (p.daemon) return [p.daemon.proc!.pid!];
  return ['dockerd', 'containerd'].map((n) => Number(readFileSync(`/tmp/refdocker/${n}.pid`, 'utf8').trim()));
}

/** The daemon's processes and their children already running (berthd's userland proxy): their growth counts. */
function helperPids(p: Peer): number[] {
  const own = new Set(daemonPids(p));
  return [...processes().values()].filter((x) => own.has(x.pid) || own.has(x.ppid)).map((x) => x.pid);
}

/**
 * What a container start added for a daemon: new children of the daemon's processes (docker-proxy,
 * berth-port-proxy) and new processes that name the container or the daemon's exec root (conmon,
 * containerd-shim); the container's own processes are the workload, not counted.
 */
function added(p: Peer, before: Map<number, Proc>, containerId: string): Proc[] {
  const owners = new Set(daemonPids(p));
  const execRoot = p.daemon?.execRoot ?? '/tmp/refdocker/exec';
  return [...processes().values()].filter((x) => !before.has(x.pid)
    && (owners.has(x.ppid) || x.cmdline.includes(containerId) || x.cmdline.includes(execRoot)));
}

/** A base port such that base..base+n-1 is free on the host now (under the ephemeral range). */
function freeRange(n: number): number {
  const used = execFileSync('ss', ['-Htanu'], { encoding: 'utf8' }).split('\n').map((l) => Number(l.trim().split(/\s+/)[4]?.split(':').pop()));
  for (let base = 20000; base + n < 32768; base += 1000) if (!used.some((u) => u >= base && u < base + Math.max(n, 1))) return base;
  throw new Error(`no free range of ${n} ports`);
}

/** Connect, one byte each way, close: N times from 127.0.0.1, in one python3 process; latencies in ms. */
function connectLatencies(port: number, n: number): number[] {
  const script = `
import socket, time, json, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
out = []
for i in range(n):
    t = time.perf_counter()
    s = socket.create_connection(('127.0.0.1', port)); s.sendall(b'x'); assert s.recv(1) == b'x'; s.close()
    out.append((time.perf_counter() - t) * 1000)
print(json.dumps(out))
`;
  return JSON.parse(execFileSync('python3', ['-c', script, String(port), String(n)], { encoding: 'utf8' })) as number[];
}

/** Ends fast enough to tell relays apart: socat reading and writing 256 KiB at a time. */
const FAST_SOCAT = ['-u', '-b', '262144'];

/** A sink for one connection on `port` in the network namespace of `pid` (socat run from the host). */
function sinkServer(pid: number, port: number) {
  return spawn('nsenter', [`--net=/proc/${pid}/ns/net`, 'socat', ...FAST_SOCAT, `TCP-LISTEN:${port},reuseaddr`, '/dev/null'], { stdio: 'ignore' });
}

/** Sends `bytes` of zeros to 127.0.0.1:`port` with socat; returns MB/s. */
function sendFast(port: number, bytes: number): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('socat', [...FAST_SOCAT, `OPEN:/dev/zero,readbytes=${bytes}`, `TCP:127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`socat failed: ${r.stderr}`);
  return bytes / s / 1e6;
}

/** The userland relays serving `port`: berth-port-proxy (one for every port) or docker-proxy's of that port. */
function relayPids(port: number): number[] {
  return [...processes().values()].filter((x) => x.cmdline.includes('berth-port-proxy')
    || (x.cmdline.includes('docker-proxy') && x.cmdline.includes(`-host-port ${port} `))).map((x) => x.pid);
}

/** CPU time (user + system) the processes `pids` have used, in ms. */
function cpuMsOf(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
}

/** An echo server (a thread per connection) in the network namespace of `pid`, run from the host. */
function echoServer(pid: number, port: number) {
  const script = `
import socket, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('0.0.0.0', ${port})); s.listen(512)
def serve(c):
    while True:
        d = c.recv(65536)
        if not d: break
        c.sendall(d)
    c.close()
while True:
    c, _ = s.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
`;
  return spawn('nsenter', [`--net=/proc/${pid}/ns/net`, 'python3', '-c', script], { stdio: 'ignore' });
}

export async function benchPorts(throughputRuns = 3, connections = 300, ranges = [0, 500, 1000]): Promise<void> {
  const { peers, stop } = await startPeers({ args: networkDaemonArgs() });
  const names = ['bench-range', 'bench-sink', 'bench-echo'];
  try {
    // Warm-up: one published port each (berthd's proxy starts with the first one).
    for (const p of peers) docker(p.host, ['run', '--rm', '-p', '7', 'busybox', 'true']);

    // 1. A range of ports.
    for (const n of ranges) {
      console.log(`\n## docker run -d -p B-E:B-E (${n} ports) busybox sleep 300`);
      const rows = [['daemon', 'start ms', 'processes added', 'their MB', 'daemon growth MB', 'rm ms']];
      const starts = samplesFor(peers);
      for (const p of peers) {
        const base = freeRange(n);
        const before = processes();
        const helpers = helperPids(p);
        const pssBefore = helpers.reduce((sum, pid) => sum + pssKb(pid), 0);
        const publish = n ? ['-p', `${base}-${base + n - 1}:${base}-${base + n - 1}`] : [];
        const ms = timeCommand([DOCKER, '-H', p.host, 'run', '-d', '--name', 'bench-range', ...publish, 'busybox', 'sleep', '300']);
        starts[p.name].push(ms);
        const id = docker(p.host, ['inspect', '--format', '{{.Id}}', 'bench-range']).trim();
        const extra = added(p, before, id);
        const theirs = extra.reduce((sum, x) => sum + pssKb(x.pid), 0);
        const growth = helpers.reduce((sum, pid) => sum + pssKb(pid), 0) - pssBefore;
        const rm = timeCommand([DOCKER, '-H', p.host, 'rm', '-f', 'bench-range']);
        rows.push([p.name, ms.toFixed(0), String(extra.length), (theirs / 1024).toFixed(1), (growth / 1024).toFixed(1), rm.toFixed(0)]);
      }
      printTable(rows);
      printRatios(starts);
    }

    // A network of each daemon's own with a fixed subnet for sections 2 and 3.
    for (const [i, p] of peers.entries()) docker(p.host, ['network', 'create', '--subnet', `10.25${i}.0.0/24`, 'bench_ports']);

    // 2. Throughput to one published port (0 runs: skipped).
    if (throughputRuns > 0) {
      console.log(`\n## 1 GiB from 127.0.0.1 to a published port (socat -> socat in the container's namespace, 256 KiB buffers), ${throughputRuns} runs each, interleaved`);
      const rates = samplesFor(peers);
      const relayCpu = samplesFor(peers);
      for (let r = 0; r < throughputRuns; r++) {
        for (const p of peers) {
          const port = await freePort();
          docker(p.host, ['run', '-d', '--name', 'bench-sink', '--network', 'bench_ports', '-p', `${port}:9000`, 'busybox', 'sleep', '300']);
          const pid = Number(docker(p.host, ['inspect', '--format', '{{.State.Pid}}', 'bench-sink']).trim());
          const sink = sinkServer(pid, 9000);
          try {
            waitListening(pid, 9000);
            const relays = relayPids(port);
            const cpuBefore = cpuMsOf(relays);
            rates[p.name].push(sendFast(port, GIB));
            relayCpu[p.name].push(cpuMsOf(relays) - cpuBefore);
          } finally {
            sink.kill();
            docker(p.host, ['rm', '-f', 'bench-sink']);
          }
        }
      }
      printTable([['daemon', 'median MB/s', 'runs', "the relay's CPU ms per GiB, median"], ...peers.map((p) => [
        p.name, median(rates[p.name]).toFixed(0), rates[p.name].map((x) => x.toFixed(0)).join(' '), median(relayCpu[p.name]).toFixed(0),
      ])]);
      printRatios(rates, true);
      printRatios(relayCpu);
    }

    // 3. Connection latency (0 connections: skipped).
    if (connections > 0) {
      console.log(`\n## connect, 1 byte each way, close, from 127.0.0.1 through a published port (${connections} connections)`);
      const lat = samplesFor(peers);
      const rows = [['daemon', 'median ms', 'p99 ms']];
      for (const p of peers) {
        const port = await freePort();
        docker(p.host, ['run', '-d', '--name', 'bench-echo', '--network', 'bench_ports', '-p', `${port}:7000`, 'busybox', 'sleep', '300']);
        const pid = Number(docker(p.host, ['inspect', '--format', '{{.State.Pid}}', 'bench-echo']).trim());
        const server = echoServer(pid, 7000);
        try {
          waitListening(pid, 7000);
          connectLatencies(port, 20);
          lat[p.name] = connectLatencies(port, connections);
        } finally {
          server.kill();
          docker(p.host, ['rm', '-f', 'bench-echo']);
        }
        rows.push([p.name, median(lat[p.name]).toFixed(3), percentile(lat[p.name], 99).toFixed(3)]);
      }
      printTable(rows);
      printRatios(lat);
    }
  } finally {
    for (const p of peers) {
      spawnSync(DOCKER, ['-H', p.host, 'rm', '-f', ...names], { stdio: 'ignore' });
      spawnSync(DOCKER, ['-H', p.host, 'network', 'rm', 'bench_ports'], { stdio: 'ignore' });
    }
    await stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ranges = (process.argv[4] ?? '0,500,1000').split(',').filter((x) => x !== 'none').map(Number);
  await benchPorts(Number(process.argv[2] ?? 3), Number(process.argv[3] ?? 300), ranges);
}
