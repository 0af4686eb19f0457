/**
 * Event fan-out, berthd beside dockerd: `node --import tsx bench/events-bench.ts [rate=1000] [seconds=10]
 * [subscribers=10]`. Each daemon runs one `docker run -d -t busybox` container; `subscribers` clients
 * hold `GET /events?filters={"event":["resize"]}` open while one client sends `rate` resize requests a
 * second (each with its own height/width, one `resize` event each) for `seconds`. Every subscriber
 * must see every event exactly once; the delivery latency of an event is the time a subscriber read it
 * minus its `timeNano` (same host clock).
 */
import { Agent, request } from 'node:http';
import { docker, percentile, printTable, startPeers, type Peer } from './lib.js';

const [rate = 1000, seconds = 10, subscriberCount = 10] = process.argv.slice(2).map(Number);
const total = rate * seconds;

function socketOf(host: string): string {
  return host.replace(/^unix:\/\//, '');
}

/** A subscriber: the sizes it saw (as `h,w`) and each one's delivery latency in ms. */
interface Subscriber {
  seen: Map<string, number>;
  latencies: number[];
  close(): void;
  ready: Promise<void>;
}

function subscribe(socketPath: string, containerId: string): Subscriber {
  const seen = new Map<string, number>();
  const latencies: number[] = [];
  const filters = encodeURIComponent(JSON.stringify({ event: ['resize'], container: [containerId] }));
  let close = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    const req = request({ socketPath, path: `/v1.41/events?filters=${filters}` }, (res) => {
      let pending = '';
      res.on('data', (chunk: Buffer) => {
        const now = performance.timeOrigin + performance.now();
        pending += chunk.toString('utf8');
        let nl: number;
        while ((nl = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          const a = /"height":"(\d+)".*"width":"(\d+)"/.exec(line);
          const nano = /"timeNano":(\d+)\}$/.exec(line);
          if (!a || !nano) continue;
          const key = `${a[1]},${a[2]}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
          latencies.push(now - Number(BigInt(nano[1]) / 1000n) / 1000);
        }
      });
      resolve();
    });
    req.on('error', reject);
    req.end();
    close = () => req.destroy();
  });
  return { seen, latencies, close: () => close(), ready };
}

/** Sends `total` resizes at `rate` a second (in 10 ms ticks); resolves with the achieved rate. */
async function produce(socketPath: string, containerId: string): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const perTick = rate / 100;
  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + Math.floor(i / perTick) * 10;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const h = 1 + (i % 1000);
    const w = 1 + Math.floor(i / 1000);
    inFlight.push(new Promise<void>((resolve, reject) => {
      const req = request({ socketPath, agent, method: 'POST', path: `/v1.41/containers/${containerId}/resize?h=${h}&w=${w}` }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`resize: ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end();
    }));
  }
  await Promise.all(inFlight);
  agent.destroy();
  return total / ((performance.now() - started) / 1000);
}

async function measure(peer: Peer): Promise<string[]> {
  const name = `evb-${process.pid}`;
  const id = docker(peer.host, ['run', '-d', '-t', '--name', name, 'busybox', 'sleep', '600']).trim();
  try {
    const socketPath = socketOf(peer.host);
    const subs = Array.from({ length: subscriberCount }, () => subscribe(socketPath, id));
    await Promise.all(subs.map((s) => s.ready));
    await new Promise((r) => setTimeout(r, 200));
    const achieved = await produce(socketPath, id);
    // Let the last events arrive.
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && subs.some((s) => s.seen.size < total)) await new Promise((r) => setTimeout(r, 50));
    for (const s of subs) s.close();
    const lost = subs.reduce((n, s) => n + (total - s.seen.size), 0);
    const duplicated = subs.reduce((n, s) => n + [...s.seen.values()].filter((c) => c > 1).length, 0);
    const latencies = subs.flatMap((s) => s.latencies);
    return [
      peer.name, `${achieved.toFixed(0)}/s`, String(total * subscriberCount), String(latencies.length), String(lost), String(duplicated),
      `${percentile(latencies, 50).toFixed(2)} ms`, `${percentile(latencies, 99).toFixed(2)} ms`, `${Math.max(...latencies).toFixed(2)} ms`,
    ];
  } finally {
    docker(peer.host, ['rm', '-f', name]);
  }
}

const { peers, stop } = await startPeers();
try {
  console.log(`${rate} events/s for ${seconds} s to ${subscriberCount} subscribers (${total} events each)`);
  const rows = [['daemon', 'sent', 'expected', 'delivered', 'lost', 'duplicated', 'p50', 'p99', 'max']];
  for (const peer of peers) rows.push(await measure(peer));
  printTable(rows);
} finally {
  await stop();
}
