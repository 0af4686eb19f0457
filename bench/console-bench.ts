/**
 * The browser console's figures, through its own protocol (a WebSocket client that behaves as the
 * page does: Hello, acknowledgements every 64 KiB):
 *  - key-to-echo: one keystroke into `cat` in one terminal until the echo comes back, alone and while
 *    another terminal of the same container prints 50 MB as fast as it can (median, p95)
 *  - the console process's resident memory: idle (logged in, the list served), then with 20 open
 *    terminals (a shell each, a viewer each)
 * Usage: node --import tsx bench/console-bench.ts [keystrokes=200] [terminals=20]
 */
import { request } from 'node:http';
import WebSocket from 'ws';
import { startDaemon } from '../test/helpers/daemon.js';
import { importBusybox } from '../test/helpers/busybox.js';
import { startConsole, type RunningConsole } from '../test/console/console-harness.js';
import { Channel, decode, encodeAck, encodeBytes, encodeJson } from '../src/cli/console/web/protocol.js';
import { median, percentile, printTable, rssKb } from './lib.js';

const FLOOD_BYTES = 50_000_000;

function http(con: RunningConsole, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(con.origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: { Origin: con.origin, ...headers } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A terminal as the page holds one: output counted and acknowledged, a listener per chunk. */
class Term {
  received = 0;
  private acked = 0;
  onOutput: (bytes: Uint8Array) => void = () => undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const m = decode(new Uint8Array(data));
      if (m.channel !== Channel.Stdout && m.channel !== Channel.Stderr) return;
      this.received = m.offset + m.bytes.length;
      this.onOutput(m.bytes);
      if (this.received - this.acked >= 64 * 1024) {
        this.acked = this.received;
        ws.send(encodeAck(this.acked));
      }
    });
  }

  static async open(con: RunningConsole, cookie: string, container: string, cmd?: string): Promise<Term> {
    const r = await http(con, 'POST', `/api/containers/${container}/terminals`, { Cookie: cookie, 'Content-Type': 'application/json' },
      JSON.stringify({ cols: 120, rows: 40, cmd }));
    if (r.status !== 201) throw new Error(`terminal: ${r.status} ${r.body}`);
    const { id, ticket } = JSON.parse(r.body) as { id: string; ticket: string };
    const ws = new WebSocket(`${con.origin.replace('http', 'ws')}/ws/terminals/${id}?ticket=${ticket}`, { headers: { Origin: con.origin, Cookie: cookie } });
    await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
    ws.send(encodeJson(Channel.Hello, { cols: 120, rows: 40, offset: 0 }));
    return new Term(ws);
  }

  type(text: string): void {
    this.ws.send(encodeBytes(Channel.Stdin, Buffer.from(text)));
  }

  /** Resolves when the output so far contains `text`. */
  waitFor(text: string): Promise<void> {
    let seen = '';
    return new Promise((resolve) => {
      this.onOutput = (bytes) => {
        seen = (seen + Buffer.from(bytes).toString('latin1')).slice(-4096);
        if (seen.includes(text)) {
          this.onOutput = () => undefined;
          resolve();
        }
      };
    });
  }
}

/** ms from a keystroke to its echo, `n` times, one keystroke at a time. */
async function echoTimes(term: Term, n: number, stillRunning: () => boolean = () => true): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n && stillRunning(); i++) {
    const key = String.fromCharCode(97 + (i % 26));
    const t0 = process.hrtime.bigint();
    const echoed = new Promise<void>((resolve) => {
      term.onOutput = (bytes) => {
        if (Buffer.from(bytes).includes(key)) resolve();
      };
    });
    term.type(key);
    await echoed;
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    await new Promise((r) => setTimeout(r, 10));
  }
  return times;
}

export async function benchConsole(keystrokes = 200, terminals = 20): Promise<void> {
  const daemon = await startDaemon();
  let con: RunningConsole | undefined;
  const open: Term[] = [];
  try {
    await importBusybox(daemon);
    await daemon.ok(['run', '-d', '--name', 'bench-console', '--network', 'none', 'busybox', 'sleep', '3600']);
    con = await startConsole(daemon);
    const login = await http(con, 'GET', new URL(con.url).pathname + new URL(con.url).search, {});
    const cookie = String(login.headers['set-cookie']).split(';')[0]!;
    await http(con, 'GET', '/containers', { Cookie: cookie });
    await new Promise((r) => setTimeout(r, 1000));
    const idle = rssKb(con.proc.pid!);

    const echo = await Term.open(con, cookie, 'bench-console', 'cat');
    open.push(echo);
    await new Promise((r) => setTimeout(r, 300));
    const alone = await echoTimes(echo, keystrokes);

    const flood = await Term.open(con, cookie, 'bench-console');
    open.push(flood);
    await new Promise((r) => setTimeout(r, 300));
    const start = flood.received;
    const t0 = Date.now();
    let floodMs = 0;
    const done = new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        if (flood.received - start >= FLOOD_BYTES) {
          floodMs = Date.now() - t0;
          clearInterval(tick);
          resolve();
        }
      }, 5);
    });
    flood.type(`yes 0123456789012345678901234567890123456789012345678901234567890123456789 | head -c ${FLOOD_BYTES}\r`);
    const busy = await echoTimes(echo, keystrokes * 10, () => floodMs === 0);
    await done;

    console.log('\n## key-to-echo through the console (a keystroke into cat, until its echo)');
    printTable([
      ['while', 'keystrokes', 'median ms', 'p95 ms'],
      ['idle', String(alone.length), median(alone).toFixed(2), percentile(alone, 95).toFixed(2)],
      ['another terminal prints 50 MB', String(busy.length), median(busy).toFixed(2), percentile(busy, 95).toFixed(2)],
    ]);
    console.log(`the 50 MB reached the flooded terminal's client in ${(floodMs / 1000).toFixed(1)} s (${(FLOOD_BYTES / 1e6 / (floodMs / 1000)).toFixed(1)} MB/s)`);

    for (const t of open) t.ws.close();
    open.length = 0;
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < terminals; i++) {
      const t = await Term.open(con, cookie, 'bench-console');
      open.push(t);
      await t.waitFor('# ');
    }
    await new Promise((r) => setTimeout(r, 2000));
    const many = rssKb(con.proc.pid!);
    console.log('\n## the console process, resident memory');
    printTable([['state', 'RSS MB'], ['idle (logged in, list served)', (idle / 1024).toFixed(1)], [`${terminals} open terminals`, (many / 1024).toFixed(1)]]);
  } finally {
    for (const t of open) t.ws.close();
    await con?.stop();
    await daemon.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [keystrokes, terminals] = process.argv.slice(2).map(Number);
  await benchConsole(keystrokes || 200, terminals || 20);
}
