// The one crash and durability suite every engine store passes (modelled on the registry's storage
// driver suite). A store's test file registers a constructor; each test works in a fresh directory and
// the suite fails if a test leaves anything behind: after it deleted its records, no file may remain
// but a one-document store's (now empty) document.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { tempPathFor } from '../../src/lib/atomic-file.js';
import type { StoreLog } from '../../src/engine/store/record-file.js';

/** A store as the suite drives it, opened on a directory the way a starting daemon opens it. */
export interface StoreUnderTest<V> {
  /** What this instance loaded when it was opened, by key. */
  loaded(): Map<string, V>;
  put(key: string, value: V): Promise<void>;
  delete(key: string): Promise<void>;
  /** The file that holds `key`'s record. */
  pathOf(key: string): string;
}

export interface StoreRegistration<V> {
  /** Opens the store on `root` (empty, or left by an earlier instance), reporting to `log`. */
  open(root: string, log: StoreLog): Promise<StoreUnderTest<V>>;
  /** Two valid keys. */
  keys: [string, string];
  /** A record for `key`: a different `n` gives a different record. */
  sample(key: string, n: number): V;
  /** The schema version the store writes. */
  version: number;
  /**
   * The JSON an older berthd (before schema versions) wrote at pathOf(key) for sample(key, n), and,
   * for one document, no other record. Default: the sample itself.
   */
  legacy?(key: string, n: number): unknown;
  /**
   * Every record lives in one document: a damaged one is moved aside whole (so the next save cannot
   * overwrite it) and the store starts empty; one a newer berthd wrote is refused (open throws an
   * error naming it).
   */
  oneDocument?: boolean;
}

/** A log that keeps what it is told (stores that take the daemon's Logger get info and debug too). */
class RecordingLog implements StoreLog {
  readonly messages: string[] = [];
  debug(message: string): void { this.messages.push(message); }
  info(message: string): void { this.messages.push(message); }
  warn(message: string): void { this.messages.push(message); }
  error(message: string): void { this.messages.push(message); }
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...await filesUnder(path));
    else out.push(path);
  }
  return out;
}

/** The copies of `path` moved aside as damaged (`<file>.damaged-<time>` beside it). */
async function setAsideOf(path: string): Promise<string[]> {
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith(`${basename(path)}.damaged-`)).map((n) => join(dirname(path), n));
}

const exists = (path: string) => stat(path).then(() => true, (err: NodeJS.ErrnoException) => {
  if (err.code === 'ENOENT') return false;
  throw err;
});

export function recordStoreSuite<V>(name: string, reg: StoreRegistration<V>): void {
  describe(`record store suite: ${name}`, () => {
    const [k1, k2] = reg.keys;
    let root: string;
    let log: RecordingLog;
    const open = () => reg.open(root, log);
    const reopened = async () => (await open()).loaded();
    const legacy = (key: string, n: number) => reg.legacy ? reg.legacy(key, n) : reg.sample(key, n);
    const reported = (path: string) => log.messages.some((m) => m.includes(path));

    beforeEach(async () => {
      root = await mkdtemp(join(tmpdir(), 'berth-record-suite-'));
      log = new RecordingLog();
    });
    afterEach(async () => {
      try {
        const store = await open();
        assert.deepEqual([...store.loaded().keys()], [], 'the test left records behind');
        const documents = new Set(reg.oneDocument ? [store.pathOf(k1)] : []);
        assert.deepEqual((await filesUnder(root)).filter((f) => !documents.has(f)), [], 'the test left files behind');
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    });

    it('a record put is loaded back by a new instance; delete removes it', async () => {
      const store = await open();
      await store.put(k1, reg.sample(k1, 1));
      await store.put(k2, reg.sample(k2, 2));
      assert.deepEqual(await reopened(), new Map([[k1, reg.sample(k1, 1)], [k2, reg.sample(k2, 2)]]));
      await store.delete(k1);
      assert.deepEqual(await reopened(), new Map([[k2, reg.sample(k2, 2)]]));
      if (!reg.oneDocument) assert.equal(await exists(store.pathOf(k1)), false);
      await store.delete(k2);
      await store.delete(k2);
    });

    it('a second put replaces the record; the file carries the schema version', async () => {
      const store = await open();
      await store.put(k1, reg.sample(k1, 1));
      await store.put(k1, reg.sample(k1, 2));
      assert.deepEqual(await reopened(), new Map([[k1, reg.sample(k1, 2)]]));
      const file = JSON.parse(await readFile(store.pathOf(k1), 'utf8')) as { schemaVersion: number };
      assert.equal(file.schemaVersion, reg.version);
      await store.delete(k1);
    });

    it('a torn write (the temp file a crash left) is ignored, reported and removed', async () => {
      const store = await open();
      await store.put(k1, reg.sample(k1, 1));
      // A crash while overwriting k1, and one while creating k2: the temp files were never renamed.
      const torn = [tempPathFor(store.pathOf(k1)), tempPathFor(store.pathOf(k2))];
      for (const tmp of torn) {
        await mkdir(dirname(tmp), { recursive: true });
        await writeFile(tmp, '{"schemaVersion": 1, "rec');
      }
      const after = await open();
      assert.deepEqual(after.loaded(), new Map([[k1, reg.sample(k1, 1)]]));
      for (const tmp of torn) {
        assert.equal(await exists(tmp), false, `${tmp} was not cleaned`);
        assert.ok(reported(tmp), `the removal of ${tmp} was not reported`);
      }
      await after.delete(k1);
      await after.delete(k2);
    });

    it('a damaged record is reported with its path and moved aside; the others load; the next start is quiet', async () => {
      const store = await open();
      await store.put(k1, reg.sample(k1, 1));
      await store.put(k2, reg.sample(k2, 2));
      const damaged = store.pathOf(k2);
      const text = '{"schemaVersion": 1, "record": {"trunc';
      await writeFile(damaged, text);
      // One document holds every record: all of them go aside with it, and the store starts empty.
      assert.deepEqual(await reopened(), reg.oneDocument ? new Map() : new Map([[k1, reg.sample(k1, 1)]]));
      assert.ok(reported(damaged), `the damaged ${damaged} was not reported: ${log.messages.join(' | ')}`);
      assert.equal(await exists(damaged), false, 'the damaged record was not moved aside');
      const aside = await setAsideOf(damaged);
      assert.equal(aside.length, 1, `one copy of ${damaged} beside it: ${aside.join(', ')}`);
      assert.ok(reported(aside[0]!), 'the log does not say where the damaged record went');
      assert.equal(await readFile(aside[0]!, 'utf8'), text, 'the damaged record was not kept as it was');
      log.messages.length = 0;
      const after = await open();
      assert.deepEqual(after.loaded(), reg.oneDocument ? new Map() : new Map([[k1, reg.sample(k1, 1)]]));
      assert.deepEqual(log.messages.filter((m) => m.includes(damaged)), [], 'a record moved aside was reported again');
      await rm(aside[0]!);
      await after.delete(k1);
      await after.delete(k2);
    });

    it('a record without a schema version (an older berthd\'s) loads through the migration; a newer version is refused', async () => {
      const store = await open();
      const path = store.pathOf(k1);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, JSON.stringify(legacy(k1, 1), null, 2));
      assert.deepEqual(await reopened(), new Map([[k1, reg.sample(k1, 1)]]));
      await writeFile(path, JSON.stringify({ schemaVersion: reg.version + 1, record: legacy(k1, 1) }));
      if (reg.oneDocument) {
        await assert.rejects(open(), (err: Error) => err.message.includes(path) && /newer/.test(err.message));
      } else {
        assert.deepEqual(await reopened(), new Map());
        assert.ok(log.messages.some((m) => m.includes(path) && /newer/.test(m)), 'the newer record was not reported');
      }
      await rm(path);
      await (await open()).delete(k1);
    });

    it('concurrent puts and deletes of one record land in call order, whole', async () => {
      const store = await open();
      await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((n) => store.put(k1, reg.sample(k1, n))));
      assert.deepEqual(await reopened(), new Map([[k1, reg.sample(k1, 8)]]));
      await Promise.all([store.put(k1, reg.sample(k1, 1)), store.delete(k1), store.put(k1, reg.sample(k1, 2))]);
      assert.deepEqual(await reopened(), new Map([[k1, reg.sample(k1, 2)]]));
      await Promise.all([store.put(k1, reg.sample(k1, 3)), store.put(k1, reg.sample(k1, 4)), store.delete(k1)]);
      assert.deepEqual(await reopened(), new Map());
    });
  });
}
