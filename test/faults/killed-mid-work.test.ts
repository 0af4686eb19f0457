// kill -9 of berthd at random points of a loop of pull, build, commit and import, 20 times: after each
// restart the daemon answers, every image it lists can be inspected, has all its layers and runs, the
// data root holds nothing half-made, and at the end each operation, retried, succeeds. The seed of the
// random delays is printed; BERTH_FAULT_SEED=<seed> replays a run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox, makeBusyboxTar } from '../helpers/busybox.js';
import { writeTree } from '../helpers/files.js';
import { cleanUpInOrder } from '../helpers/distribution-peers.js';
import { startTestRegistry, type TestRegistry } from '../registry/helpers/registry.js';
import { checkListedImages, faultSeed, leftoversOnDisk, seededRandom } from './killed-checks.js';

const ROUNDS = 20;
const LEGACY_BUILDER = { DOCKER_BUILDKIT: '0' };

let daemon: TestDaemon;
let registry: TestRegistry;
let dir: string;
let busyboxTar: { tar: string; cleanup: () => Promise<void> };
let pullRef: string;

before(async () => {
  registry = await startTestRegistry();
  daemon = await startDaemon();
  await importBusybox(daemon);
  dir = await mkdtemp(join(tmpdir(), 'berth-killed-'));
  busyboxTar = await makeBusyboxTar();
  // The image pulled in each round: a layer of its own over busybox's, in the registry only, so that
  // each pull (after rmi) transfers and unpacks it.
  pullRef = `${registry.host}/faults/pulled:1`;
  await writeTree(join(dir, 'pulled'), { Dockerfile: 'FROM busybox\nRUN dd if=/dev/urandom of=/blob bs=64k count=32 2>/dev/null && mkdir /many && for i in $(seq 200); do echo $i > /many/$i; done\n' });
  const built = await daemon.docker(['build', '-q', '-t', pullRef, join(dir, 'pulled')], { env: LEGACY_BUILDER });
  assert.equal(built.code, 0, built.stderr);
  await daemon.ok(['push', pullRef]);
  await daemon.ok(['rmi', pullRef]);
  // The build of each round: a RUN and a COPY on busybox.
  await writeTree(join(dir, 'ctx'), {
    Dockerfile: 'FROM busybox\nRUN echo built > /built && dd if=/dev/urandom of=/blob bs=64k count=8 2>/dev/null\nCOPY data /data\n',
    'data/a.txt': 'a\n', 'data/b/c.txt': 'c\n',
  });
  await writeFile(join(dir, 'ctx', 'data', 'big'), randomBytes(256 * 1024));
  // The container each round commits.
  await daemon.ok(['run', '--name', 'faults-src', 'busybox', 'sh', '-c', 'mkdir /made && echo made > /made/x']);
});

after(() => cleanUpInOrder(() => daemon?.stop(), () => registry?.stop(), () => busyboxTar?.cleanup(), () => rm(dir, { recursive: true, force: true })));

/** One operation of the loop, as the docker CLI runs it. */
interface Operation {
  name: string;
  args: string[];
  env?: Record<string, string>;
}

const operations = (): Operation[] => [
  { name: 'pull', args: ['pull', '-q', pullRef] },
  { name: 'build', args: ['build', '-q', '--no-cache', '-t', 'faults/built', join(dir, 'ctx')], env: LEGACY_BUILDER },
  { name: 'commit', args: ['commit', 'faults-src', 'faults/committed'] },
  { name: 'import', args: ['import', busyboxTar.tar, 'faults/imported'] },
];

/**
 * Runs the operations once, from `first` on and round to the one before it (the one a round kills
 * runs first, so that none before it costs time).
 */
async function runLoop(onStart: (op: string) => void, first = 'pull'): Promise<{ op: string; code: number; stderr: string }[]> {
  const results: { op: string; code: number; stderr: string }[] = [];
  const ops = operations();
  const at = ops.findIndex((op) => op.name === first);
  for (const op of [...ops.slice(at), ...ops.slice(0, at)]) {
    onStart(op.name);
    const r = await daemon.docker(op.args, { env: op.env });
    results.push({ op: op.name, code: r.code, stderr: r.stderr });
  }
  return results;
}

/**
 * What a round leaves besides busybox and faults-src goes, so that every round starts alike (and the
 * pull of the next one transfers its layer again).
 */
async function tidy(): Promise<void> {
  const containers = (await daemon.ok(['ps', '-aq', '--filter', 'name=^/faults-src$'])).trim();
  const others = (await daemon.ok(['ps', '-aq', '--no-trunc'])).split('\n').filter((id) => id && !id.startsWith(containers));
  if (others.length) await daemon.ok(['rm', '-f', ...others]);
  for (const ref of [pullRef, 'faults/built', 'faults/committed', 'faults/imported']) await daemon.docker(['rmi', ref]);
  await daemon.ok(['image', 'prune', '-f']);
}

test(`kill -9 at random points of pull, build, commit and import, ${ROUNDS} times: the daemon restarts whole and every operation works again`, async (t) => {
  const seed = faultSeed();
  t.diagnostic(`seed ${seed} (BERTH_FAULT_SEED=${seed} replays it)`);
  console.log(`killed-mid-work: seed ${seed} (BERTH_FAULT_SEED=${seed} replays it)`);
  const random = seededRandom(seed);

  // One undisturbed loop: every operation works, and when each starts and ends bounds the random delays.
  const windows = new Map<string, { from: number; to: number }>();
  const started = Date.now();
  let previous = '';
  const results = await runLoop((op) => {
    const now = Date.now() - started;
    if (previous) windows.get(previous)!.to = now;
    windows.set(op, { from: now, to: now });
    previous = op;
  });
  windows.get(previous)!.to = Date.now() - started;
  for (const r of results) assert.equal(r.code, 0, `${r.op}: ${r.stderr}`);
  t.diagnostic(`undisturbed loop: ${[...windows].map(([op, w]) => `${op} ${w.to - w.from} ms`).join(', ')}`);
  await tidy();

  const hits = new Map<string, number>();
  const phases = new Map<string, number>();
  const targets = operations().map((op) => op.name);
  for (let round = 1; round <= ROUNDS; round++) {
    // Each operation in turn, killed at a random point of the time it took undisturbed, counted from
    // when it starts in this round.
    const target = targets[(round - 1) % targets.length]!;
    const window = windows.get(target)!;
    const delay = Math.floor(random() * (window.to - window.from));
    const context = `round ${round} (seed ${seed}, kill ${delay} ms into ${target})`;
    let mark = Date.now();
    const phase = (name: string) => {
      phases.set(name, (phases.get(name) ?? 0) + Date.now() - mark);
      mark = Date.now();
    };
    let killed: Promise<void> | undefined;
    let current = '';
    let killedDuring = '';
    await runLoop((op) => {
      current = op;
      if (op !== target || killed) return;
      killed = new Promise((r) => setTimeout(r, delay)).then(() => {
        killedDuring = current;
        return daemon.kill9();
      });
    }, target);
    current = 'idle';
    await killed;
    hits.set(killedDuring, (hits.get(killedDuring) ?? 0) + 1);

    phase('loop and kill');
    await daemon.launch();
    phase('restart');
    assert.ok(await daemon.ping(), `${context}: the daemon does not answer /_ping`);
    const images = await checkListedImages(daemon, context);
    assert.deepEqual(await leftoversOnDisk(daemon.dataRoot, images), [], `${context}, killed during ${killedDuring}: left on disk`);
    phase('inspect and disk');
    // Two at a time: the machine has two cores.
    const listed = [...new Set((await daemon.ok(['images', '-q'])).split('\n').filter(Boolean))];
    for (let i = 0; i < listed.length; i += 2) {
      await Promise.all(listed.slice(i, i + 2).map(async (id) => {
        const run = await daemon.docker(['run', '--rm', id, 'true']);
        assert.equal(run.code, 0, `${context}, killed during ${killedDuring}: docker run of listed image ${id}: ${run.stderr}`);
      }));
    }
    phase('run each image');
    await tidy();
    phase('tidy');
  }
  t.diagnostic(`time per phase, all rounds: ${[...phases].map(([p, ms]) => `${p} ${ms} ms`).join(', ')}`);
  t.diagnostic(`kills during: ${[...hits].map(([op, n]) => `${op || 'start'} ${n}`).join(', ')}`);

  // Each operation, retried, succeeds; and what it made runs.
  for (const r of await runLoop(() => undefined)) assert.equal(r.code, 0, `retried ${r.op}: ${r.stderr}`);
  for (const ref of [pullRef, 'faults/built', 'faults/committed', 'faults/imported']) {
    await daemon.ok(['run', '--rm', ref, 'true']);
  }
  assert.equal(await daemon.ok(['run', '--rm', 'faults/built', 'cat', '/built', '/data/a.txt']), 'built\na\n');
  assert.equal(await daemon.ok(['run', '--rm', 'faults/committed', 'cat', '/made/x']), 'made\n');
});
