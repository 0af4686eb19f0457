/**
 * berth against the real docker CLI: the same commands on the same daemon must print the same
 * output (IDs and times aside) and exit with the same codes. The daemon is a fresh berthd from
 * startDaemon(); BERTH_COMPAT_HOST=unix:///path points the suite at another daemon instead (e.g. a
 * reference dockerd), where it only touches objects it names itself.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH, DOCKER, run, startDaemon, type RunResult, type TestDaemon } from '../helpers/daemon.js';
import { makeBusyboxTar } from '../helpers/busybox.js';
import { normalize } from './cli-harness.js';

const P = `bc${process.pid}`; // every object this suite makes carries this prefix
const IMAGE = `${P}-bb:latest`;

let daemon: TestDaemon | undefined;
let host = '';
const docker = (args: string[], input?: string): Promise<RunResult> => run(DOCKER, ['-H', host, ...args], { input });
const berth = (args: string[], input?: string): Promise<RunResult> => run(process.execPath, ['--', BERTH, '-H', host, ...args], { input });

async function same(args: string[], input?: string): Promise<RunResult> {
  const [d, b] = [await docker(args, input), await berth(args, input)];
  assert.equal(normalize(b.stdout), normalize(d.stdout), `stdout of ${args.join(' ')}`);
  assert.equal(normalize(b.stderr), normalize(d.stderr), `stderr of ${args.join(' ')}`);
  assert.equal(b.code, d.code, `exit code of ${args.join(' ')}`);
  return b;
}

/** The same command, each CLI on its own container ({c} is `${P}-d` for docker, `${P}-b` for berth). */
async function sameEach(args: string[], input?: string): Promise<RunResult> {
  const forCli = (suffix: string): string[] => args.map((a) => a.replaceAll('{c}', `${P}-${suffix}`));
  const [d, b] = [await docker(forCli('d'), input), await berth(forCli('b'), input)];
  const un = (t: string, suffix: string): string => normalize(t.replaceAll(`${P}-${suffix}`, '{c}'));
  assert.equal(un(b.stdout, 'b'), un(d.stdout, 'd'), `stdout of ${args.join(' ')}`);
  assert.equal(un(b.stderr, 'b'), un(d.stderr, 'd'), `stderr of ${args.join(' ')}`);
  assert.equal(b.code, d.code, `exit code of ${args.join(' ')}`);
  return b;
}

async function removeOurs(): Promise<void> {
  const ids = (await docker(['ps', '-aq', '--filter', `name=${P}`])).stdout.split('\n').filter(Boolean);
  if (ids.length) await docker(['rm', '-f', ...ids]);
  const images = (await docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout.split('\n').filter((i) => i.startsWith(P));
  if (images.length) await docker(['rmi', '-f', ...images]);
}

describe('berth and docker print the same', { timeout: 110_000 }, () => {
  before(async () => {
    if (process.env.BERTH_COMPAT_HOST) host = process.env.BERTH_COMPAT_HOST;
    else {
      daemon = await startDaemon();
      host = daemon.host;
    }
    const { tar, cleanup } = await makeBusyboxTar();
    try {
      // berth's import is under test here too: docker reads what it made below
      const imported = await berth(['import', '-c', 'CMD ["sh"]', '-c', 'ENV GREETING=hi', tar, IMAGE]);
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(imported.stdout, /^sha256:[0-9a-f]{64}\n$/);
    } finally {
      await cleanup();
    }
  });

  after(async () => {
    if (host) await removeOurs().catch(() => {});
    await daemon?.stop();
  });

  it('imports with -c changes that docker sees', async () => {
    const r = await docker(['inspect', '-f', '{{.Config.Env}} {{json .Config.Cmd}}', IMAGE]);
    assert.equal(r.stdout, '[GREETING=hi] ["sh"]\n');
  });

  it('runs attached: output on the right streams, the container\'s exit code', async () => {
    const r = await same(['run', '--rm', IMAGE, 'sh', '-c', 'echo out; echo err >&2; exit 3']);
    assert.equal(r.stdout, 'out\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(r.code, 3);
    await same(['run', '--rm', '-e', 'A=1', '-w', '/tmp', '-u', '0', '--hostname', 'hh', '--entrypoint', 'sh', IMAGE, '-c', 'echo $A $GREETING $(pwd) $(id -u) $(hostname)']);
  });

  it('streams stdin with -i and closes it at end of input', async () => {
    const r = await same(['run', '--rm', '-i', IMAGE, 'sh', '-c', 'cat; echo done'], 'line one\nline two\n');
    assert.equal(r.stdout, 'line one\nline two\ndone\n');
  });

  it('maps run failures to docker\'s exit codes', async () => {
    const r = await same(['run', '--rm', IMAGE, 'no-such-command']);
    assert.equal(r.code, 127);
    // a daemon whose wait reports the failure too gets docker's logged line first
    assert.match(r.stderr, /^(time="[^"]+" level=error msg=.*\n)?berth: Error response from daemon: .*no-such-command.*\n\nRun 'berth run --help' for more information\n$/s);
  });

  it('lists, inspects, logs and stops containers the same way', async () => {
    for (const cli of [docker, berth]) {
      const name = `${P}-${cli === docker ? 'd' : 'b'}`;
      const r = await cli(['run', '-d', '--name', name, '-l', 'role=test', IMAGE, 'sh', '-c', 'echo one; echo two >&2; sleep 30']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^[0-9a-f]{64}\n$/);
    }
    await new Promise((r) => setTimeout(r, 600));
    await same(['ps', '--filter', `name=${P}-`]);
    await same(['ps', '-a', '--no-trunc', '--filter', `name=${P}-`]);
    await same(['ps', '--filter', `name=${P}-`, '--format', 'table {{.Names}}\t{{.Label "role"}}\t{{.State}}']);
    await same(['ps', '--filter', `name=${P}-`, '--format', '{{json .}}']);
    await same(['ps', '-q', '--filter', `name=${P}-d`]);
    await same(['inspect', '-f', '{{.State.Status}} {{.Config.Labels}} {{index .Config.Labels "role"}} {{json .Config.Cmd}} {{.Config.Entrypoint}}', `${P}-d`, `${P}-b`]);
    await same(['inspect', '-f', '{{range .Config.Env}}{{println .}}{{end}}', `${P}-d`]);
    await same(['inspect', '-f', '{{.NoSuchField}}', `${P}-d`]);
    await same(['inspect', `${P}-nothing`]);
    const logs = await same(['logs', `${P}-d`]);
    assert.equal(logs.stdout, 'one\n');
    assert.equal(logs.stderr, 'two\n');
    await same(['logs', '--tail', '1', '-t', `${P}-d`]);
    await sameEach(['stop', '-t', '1', '{c}', `${P}-nothing`]);
    const waited = await sameEach(['wait', '{c}']);
    assert.match(waited.stdout, /^\d+\n$/);
    await sameEach(['kill', '{c}']);
    await sameEach(['ps', '-a', '--filter', 'name={c}', '--format', '{{.Status}}']);
    await sameEach(['start', '{c}']);
    await sameEach(['kill', '-s', 'KILL', '{c}']);
    await sameEach(['rename', '{c}', '{c}-renamed']);
    await sameEach(['rename', `${P}-nothing`, `${P}-x`]);
    await sameEach(['rm', '{c}-renamed', `${P}-nothing`]);
    await sameEach(['start', `${P}-nothing`]);
    await sameEach(['run', '-d', '--name', '{c}', IMAGE, 'sleep', '30']);
    await sameEach(['rm', '-f', '{c}']);
  });

  it('shows, tags and removes images the same way', async () => {
    await same(['images', IMAGE.split(':')[0]!]);
    await same(['history', IMAGE]);
    await same(['tag', IMAGE, `${P}-other:v1`]);
    await same(['images', '--format', '{{.Repository}} {{.Tag}} {{.Size}}', `${P}-other`]);
    const r = await berth(['rmi', `${P}-other:v1`]);
    assert.equal(r.stdout, `Untagged: ${P}-other:v1\n`);
    await same(['rmi', `${P}-other:v1`]);
  });

  it('reports an unreachable daemon', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-nodaemon-'));
    try {
      await writeFile(join(dir, 'placeholder'), '');
      const sock = `unix://${join(dir, 'none.sock')}`;
      const r = await run(process.execPath, [BERTH, 'ps'], { env: { BERTH_HOST: sock, DOCKER_HOST: host } });
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `Cannot connect to the Berth daemon at ${sock}. Is the berthd daemon running?\n`);
      const runFailure = await run(process.execPath, [BERTH, '-H', sock, 'run', IMAGE]);
      assert.equal(runFailure.code, 125);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
