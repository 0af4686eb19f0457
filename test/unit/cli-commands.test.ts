import { describe, it, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { Cli } from '../../src/cli/client/cli.js';
import { CliError, DaemonError } from '../../src/cli/base/errors.js';
import { runVolumeCreate, runVolumeList } from '../../src/cli/commands/volumes.js';
import { runNetworkRemove } from '../../src/cli/commands/networks.js';
import { runTag } from '../../src/cli/commands/images.js';
import { runStopOrRestart } from '../../src/cli/commands/container-lifecycle.js';

interface Call { method: string; path: string; options?: Record<string, unknown> }

/** A Cli whose daemon answers with `reply`, recording the requests and what the command printed. */
function fakeCli(reply: (call: Call) => unknown): { cli: Cli; calls: Call[]; out: () => string; err: () => string } {
  const calls: Call[] = [];
  let out = '';
  let err = '';
  const answer = async (method: string, path: string, options?: Record<string, unknown>): Promise<unknown> => {
    const call = { method, path, options };
    calls.push(call);
    return reply(call);
  };
  const cli = {
    client: { json: answer, request: answer },
    out: async (text: string) => { out += text; },
    err: async (text: string) => { err += text; },
  } as unknown as Cli;
  // the real forEach/forEachOrFail: failures collected and printed after all names, then exit 1
  Object.assign(cli, { forEach: Cli.prototype.forEach.bind(cli), forEachOrFail: Cli.prototype.forEachOrFail.bind(cli) });
  return { cli, calls, out: () => out, err: () => err };
}

describe('command run functions (options in, output out)', () => {
  it('volume create sends the flags and prints the name; a name given twice is refused before any request', async () => {
    const f = fakeCli(() => ({ Name: 'data' }));
    await runVolumeCreate(f.cli, 'data', { driver: 'local', label: ['a=b', 'c'], opt: [] });
    assert.deepEqual(f.calls[0]!.options, { body: { Driver: 'local', DriverOpts: {}, Labels: { a: 'b', c: '' }, Name: 'data' } });
    assert.equal(f.out(), 'data\n');
    const g = fakeCli(() => ({}));
    await assert.rejects(runVolumeCreate(g.cli, 'x', { driver: 'local', label: [], opt: [], name: 'y' }), CliError);
    assert.equal(g.calls.length, 0);
  });

  it('volume ls prints docker\'s table in natural order, then the warnings on stderr', async () => {
    const f = fakeCli(() => ({ Volumes: [{ Name: 'v10', Driver: 'local' }, { Name: 'v9', Driver: 'local' }], Warnings: ['careful'] }));
    await runVolumeList(f.cli, { filter: [] });
    assert.equal(f.out(), 'DRIVER    VOLUME NAME\nlocal     v9\nlocal     v10\n');
    assert.equal(f.err(), 'careful\n');
  });

  it('network rm --force passes over a missing network; other failures end in docker\'s "exit status 1"', async () => {
    const f = fakeCli((c) => { if (c.path.endsWith('/gone')) throw new DaemonError(404, 'network gone not found'); });
    await runNetworkRemove(f.cli, ['a', 'gone'], { force: true });
    assert.equal(f.out(), 'a\n');
    const g = fakeCli(() => { throw new DaemonError(404, 'network gone not found'); });
    await assert.rejects(runNetworkRemove(g.cli, ['gone'], {}), { message: 'exit status 1' });
    assert.equal(g.err(), 'Error response from daemon: network gone not found\n');
  });

  it('tag refuses what docker refuses before any request, and sends the full name', async () => {
    const f = fakeCli(() => undefined);
    await assert.rejects(runTag(f.cli, 'src', 'Bad'), {
      message: 'Error parsing reference: "Bad" is not a valid repository/tag: invalid reference format: repository name (library/Bad) must be lowercase',
    });
    await runTag(f.cli, 'src', 'team/app');
    assert.deepEqual(f.calls.map((c) => [c.path, c.options]), [['/images/src/tag', { query: { repo: 'docker.io/team/app', tag: 'latest' } }]]);
  });

  it('stop reads -t as pflag does (exit 125 on a bad value)', async () => {
    const f = fakeCli(() => undefined);
    await assert.rejects(runStopOrRestart(f.cli, 'stop', ['c'], { timeout: 'x' }), (err: unknown) => err instanceof CliError && err.exitCode === 125);
    await runStopOrRestart(f.cli, 'stop', ['c'], { timeout: '3' });
    assert.deepEqual(f.calls[0], { method: 'POST', path: '/containers/c/stop', options: { query: { t: 3, signal: undefined } } });
  });
});

test('every command registers without a clash of flags: berth --help and run --help answer', () => {
  // commander throws at registration when two flag groups declare the same option.
  for (const args of [['--help'], ['run', '--help'], ['create', '--help'], ['update', '--help']]) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url)), ...args], { encoding: 'utf8' });
    assert.equal(r.status, 0, `berth ${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /^Usage:/);
  }
});
