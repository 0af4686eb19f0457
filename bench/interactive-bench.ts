/**
 * Streams and terminals, berthd beside Debian's dockerd in one run (interleaved):
 *  - interactive echo round trip: one keystroke into `docker run -ti busybox cat` over the hijacked
 *    attach, until the terminal echoes it back (median, p95 of N)
 *  - `docker exec c true` (median of N)
 *  - `docker run --rm busybox` printing 100 MB to stdout, read by the docker CLI (median of 3)
 * Usage: node --import tsx bench/interactive-bench.ts [echoes] [execs]
 */
import { connect, type Socket } from 'node:net';
import { startDaemon, DOCKER } from '../test/helpers/daemon.js';
import { importBusybox } from '../test/helpers/busybox.js';
import { timeCommand, median, percentile, referenceDockerd, docker, printTable } from './lib.js';

const HUNDRED_MB = 'yes 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456 | head -c 100000000';

export async function benchInteractive(echoes = 300, execs = 20): Promise<void> {
  const ref = referenceDockerd();
  const berth = await startDaemon();
  try {
    await importBusybox(berth);
    const peers = [{ name: 'berthd', host: berth.host }, { name: 'dockerd', host: ref }];

    console.log(`\n## interactive echo round trip (${echoes} keystrokes into run -ti busybox cat)`);
    const rows = [['daemon', 'median ms', 'p95 ms']];
    for (const p of peers) {
      const id = docker(p.host, ['run', '-dti', '--network', 'none', 'busybox', 'cat']).trim();
      try {
        const rtt = await echoRoundTrips(p.host, id, echoes);
        rows.push([p.name, median(rtt).toFixed(2), percentile(rtt, 95).toFixed(2)]);
      } finally {
        docker(p.host, ['rm', '-f', id]);
      }
    }
    printTable(rows);

    const execTimes: Record<string, number[]> = { berthd: [], dockerd: [] };
    for (const p of peers) docker(p.host, ['run', '-d', '--name', 'bench-exec', '--network', 'none', 'busybox', 'sleep', '600']);
    try {
      for (const p of peers) timeCommand([DOCKER, '-H', p.host, 'exec', 'bench-exec', 'true']);
      for (let i = 0; i < execs; i++) {
        for (const p of peers) execTimes[p.name]!.push(timeCommand([DOCKER, '-H', p.host, 'exec', 'bench-exec', 'true']));
      }
    } finally {
      for (const p of peers) docker(p.host, ['rm', '-f', 'bench-exec']);
    }
    console.log(`\n## docker exec c true (${execs} runs each, interleaved)`);
    printTable([['daemon', 'median ms', 'min ms'], ...peers.map((p) => [p.name, median(execTimes[p.name]!).toFixed(1), Math.min(...execTimes[p.name]!).toFixed(1)])]);
    console.log(`ratio berthd/dockerd: ${(median(execTimes.berthd!) / median(execTimes.dockerd!)).toFixed(2)}`);

    const bulk: Record<string, number[]> = { berthd: [], dockerd: [] };
    for (let i = 0; i < 3; i++) {
      for (const p of peers) bulk[p.name]!.push(timeCommand([DOCKER, '-H', p.host, 'run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', HUNDRED_MB]));
    }
    console.log('\n## docker run --rm busybox printing 100 MB to stdout (3 runs each, interleaved)');
    printTable([['daemon', 'median s', 'MB/s'], ...peers.map((p) => [p.name, (median(bulk[p.name]!) / 1000).toFixed(2), (100_000 / median(bulk[p.name]!)).toFixed(0)])]);
    console.log(`ratio berthd/dockerd: ${(median(bulk.berthd!) / median(bulk.dockerd!)).toFixed(2)}`);
  } finally {
    await berth.stop();
  }
}

/** Attaches (hijacked, as the CLI does) and times `n` keystrokes until each comes back echoed. */
async function echoRoundTrips(host: string, id: string, n: number): Promise<number[]> {
  const socket = connect(host.replace(/^unix:\/\//, ''));
  await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
  socket.write(`POST /containers/${id}/attach?stream=1&stdin=1&stdout=1&stderr=1 HTTP/1.1\r\nHost: d\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n`);
  await readUntil(socket, '\r\n\r\n');
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const ch = String.fromCharCode(0x61 + (i % 26));
    const t0 = process.hrtime.bigint();
    const echoed = readUntil(socket, ch);
    socket.write(ch);
    await echoed;
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  socket.destroy();
  return times;
}

function readUntil(socket: Socket, marker: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer) => {
      seen += d.toString('latin1');
      if (!seen.includes(marker)) return;
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve();
    };
    const onClose = () => reject(new Error(`connection closed before ${JSON.stringify(marker)}`));
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await benchInteractive(Number(process.argv[2] ?? 300), Number(process.argv[3] ?? 20));
}
