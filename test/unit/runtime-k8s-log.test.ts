import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile, appendFile } from 'node:fs/promises';
import { LogFileSet } from '../../src/engine/runtime/log-files.js';
import { tailStart } from '../../src/engine/runtime/k8s-log-seek.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  formatRfc3339Nano, parseK8sLine, parseRfc3339Nano, readK8sLog, type LogEntry, type ReadLogOptions,
} from '../../src/engine/runtime/k8s-log.js';

const T = (s: number, ns = 0) => `2024-05-06T07:08:${String(s).padStart(2, '0')}.${String(ns).padStart(9, '0')}+00:00`;

async function withLog(content: string, fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-k8slog-'));
  try {
    const path = join(dir, 'ctr.log');
    await writeFile(path, content);
    await fn(path);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function collect(path: string, options: ReadLogOptions = {}): Promise<LogEntry[]> {
  const out: LogEntry[] = [];
  for await (const e of readK8sLog(path, options)) out.push(e);
  return out;
}

const show = (entries: LogEntry[]) => entries.map((e) => `${e.stream}:${e.data.toString()}`);

test('a k8s-file line parses into time, stream, tag and text (spaces in the text kept)', () => {
  const line = parseK8sLine(Buffer.from(`${T(1, 5)} stderr F a b  c `));
  assert.ok(line);
  assert.equal(line.stream, 'stderr');
  assert.equal(line.partial, false);
  assert.equal(line.text.toString(), 'a b  c ');
  assert.equal(line.timeNs, BigInt(Date.parse('2024-05-06T07:08:01Z')) * 1_000_000n + 5n);
  assert.equal(parseK8sLine(Buffer.from(`${T(1)} stdout F `))?.text.length, 0, 'an empty line of output');
  assert.equal(parseK8sLine(Buffer.from(`${T(1)} stdin F x`)), undefined);
  assert.equal(parseK8sLine(Buffer.from(`yesterday stdout F x`)), undefined);
  assert.equal(parseK8sLine(Buffer.from('garbage')), undefined);
});

test('timestamps with a zone offset become UTC nanoseconds and print as Docker prints them', () => {
  const ns = parseRfc3339Nano('2024-05-06T09:08:01.000000042+02:00');
  assert.equal(ns, BigInt(Date.parse('2024-05-06T07:08:01Z')) * 1_000_000n + 42n);
  assert.equal(formatRfc3339Nano(ns!), '2024-05-06T07:08:01.000000042Z');
  assert.equal(parseRfc3339Nano('2024-05-06T07:08:01Z'), BigInt(Date.parse('2024-05-06T07:08:01Z')) * 1_000_000n);
  assert.equal(parseRfc3339Nano('2024-05-06 07:08:01Z'), undefined);
});

test('partial records are joined per stream, newlines restored, streams kept apart', async () => {
  const log = [
    `${T(1)} stdout F first`,
    `${T(2)} stdout P par`,
    `${T(3)} stderr F oops`,
    `${T(4)} stdout P t o`,
    `${T(5)} stdout F f the line`,
    `${T(6)} stdout F `,
    `${T(7)} stderr P no newline at the end`,
    '',
  ].join('\n');
  await withLog(log, async (path) => {
    const entries = await collect(path);
    assert.deepEqual(show(entries), [
      'stdout:first\n', 'stderr:oops\n', 'stdout:part of the line\n', 'stdout:\n', 'stderr:no newline at the end',
    ]);
    // A joined line carries the time its last record was written.
    assert.equal(entries[2]!.timeNs, parseRfc3339Nano(T(5)));
  });
});

test('since and until select entries by time (both inclusive); until stops the reading', async () => {
  const log = [1, 2, 3, 4, 5].map((s) => `${T(s)} stdout F line${s}`).join('\n') + '\n';
  await withLog(log, async (path) => {
    const since = new Date('2024-05-06T07:08:02Z');
    const until = parseRfc3339Nano(T(4))!;
    assert.deepEqual(show(await collect(path, { since, until })), ['stdout:line2\n', 'stdout:line3\n', 'stdout:line4\n']);
  });
});

test('tail N returns the last N entries, counting joined lines once', async () => {
  const lines: string[] = [];
  for (let i = 0; i < 50; i++) {
    lines.push(`${T(1, i)} stdout P a${i}-`, `${T(1, i)} stdout F b${i}`);
    lines.push(`${T(1, i)} stderr F e${i}`);
  }
  await withLog(lines.join('\n') + '\n', async (path) => {
    assert.deepEqual(show(await collect(path, { tail: 3 })), ['stderr:e48\n', 'stdout:a49-b49\n', 'stderr:e49\n']);
    assert.equal((await collect(path, { tail: 0 })).length, 0);
    assert.equal((await collect(path, { tail: 1000 })).length, 100);
  });
  // A line still being written (P records at the end) counts as one entry.
  await withLog(`${T(1)} stdout F one\n${T(2)} stdout F two\n${T(3)} stdout P thr\n${T(3)} stdout P ee`, async (path) => {
    assert.deepEqual(show(await collect(path, { tail: 2 })), ['stdout:two\n', 'stdout:thr']);
  });
});

test('tail reads only the end of a big log', async () => {
  const line = `${T(1)} stdout F ${'x'.repeat(100)}\n`;
  const dir = await mkdtemp(join(tmpdir(), 'berth-k8slog-'));
  try {
    const path = join(dir, 'big.log');
    await writeFile(path, line.repeat(100_000)); // ~13 MB
    const files = await LogFileSet.open(path);
    try {
      let bytesRead = 0;
      const read = files.read.bind(files);
      files.read = async (...args) => {
        const n = await read(...args);
        bytesRead += n;
        return n;
      };
      const { emitFrom: offset } = await tailStart(files, 10);
      assert.equal(offset, files.size - 10 * line.length);
      assert.ok(bytesRead <= 1024 * 1024, `read ${bytesRead} bytes to find the last 10 lines`);
    } finally {
      await files.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('follow returns what is appended and ends after the exit promise settles and the file is drained', async () => {
  await withLog(`${T(1)} stdout F before\n`, async (path) => {
    let exit!: () => void;
    const exited = new Promise<void>((r) => { exit = r; });
    const seen: string[] = [];
    const done = (async () => {
      for await (const e of readK8sLog(path, { follow: true, exited })) {
        seen.push(e.data.toString());
        if (seen.length === 1) {
          // Written later, while the reader waits for the file to change.
          setTimeout(async () => {
            await appendFile(path, `${T(2)} stdout P hal`);
            await appendFile(path, `f\n${T(2)} stdout F \n`);
          }, 30);
        }
        if (seen.length === 2) {
          // Written just before the container's exit is known: must still be read.
          await appendFile(path, `${T(3)} stderr F last\n`);
          exit();
        }
      }
    })();
    await done;
    assert.deepEqual(seen, ['before\n', 'half\n', 'last\n']);
  });
});

test('follow ends quietly when its signal aborts', async () => {
  await withLog(`${T(1)} stdout F one\n`, async (path) => {
    const ac = new AbortController();
    const seen: string[] = [];
    for await (const e of readK8sLog(path, { follow: true, signal: ac.signal })) {
      seen.push(e.data.toString());
      setTimeout(() => ac.abort(), 20);
    }
    assert.deepEqual(seen, ['one\n']);
  });
});

test('a missing log file reads as empty', async () => {
  assert.deepEqual(await collect(join(tmpdir(), 'berth-no-such-log-file')), []);
});
