import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readK8sLogBatches } from '../../src/engine/runtime/k8s-log-reader.js';
import { parseRfc3339Nano } from '../../src/engine/runtime/k8s-log-time.js';

// The reader that starts from the end (tail) or by bisection (since) must give exactly what a
// straightforward reader gives: every line parsed from the start, then filtered.

interface Plain { stream: string; timeNs: bigint; text: string; newline: boolean }

/** The straightforward reader: all lines, P records joined per stream, then since/until/tail. */
function plainRead(log: string, o: { since?: bigint; until?: bigint; tail?: number }): string[] {
  const lines = log.split('\n');
  lines.pop(); // what follows the last newline is a line still being written
  const open = new Map<string, { text: string; timeNs: bigint }>();
  let entries: Plain[] = [];
  for (const line of lines) {
    const m = /^(\S+) (stdout|stderr) ([FP])(?: (.*))?$/s.exec(line);
    if (!m) continue;
    const timeNs = parseRfc3339Nano(m[1]!)!;
    const acc = open.get(m[2]!) ?? { text: '', timeNs };
    acc.text += m[4] ?? '';
    acc.timeNs = timeNs;
    if (m[3] === 'F') { open.delete(m[2]!); entries.push({ stream: m[2]!, timeNs, text: acc.text, newline: true }); }
    else open.set(m[2]!, acc);
  }
  for (const [stream, acc] of open) entries.push({ stream, timeNs: acc.timeNs, text: acc.text, newline: false });
  if (o.tail !== undefined) entries = o.tail === 0 ? [] : entries.slice(-o.tail);
  const out: string[] = [];
  for (const e of entries) {
    if (o.until !== undefined && e.timeNs > o.until) break;
    if (o.since === undefined || e.timeNs >= o.since) out.push(`${e.stream}:${e.text}${e.newline ? '\n' : ''}`);
  }
  return out;
}

async function fastRead(path: string, o: { since?: bigint; until?: bigint; tail?: number }): Promise<string[]> {
  const out: string[] = [];
  for await (const batch of readK8sLogBatches(path, o)) {
    for (const r of batch) out.push(`${r.stream}:${r.data.toString('latin1', r.start, r.end)}${r.newline ? '\n' : ''}`);
  }
  return out;
}

const BASE = Date.parse('2024-05-06T07:08:00Z');
function stamp(ms: number, ns: number): string {
  return `${new Date(BASE + ms).toISOString().slice(0, 19)}.${String(((BASE + ms) % 1000) * 1_000_000 + ns).padStart(9, '0')}+00:00`;
}

/** A random log: both streams, P runs interleaved with the other stream, short and block-sized lines. */
function randomLog(seed: number, n: number): { log: string; times: bigint[] } {
  let x = seed;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2147483648) / 2147483648);
  const lines: string[] = [];
  const times: bigint[] = [];
  let ms = 0;
  for (let i = 0; i < n; i++) {
    ms += rnd() < 0.3 ? 0 : Math.floor(rnd() * 3); // equal times happen (one write, several lines)
    const t = stamp(ms, i % 1000);
    times.push(parseRfc3339Nano(t)!);
    const stream = rnd() < 0.7 ? 'stdout' : 'stderr';
    const r = rnd();
    const len = r < 0.01 ? 70_000 + Math.floor(rnd() * 70_000) : r < 0.1 ? 0 : Math.floor(rnd() * 60);
    const text = String.fromCharCode(97 + (i % 26)).repeat(len);
    lines.push(`${t} ${stream} ${rnd() < 0.2 ? 'P' : 'F'}${len || rnd() < 0.5 ? ` ${text}` : ''}`);
  }
  return { log: lines.join('\n') + (seed % 3 === 0 ? '' : '\n'), times };
}

async function withLog(log: string, fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-k8sseek-'));
  try {
    const path = join(dir, 'container.log');
    await writeFile(path, log, 'latin1');
    await fn(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('tail and since from the end or by bisection give what reading from the start gives', async () => {
  for (let seed = 1; seed <= 6; seed++) {
    const { log, times } = randomLog(seed, 3000);
    await withLog(log, async (path) => {
      for (const tail of [0, 1, 2, 7, 100, 2999, 5000]) {
        assert.deepEqual(await fastRead(path, { tail }), plainRead(log, { tail }), `seed ${seed} tail ${tail}`);
      }
      for (const i of [0, 1, 500, 1500, 2998, 2999]) {
        const since = times[i]!;
        assert.deepEqual(await fastRead(path, { since }), plainRead(log, { since }), `seed ${seed} since line ${i}`);
        assert.deepEqual(await fastRead(path, { since: since + 1n }), plainRead(log, { since: since + 1n }), `seed ${seed} since after line ${i}`);
        const until = times[Math.min(2999, i + 700)]!;
        assert.deepEqual(await fastRead(path, { since, until }), plainRead(log, { since, until }), `seed ${seed} since ${i} until`);
        assert.deepEqual(await fastRead(path, { since, tail: 50 }), plainRead(log, { since, tail: 50 }), `seed ${seed} since ${i} tail 50`);
      }
      assert.deepEqual(await fastRead(path, { since: times[2999]! + 10n ** 12n }), []);
    });
  }
});

test('edge cases: an empty log, one line, no trailing newline, P records across block boundaries, lines longer than a block', async () => {
  const t = (i: number) => stamp(i, 0);
  const long = 'z'.repeat(200_000);
  const cases = [
    '',
    `${t(1)} stdout F only\n`,
    `${t(1)} stdout F only`,
    `${t(1)} stdout F one\n${t(2)} stderr P two-`,
    `${t(1)} stdout P ${long}\n${t(2)} stderr F between\n${t(3)} stdout P ${long}\n${t(4)} stdout F end\n${t(5)} stderr F after\n`,
    `${t(1)} stdout F ${long}\n${t(2)} stdout F ${long}\n${t(3)} stdout F short\n`,
    Array.from({ length: 5000 }, (_, i) => `${t(i)} stdout ${i % 3 ? 'P' : 'F'} part${i}`).join('\n') + '\n',
  ];
  for (const [n, log] of cases.entries()) {
    await withLog(log, async (path) => {
      for (const tail of [undefined, 0, 1, 2, 3, 10]) {
        assert.deepEqual(await fastRead(path, { tail }), plainRead(log, { tail }), `case ${n} tail ${tail}`);
      }
      for (const s of [0, 1, 2, 3, 4, 5, 2500, 4999]) {
        const since = parseRfc3339Nano(t(s))!;
        assert.deepEqual(await fastRead(path, { since }), plainRead(log, { since }), `case ${n} since ${s}`);
      }
    });
  }
});

test('timestamps come out in Docker\'s form, and a zone other than UTC is converted', async () => {
  await withLog('2024-05-06T09:08:01.000000042+02:00 stdout F x\n2024-05-06T07:08:01.500000000+00:00 stderr F y\n', async (path) => {
    const { LogTimes } = await import('../../src/engine/runtime/k8s-log-time.js');
    const times = new LogTimes();
    const out: string[] = [];
    for await (const batch of readK8sLogBatches(path, { withTime: true })) for (const r of batch) out.push(times.toDocker(r.time)!);
    assert.deepEqual(out, ['2024-05-06T07:08:01.000000042Z', '2024-05-06T07:08:01.500000000Z']);
  });
});

/** Waits until `done()` holds, polling; fails (instead of waiting forever) after 20 s. */
async function until(done: () => boolean, what: () => string): Promise<void> {
  for (const deadline = Date.now() + 20_000; !done();) {
    if (Date.now() > deadline) throw new Error(`the follower did not get ${what()} within 20 s`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('a follower reads on across a replaced file (rotation) without missing or repeating a line', async () => {
  const { appendFile, rename, writeFile: write } = await import('node:fs/promises');
  await withLog('', async (path) => {
    let exit!: () => void;
    const exited = new Promise<void>((r) => { exit = r; });
    const seen: string[] = [];
    const reading = (async () => {
      for await (const batch of readK8sLogBatches(path, { follow: true, exited, rotated: true })) for (const r of batch) seen.push(r.data.toString("utf8", r.start, r.end));
    })();
    const seenSoFar = () => `${seen.length} lines so far, the last ${JSON.stringify(seen.at(-1))}`;
    try {
      // The follower has the file open once it has seen the first line.
      await appendFile(path, `${stamp(0, 0)} stdout F first\n`);
      await until(() => seen.length > 0, () => `the first line (${seenSoFar()})`);
      for (let round = 0; round < 5; round++) {
        for (let i = 0; i < 100; i++) await appendFile(path, `${stamp(round, i)} stdout F ${round}-${i}\n`);
        await rename(path, `${path}.1`); // the old one, complete
        await write(`${path}.tmp`, '');
        await rename(`${path}.tmp`, path);
        // A follower misses a file only when two rotations come before it looks once: not here.
        await until(() => seen.length >= 1 + (round + 1) * 100, () => `the lines of round ${round} (${seenSoFar()})`);
      }
      await appendFile(path, `${stamp(9, 0)} stdout F last\n`);
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      exit();
    }
    await reading;
    const expected = ['first', ...Array.from({ length: 5 }, (_, round) => Array.from({ length: 100 }, (_, i) => `${round}-${i}`)).flat(), 'last'];
    assert.deepEqual(seen, expected);
  });
});
