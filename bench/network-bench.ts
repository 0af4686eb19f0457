/**
 * Networking benchmarks, berthd beside Debian's dockerd in one run:
 *  1. `docker run --rm busybox true` on the default bridge (median of N, interleaved)
 *  2. throughput of 1 GiB sent from the host's loopback to a published port (nc in the container)
 *  3. name-resolution latency inside a user-defined network (UDP queries from the container's
 *     namespace, answered by each daemon's embedded DNS)
 * Usage: node --import tsx bench/network-bench.ts [runs]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { DOCKER } from '../test/helpers/daemon.js';
import { timeCommand, median, percentile, docker, printTable, startPeers, samplesFor, printRatios } from './lib.js';
import { networkDaemonArgs } from '../test/integration/network-helpers.js';

const GIB = 1024 * 1024 * 1024;

/** Sends `bytes` zeros to 127.0.0.1:port with socat; returns MB/s. */
export function sendThrough(port: number, bytes: number): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', `head -c ${bytes} /dev/zero | socat -u - TCP:127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`socat failed: ${r.stderr}`);
  return bytes / s / 1e6;
}

/** Waits until something listens on TCP `port` in the namespace of `pid` (/proc/net/tcp seen from inside). */
export function waitListening(pid: number, port: number): void {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  for (let i = 0; i < 200; i++) {
    const tcp = execFileSync('nsenter', [`--net=/proc/${pid}/ns/net`, 'cat', '/proc/net/tcp', '/proc/net/tcp6'], { encoding: 'utf8' });
    if (tcp.split('\n').some((l) => l.includes(hex) && l.split(/\s+/)[4] === '0A')) return;
    spawnSync('sleep', ['0.05']);
  }
  throw new Error(`nothing listens on ${port} in ${pid}`);
}

/** Times N DNS queries for `name` to `server` from inside the namespace of `pid` (python3, one process). */
function dnsLatencies(pid: number, server: string, name: string, n: number): number[] {
  const script = `
import socket, struct, time, random, json, sys
name, server, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
q = b''.join(bytes([len(p)]) + p.encode() for p in name.split('.')) + b'\\0' + struct.pack('>HH', 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)
out = []
for i in range(n):
    qid = random.randint(0, 65535)
    pkt = struct.pack('>HHHHHH', qid, 0x0100, 1, 0, 0, 0) + q
    t = time.perf_counter(); s.sendto(pkt, (server, 53)); data, _ = s.recvfrom(4096)
    out.append((time.perf_counter() - t) * 1000)
    assert struct.unpack('>H', data[6:8])[0] >= 1, 'no answer'
print(json.dumps(out))
`;
  const out = execFileSync('nsenter', [`--net=/proc/${pid}/ns/net`, 'python3', '-c', script, name, server, String(n)], { encoding: 'utf8' });
  return JSON.parse(out) as number[];
}

export async function benchNetwork(runs = 20): Promise<void> {
  const { peers, stop } = await startPeers({ args: networkDaemonArgs() });
  try {

    // 1. run --rm true on the default bridge.
    const times = samplesFor(peers);
    for (const p of peers) timeCommand([DOCKER, '-H', p.host, 'run', '--rm', 'busybox', 'true']);
    for (let i = 0; i < runs; i++) {
      for (const p of peers) times[p.name].push(timeCommand([DOCKER, '-H', p.host, 'run', '--rm', 'busybox', 'true']));
    }
    console.log(`\n## docker run --rm busybox true, default bridge (${runs} runs each, interleaved)`);
    printTable([['daemon', 'median ms', 'min ms'], ...peers.map((p) => [p.name, median(times[p.name]).toFixed(1), Math.min(...times[p.name]).toFixed(1)])]);
    printRatios(times);

    // 2. 1 GiB through a published port from the host's loopback.
    // On a network of each daemon's own with a fixed subnet, so the result does not depend on the
    // state of docker0 on a shared machine.
    console.log('\n## 1 GiB from 127.0.0.1 to a published port (socat -> nc -l in the container), 5 runs each, interleaved');
    const rates = samplesFor(peers);
    for (const [i, p] of peers.entries()) docker(p.host, ['network', 'create', '--subnet', `10.24${i}.0.0/24`, 'bench_tp']);
    for (let r = 0; r < 5; r++) {
      for (const [i, p] of peers.entries()) {
        const port = 47310 + i;
        const name = `bench-sink-${r}`;
        docker(p.host, ['run', '-d', '--name', name, '--network', 'bench_tp', '-p', `${port}:9000`, 'busybox', 'sh', '-c', 'nc -l -p 9000 > /dev/null']);
        waitListening(Number(docker(p.host, ['inspect', '--format', '{{.State.Pid}}', name]).trim()), 9000);
        rates[p.name].push(sendThrough(port, GIB));
        docker(p.host, ['rm', '-f', name]);
      }
    }
    for (const p of peers) docker(p.host, ['network', 'rm', 'bench_tp']);
    const rows = [['daemon', 'median MB/s', 'runs'], ...peers.map((p) => [p.name, median(rates[p.name]).toFixed(0), rates[p.name].map((x) => x.toFixed(0)).join(' ')])];
    printTable(rows);
    printRatios(rates, true);

    // 3. DNS latency inside a user-defined network.
    console.log('\n## name resolution inside a user-defined network (1000 UDP queries from a container)');
    const dnsRows = [['daemon', 'median ms', 'p99 ms']];
    for (const [i, p] of peers.entries()) {
      docker(p.host, ['network', 'create', '--subnet', `10.24${i + 2}.0.0/24`, 'bench_dns']);
      docker(p.host, ['run', '-d', '--name', 'bench-target', '--network', 'bench_dns', 'busybox', 'sleep', '300']);
      docker(p.host, ['run', '-d', '--name', 'bench-client', '--network', 'bench_dns', 'busybox', 'sleep', '300']);
      const pid = Number(docker(p.host, ['inspect', '--format', '{{.State.Pid}}', 'bench-client']).trim());
      const server = p.kind === 'dockerd' ? '127.0.0.11'
        : JSON.parse(docker(p.host, ['network', 'inspect', 'bench_dns']))[0].IPAM.Config[0].Gateway;
      const lat = dnsLatencies(pid, server, 'bench-target', 1000);
      dnsRows.push([p.name, median(lat).toFixed(3), percentile(lat, 99).toFixed(3)]);
      docker(p.host, ['rm', '-f', 'bench-target', 'bench-client']);
      docker(p.host, ['network', 'rm', 'bench_dns']);
    }
    printTable(dnsRows);
  } finally {
    for (const p of peers) {
      spawnSync(DOCKER, ['-H', p.host, 'rm', '-f', 'bench-target', 'bench-client', ...[0, 1, 2, 3, 4].map((r) => `bench-sink-${r}`)], { stdio: 'ignore' });
      spawnSync(DOCKER, ['-H', p.host, 'network', 'rm', 'bench_dns', 'bench_tp'], { stdio: 'ignore' });
    }
    await stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchNetwork(Number(process.argv[2] ?? 20));
}
