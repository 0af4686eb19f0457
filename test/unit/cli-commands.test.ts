import { ClientLog } from '../../src/cli/base/client-log.js';
import { describe, it, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { Cli } from '../../src/cli/client/cli.js';
import { CliError, DaemonError } from '../../src/cli/base/errors.js';
import { runVolumeCreate, runVolumeList } from '../../src/cli/commands/volumes.js';
import { runNetworkRemove } from '../../src/cli/commands/networks.js';
import { runTag } from '../../src/cli/commands/images.js';
import { runStopOrRestart } from '../../src/cli/commands/container-lifecycle.js';
import { runPush, runSearch } from '../../src/cli/commands/registry.js';
import { runStart } from '../../src/cli/commands/run.js';
import { runInspect, runInspectAny } from '../../src/cli/commands/inspect.js';
import { runImagePrune } from '../../src/cli/commands/image-archive.js';
import { runStats } from '../../src/cli/commands/stats.js';
import { runInfo, runVersion } from '../../src/cli/commands/system.js';
import { runCp } from '../../src/cli/commands/cp.js';

interface Call { method: string; path: string; options?: Record<string, unknown> }

/** An empty --config directory, so that no test reads the credentials of the user running it. */
const configDir = mkdtempSync(join(tmpdir(), 'berth-cli-commands-'));
process.on('exit', () => rmSync(configDir, { recursive: true, force: true }));

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
    client: { json: answer, request: answer, apiVersion: async () => '1.47' },
    configFlag: () => configDir,
    log: new ClientLog(),
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
  it('search refuses a --limit pflag would refuse before any request, and prints docker\'s table', async () => {
    const f = fakeCli(() => [{ name: 'team/app', description: 'an app\nin two lines', star_count: 3, is_official: true }]);
    await assert.rejects(runSearch(f.cli, 'app', { filter: [], limit: '5x', trunc: true }), {
      message: 'invalid argument "5x" for "--limit" flag: strconv.ParseInt: parsing "5x": invalid syntax',
    });
    assert.equal(f.calls.length, 0);
    await runSearch(f.cli, 'app', { filter: ['stars=2'], limit: '5', trunc: true });
    assert.deepEqual((f.calls[0]!.options as { query: unknown }).query, { term: 'app', limit: '5', filters: '{"stars":{"2":true}}' });
    assert.equal(f.out(), 'NAME       DESCRIPTION           STARS     OFFICIAL\nteam/app   an app in two lines   3         [OK]\n');
  });

  it('push refuses a tag with --all-tags and a digest, before any request', async () => {
    const f = fakeCli(() => undefined);
    await assert.rejects(runPush(f.cli, 'app:1', { allTags: true }), { message: 'tag can\'t be used with --all-tags/-a' });
    await assert.rejects(runPush(f.cli, `app@sha256:${'a'.repeat(64)}`, { quiet: true }), { message: 'cannot push a digest reference' });
    assert.equal(f.calls.length, 0);
  });

  it('start names the containers that failed after starting the others; it attaches to one container only', async () => {
    const f = fakeCli((c) => { if (c.path.includes('/b/')) throw new DaemonError(404, 'No such container: b'); });
    await assert.rejects(runStart(f.cli, ['a', 'b'], {}), { message: 'Error: failed to start containers: b' });
    assert.equal(f.out(), 'a\n');
    assert.equal(f.err(), 'Error response from daemon: No such container: b\n');
    await assert.rejects(runStart(f.cli, ['a', 'b'], { attach: true }), { message: 'you cannot start and attach multiple containers at once' });
  });

  it('inspect looks for each kind of object in turn; what is found nowhere is reported after the others, exit 1', async () => {
    const f = fakeCli((c) => {
      if (c.path === '/images/app/json') return { Id: 'sha256:1' };
      throw new DaemonError(404, 'not found');
    });
    await assert.rejects(runInspect(f.cli, ['app', 'gone'], { format: '{{.Id}}' }), { message: 'exit status 1' });
    assert.equal(f.out(), 'sha256:1\n');
    assert.equal(f.err(), 'Error: No such object: gone\n');
    assert.deepEqual(f.calls.slice(0, 2).map((c) => c.path), ['/containers/app/json', '/images/app/json']);
    await assert.rejects(runInspectAny(f.cli, ['app'], { type: 'plugin' }), { message: '"plugin" is not a valid value for --type' });
  });

  it('image prune --force sends the dangling filter and prints docker\'s report', async () => {
    const f = fakeCli(() => ({ ImagesDeleted: [{ Untagged: 'app:1' }, { Deleted: 'sha256:1' }], SpaceReclaimed: 2048 }));
    await runImagePrune(f.cli, { all: true, filter: ['until=1h'], force: true });
    assert.deepEqual(f.calls[0]!.options, { query: { filters: '{"until":{"1h":true},"dangling":{"false":true}}' } });
    assert.equal(f.out(), 'Deleted Images:\nuntagged: app:1\ndeleted: sha256:1\n\nTotal reclaimed space: 2.05kB\n');
  });

  it('stats --no-stream takes the running containers when none are named, one sample each', async () => {
    const f = fakeCli((c) => (c.path === '/containers/json' ? [{ Id: 'a'.repeat(64) }] : { pids_stats: { current: 4 } }));
    await runStats(f.cli, [], { format: '{{.Container}} {{.PIDs}}', stream: false, trunc: true });
    assert.deepEqual(f.calls.map((c) => c.path), ['/containers/json', `/containers/${'a'.repeat(12)}/stats`]);
    assert.equal(f.out(), `${'a'.repeat(12)} 4\n`);
  });

  it('version prints the client part even when the daemon cannot answer; info says what it could not print', async () => {
    const f = fakeCli(() => { throw new CliError('Cannot connect to the Berth daemon'); });
    await assert.rejects(runVersion(f.cli, { format: '{{.Client.Version}} {{.Client.ApiVersion}}' }), { message: 'Cannot connect to the Berth daemon' });
    assert.equal(f.out(), '0.1.0 1.47\n');
    const g = fakeCli(() => { throw new CliError('Cannot connect to the Berth daemon'); });
    await assert.rejects(runInfo(g.cli, {}), { message: 'ERROR: Cannot connect to the Berth daemon\nerrors pretty printing info' });
    assert.match(g.out(), /^Client:\n Version: {4}0\.1\.0\n.*\nServer:\n$/s);
  });

  it('cp needs exactly one container side, checked before any request', async () => {
    const f = fakeCli(() => undefined);
    await assert.rejects(runCp(f.cli, 'a:/x', 'b:/y', {}), { message: 'copying between containers is not supported' });
    await assert.rejects(runCp(f.cli, './x', '/y', {}), { message: 'must specify at least one container source' });
    assert.equal(f.calls.length, 0);
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
