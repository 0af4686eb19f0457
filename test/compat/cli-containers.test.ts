/**
 * berth against the docker CLI for what happens inside running containers: exec, attach and detach
 * keys, cp both ways, top, diff, pause/unpause, stats, commit, export, container prune.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH, DOCKER, run } from '../helpers/daemon.js';
import { Compat } from './cli-harness.js';

const c = new Compat(`bx${process.pid}`);
const P = c.prefix;
let IMAGE = '';
let dir = '';

/** Both CLIs' containers, running `sleep`, without a network (the suite needs none). */
async function runEach(name: string, args: string[], extra: string[] = []): Promise<void> {
  for (const s of ['d', 'b']) {
    const r = await c.docker(['run', '-d', '--network', 'none', '--name', `${P}-${s}${name}`, ...extra, IMAGE, ...args]);
    assert.equal(r.code, 0, r.stderr);
  }
}

/** Runs a CLI on a pseudo-terminal (script(1)), typing `keys` after a second. */
function onTerminal(cli: 'docker' | 'berth', args: string[], keys: string): Promise<{ code: number; stdout: string }> {
  const argv = cli === 'docker' ? [DOCKER, '-H', c.host, ...args] : [process.execPath, '--', BERTH, '-H', c.host, ...args];
  const quoted = argv.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const octal = [...Buffer.from(keys)].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('');
  const script = `(sleep 1.5; printf '${octal}'; sleep 1.5) | script -qec "${quoted.replaceAll('"', '\\"')} 2>&1" /dev/null`;
  return run('/bin/sh', ['-c', script]);
}

describe('berth exec, attach, cp and friends print what docker prints', { timeout: 110_000 }, () => {
  before(async () => {
    await c.start();
    IMAGE = await c.importBusybox();
    dir = await mkdtemp(join(tmpdir(), 'berth-cp-'));
    await runEach('', ['sleep', '300']);
  });

  after(async () => {
    await c.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('execs with env, workdir, user, stdin, exit codes and docker\'s errors', async () => {
    const r = await c.sameEach(['exec', '-e', 'A=1', '-w', '/tmp', '-u', '0', '{c}', 'sh', '-c', 'echo $A; pwd; echo err >&2; exit 4']);
    assert.equal(r.stdout, '1\n/tmp\n');
    assert.equal(r.stderr, 'err\n');
    assert.equal(r.code, 4);
    const piped = await c.sameEach(['exec', '-i', '{c}', 'sh', '-c', 'cat; echo done'], { input: 'one\ntwo\n' });
    assert.equal(piped.stdout, 'one\ntwo\ndone\n');
    const envFile = join(dir, 'env');
    await writeFile(envFile, '# comment\nFROM_FILE=yes\n');
    await c.sameEach(['exec', '--env-file', envFile, '{c}', 'sh', '-c', 'echo $FROM_FILE']);
    await c.sameEach(['exec', '--env-file', join(dir, 'missing'), '{c}', 'true']);
    await c.sameEach(['exec', '-d', '{c}', 'sh', '-c', 'echo detached > /tmp/d']);
    await c.same(['exec', `${P}-nothing`, 'true']);
    await c.sameEach(['exec', '-it', '{c}', 'true']);
    await c.sameEach(['exec', '{c}']);
    const tty = await c.sameEach(['exec', '-t', '{c}', 'echo', 'hi']);
    assert.equal(tty.stdout, 'hi\r\n');
  });

  it('attaches to a running container and ends with its exit code', async () => {
    await runEach('-a', ['sh', '-c', 'sleep 2; echo out; echo err >&2; exit 5']);
    const r = await c.sameEach(['attach', '--no-stdin', '{c}-a'], { parallel: true });
    assert.equal(r.code, 5);
    assert.equal(r.stdout, 'out\n');
    await c.sameEach(['attach', '{c}-a']);
    await c.same(['attach', `${P}-nothing`]);
  });

  it('detaches on ctrl-p ctrl-q and leaves the container running', async () => {
    await runEach('-t', ['sh'], ['-it']);
    for (const cli of ['docker', 'berth'] as const) {
      const name = `${P}-${cli === 'docker' ? 'd' : 'b'}-t`;
      const r = await onTerminal(cli, ['attach', name], '\x10\x11');
      assert.equal(r.code, 1, r.stdout);
      assert.match(r.stdout, /read escape sequence\r?\n$/);
      const custom = await onTerminal(cli, ['exec', '-it', '--detach-keys', 'ctrl-x,y', name, 'sh'], '\x18y');
      assert.equal(custom.code, 1, custom.stdout);
      assert.match(custom.stdout, /read escape sequence\r?\n$/);
      const state = await c.docker(['inspect', '-f', '{{.State.Status}}', name]);
      assert.equal(state.stdout, 'running\n');
    }
  });

  it('copies files both ways with docker\'s rules for directories and "/."', async () => {
    const src = join(dir, 'src');
    await mkdir(join(src, 'sub'), { recursive: true });
    await writeFile(join(src, 'a'), 'a\n');
    await writeFile(join(src, 'sub', 'x'), 'x\n');
    await c.sameEach(['exec', '{c}', 'sh', '-c', 'mkdir -p /t /d/sub && echo e > /t/existing && echo a > /d/a && echo x > /d/sub/x']);
    for (const [from, to] of [[src, '{c}:/t/'], [src, '{c}:/t/new'], [`${src}/.`, '{c}:/t/dot'], [join(src, 'a'), '{c}:/t/existing'],
      [join(src, 'a'), '{c}:/t/nodir/'], [src, '{c}:/t/existing'], [join(dir, 'missing'), '{c}:/t/'], [join(src, 'a'), `${P}-nothing:/t`]]) {
      await c.sameEach(['cp', from!, to!]);
    }
    const tree = await c.sameEach(['exec', '{c}', 'sh', '-c', 'cd /t && find . | sort && cat existing']);
    assert.match(tree.stdout, /\.\/dot\/sub\/x\n/);
    for (const s of ['d', 'b']) await mkdir(join(dir, s, 'exists'), { recursive: true });
    const local = (s: string, p: string): string => join(dir, s, p);
    for (const [from, to] of [['/d', 'out1'], ['/d/.', 'out2'], ['/d/a', 'out3'], ['/d', 'exists'], ['/d/.', 'exists'], ['/d/a', 'nope/'], ['/d', 'out3'], ['/nothing', 'x']]) {
      const d = await c.docker(['cp', `${P}-d:${from}`, local('d', to!)]);
      const b = await c.berth(['cp', `${P}-b:${from}`, local('b', to!)]);
      assert.equal(b.stderr.replaceAll(`${P}-b`, 'C').replaceAll(join(dir, 'b'), 'D'), d.stderr.replaceAll(`${P}-d`, 'C').replaceAll(join(dir, 'd'), 'D'));
      assert.equal(b.code, d.code, `cp ${from} ${to}`);
    }
    const listing = async (s: string): Promise<string> => (await run('/bin/sh', ['-c', `cd ${join(dir, s)} && find . | sort && cat out3`])).stdout;
    assert.equal(await listing('b'), await listing('d'));
    const tarD = await run('/bin/sh', ['-c', `${DOCKER} -H ${c.host} cp ${P}-d:/d/. - | tar t | sort`]);
    const tarB = await run('/bin/sh', ['-c', `${process.execPath} -- ${BERTH} -H ${c.host} cp ${P}-b:/d/. - | tar t | sort`]);
    assert.equal(tarB.stdout, tarD.stdout);
    await c.sameEach(['cp', `${join(src, 'a')}`, '{c}:']);
    await c.sameEach(['cp', `${join(src, 'a')}`, '']);
  });

  it('shows processes, changes, stats and pause state the same way', async () => {
    await c.sameEach(['top', '{c}', '-o', 'comm']);
    await c.same(['top', `${P}-nothing`]);
    await c.sameEach(['exec', '{c}', 'sh', '-c', 'rm -f /etc/group; mkdir -p /newdir']);
    await c.sameEach(['diff', '{c}'], { unordered: true });
    await c.sameEach(['stats', '--no-stream', '--format', '{{.Container}} {{.Name}} {{.PIDs}}', '{c}']);
    await c.same(['stats', '--no-stream', `${P}-nothing`]);
    await c.sameEach(['pause', '{c}', `${P}-nothing`]);
    await c.sameEach(['pause', '{c}']);
    await c.sameEach(['ps', '--filter', 'name={c}$', '--format', '{{.Status}}']);
    await c.sameEach(['unpause', '{c}']);
    await c.sameEach(['unpause', '{c}']);
  });

  it('commits and exports the same way', async () => {
    await c.sameEach(['commit', '-c', 'ENV X=1', '-c', 'CMD ["sh"]', '-m', 'msg', '-a', 'me', '{c}', '{c}-commit:v1']);
    await c.sameEach(['inspect', '-f', '{{.Config.Env}} {{json .Config.Cmd}} {{.Comment}} {{.Author}}', '{c}-commit:v1']);
    const list = async (cli: string, s: string): Promise<string> =>
      (await run('/bin/sh', ['-c', `${cli} -H ${c.host} export ${P}-${s} | tar t | sort`])).stdout;
    const exported = await list(`${process.execPath} -- ${BERTH}`, 'b');
    assert.match(exported, /bin\/busybox/);
    assert.equal(exported, await list(DOCKER, 'd'));
    await c.sameEach(['export', '-o', join(dir, '{c}.tar'), '{c}']);
    assert.deepEqual((await readFile(join(dir, `${P}-b.tar`))).length > 0, true);
  });

  it('prunes stopped containers matching a filter', async () => {
    for (const s of ['d', 'b']) await c.docker(['create', '--network', 'none', '--name', `${P}-${s}-stopped`, '-l', `prune=${P}-${s}`, IMAGE]);
    const r = await c.sameEach(['container', 'prune', '-f', '--filter', 'label=prune={c}']);
    assert.match(r.stdout, /^Deleted Containers:\n[0-9a-f]{64}\n\nTotal reclaimed space: /);
    await c.same(['container', 'prune', '-f', '--filter', `label=prune=${P}-none`]);
  });
});
