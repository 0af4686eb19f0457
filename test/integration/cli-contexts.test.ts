import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH, DOCKER, cleanupDir, run, startDaemon, type RunResult, type TestDaemon } from '../helpers/daemon.js';

// berth's contexts against a real berthd: a context naming the daemon's socket reaches it through
// --context and through `context use`; a config dir written by the real docker CLI serves berth and
// the other way round; an unknown context and -H with --context fail with docker's words.

let daemon: TestDaemon;
let config: string;
let dockerConfig: string;
const marker = 'ctx-test-marker';

// no DOCKER_HOST / BERTH_HOST / *_CONTEXT from the environment the tests run in
const env = { DOCKER_HOST: '', BERTH_HOST: '', DOCKER_CONTEXT: '', BERTH_CONTEXT: '', BERTH_CONFIG: '' };
const berth = (args: string[]): Promise<RunResult> => run(process.execPath, [BERTH, ...args], { env });
const docker = (args: string[]): Promise<RunResult> => run(DOCKER, args, { env: { ...env, DOCKER_CONFIG: dockerConfig } });

before(async () => {
  daemon = await startDaemon();
  config = await mkdtemp(join(tmpdir(), 'berth-ctx-'));
  dockerConfig = await mkdtemp(join(tmpdir(), 'berth-ctx-docker-'));
  // a volume to recognise the daemon by, without images or containers
  assert.equal((await daemon.docker(['volume', 'create', marker])).code, 0);
});
after(async () => {
  await daemon.stop();
  await cleanupDir(config);
  await cleanupDir(dockerConfig);
});

test('a context naming the daemon is reached with --context and after `context use`', async () => {
  const created = await berth(['--config', config, 'context', 'create', 'test-d', '--description', 'test daemon', '--docker', `host=${daemon.host}`]);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout, 'test-d\n');
  assert.equal(created.stderr, 'Successfully created context "test-d"\n');

  const viaFlag = await berth(['--config', config, '--context', 'test-d', 'volume', 'ls', '-q']);
  assert.equal(viaFlag.code, 0, viaFlag.stderr);
  assert.match(viaFlag.stdout, new RegExp(`^${marker}$`, 'm'));
  assert.equal((await berth(['--config', config, '--context', 'test-d', 'ps'])).code, 0);

  const used = await berth(['--config', config, 'context', 'use', 'test-d']);
  assert.equal(used.stderr, 'Current context is now "test-d"\n');
  const viaCurrent = await berth(['--config', config, 'volume', 'ls', '-q']);
  assert.equal(viaCurrent.code, 0, viaCurrent.stderr);
  assert.match(viaCurrent.stdout, new RegExp(`^${marker}$`, 'm'));
  assert.equal((await berth(['--config', config, 'ps'])).code, 0);

  const listed = await berth(['--config', config, 'context', 'ls', '--format', '{{.Name}}|{{.Current}}|{{.DockerEndpoint}}']);
  assert.equal(listed.stdout, `default|false|unix:///var/run/berth.sock\ntest-d|true|${daemon.host}\n`);
  assert.equal((await berth(['--config', config, 'context', 'show'])).stdout, 'test-d\n');
});

test('a context created by the docker CLI serves berth, and one created by berth serves docker', async () => {
  const byDocker = await docker(['context', 'create', 'from-docker', '--docker', `host=${daemon.host}`]);
  assert.equal(byDocker.code, 0, byDocker.stderr);
  const viaBerth = await berth(['--config', dockerConfig, '--context', 'from-docker', 'volume', 'ls', '-q']);
  assert.equal(viaBerth.code, 0, viaBerth.stderr);
  assert.match(viaBerth.stdout, new RegExp(`^${marker}$`, 'm'));

  const byBerth = await berth(['--config', dockerConfig, 'context', 'create', 'from-berth', '--docker', `host=${daemon.host}`]);
  assert.equal(byBerth.code, 0, byBerth.stderr);
  assert.equal((await docker(['context', 'use', 'from-berth'])).code, 0);
  const viaDocker = await docker(['volume', 'ls', '-q']);
  assert.equal(viaDocker.code, 0, viaDocker.stderr);
  assert.match(viaDocker.stdout, new RegExp(`^${marker}$`, 'm'));
  // both list and inspect the one store alike
  const format = ['context', 'ls', '--format', '{{.Name}}|{{.Current}}|{{.Description}}|{{.DockerEndpoint}}'];
  const stored = (out: string): string => out.split('\n').filter((l) => !l.startsWith('default|')).join('\n');
  assert.equal(stored((await berth(['--config', dockerConfig, ...format])).stdout), stored((await docker(format)).stdout));
  assert.equal((await berth(['--config', dockerConfig, 'context', 'inspect', 'from-docker', 'from-berth'])).stdout,
    (await docker(['context', 'inspect', 'from-docker', 'from-berth'])).stdout);
});

test('an unknown context and -H with --context fail with docker\'s words', async () => {
  const unknown = await berth(['--config', config, '--context', 'nope', 'ps']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /^Failed to initialize: unable to resolve docker endpoint: context "nope": context not found: open .*\/contexts\/meta\/[0-9a-f]{64}\/meta\.json: no such file or directory\n$/);
  const both = await berth(['--config', config, '-H', daemon.host, '--context', 'test-d', 'ps']);
  assert.equal(both.code, 1);
  assert.equal(both.stderr, 'conflicting options: cannot specify both --host and --context\n');
  const rmInUse = await berth(['--config', config, 'context', 'rm', 'test-d']);
  assert.equal(rmInUse.stderr, 'context "test-d" is in use, set -f flag to force remove\n');
  assert.equal((await berth(['--config', config, 'context', 'rm', '-f', 'test-d'])).stdout, 'test-d\n');
  assert.equal((await berth(['--config', config, 'context', 'show'])).stdout, 'default\n');
});
