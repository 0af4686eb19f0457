// A user's terminal sessions with the real docker CLI in tmux: run -ti, detach and attach, exec -ti,
// piped stdin, attach following output, the WebSocket attach, and refused bad input.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { startDaemon, DOCKER, type TestDaemon } from '../helpers/daemon.js';
import { importBusybox } from '../helpers/busybox.js';

const execFileAsync = promisify(execFile);
let daemon: TestDaemon;
/** A tmux server of this test's own, so nothing touches the user's sessions. */
const TMUX = ['-L', `berth-interactive-${process.pid}`];

before(async () => {
  daemon = await startDaemon();
  await importBusybox(daemon);
});
after(async () => {
  await execFileAsync('tmux', [...TMUX, 'kill-server']).catch(() => {});
  await daemon.stop();
});

function tmux(...args: string[]): Promise<string> {
  return execFileAsync('tmux', [...TMUX, ...args]).then((r) => r.stdout);
}

/** Starts `command` in a detached tmux session of the given size; the shell prints EXIT=<code> after it. */
async function session(name: string, command: string, width = 100, height = 30): Promise<void> {
  await tmux('new-session', '-d', '-s', name, '-x', String(width), '-y', String(height), `${command}; echo EXIT=$?; sleep 60`);
}

/** Waits until the pane shows `pattern`; returns the pane, or fails showing it after 15 s. */
async function waitPane(name: string, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const pane = await tmux('capture-pane', '-p', '-t', name);
    if (pattern.test(pane)) return pane;
    if (Date.now() > deadline) assert.fail(`pane ${name} never showed ${pattern}:\n${pane.trimEnd()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Types `keys` and looks for `pattern` for a second, again and again; fails showing the pane after 15 s. */
async function eventuallyPane(name: string, keys: string, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    await tmux('send-keys', '-t', name, keys, 'Enter');
    for (const retype = Date.now() + 1000; Date.now() < retype;) {
      const pane = await tmux('capture-pane', '-p', '-t', name);
      if (pattern.test(pane)) return pane;
      if (Date.now() > deadline) assert.fail(`pane ${name} never showed ${pattern}:\n${pane.trimEnd()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function dockerCmd(args: string): string {
  return `${DOCKER} -H ${daemon.host} ${args}`;
}

const api = (method: string, path: string, body?: unknown) => daemon.api(method, path, body);

test('docker run -ti busybox sh: arithmetic, the terminal size from the start, a resize, exit 3', { timeout: 30_000 }, async () => {
  await session('run', dockerCmd('run -ti --name term --network none busybox sh'));
  await waitPane('run', /^\/ #/m);
  await tmux('send-keys', '-t', 'run', 'echo $((6*7))', 'Enter');
  await waitPane('run', /^42$/m);
  await tmux('send-keys', '-t', 'run', 'stty size', 'Enter');
  await waitPane('run', /^30 100$/m);
  await tmux('resize-window', '-t', 'run', '-x', '120', '-y', '40');
  // The CLI sends the new size on SIGWINCH, after tmux returns: ask until the shell sees it.
  await eventuallyPane('run', 'stty size', /^40 120$/m);
  await tmux('send-keys', '-t', 'run', 'exit 3', 'Enter');
  await waitPane('run', /EXIT=3$/m);
  const inspect = await daemon.docker(['inspect', '-f', '{{.State.ExitCode}} {{.State.Running}}', 'term']);
  assert.equal(inspect.stdout.trim(), '3 false');
});

test('ctrl-p ctrl-q detaches and leaves the shell running; docker attach takes the terminal back', { timeout: 30_000 }, async () => {
  await session('det', dockerCmd('run -ti --name detach --network none busybox sh'));
  await waitPane('det', /^\/ #/m);
  await tmux('send-keys', '-t', 'det', 'echo one', 'Enter');
  await waitPane('det', /^one$/m);
  await tmux('send-keys', '-t', 'det', 'C-p', 'C-q');
  await waitPane('det', /EXIT=0$/m);
  const ps = await daemon.docker(['inspect', '-f', '{{.State.Running}}', 'detach']);
  assert.equal(ps.stdout.trim(), 'true');

  await session('att', dockerCmd('attach detach'));
  await tmux('send-keys', '-t', 'att', 'echo two', 'Enter');
  await waitPane('att', /^two$/m);
  await tmux('send-keys', '-t', 'att', 'exit 5', 'Enter');
  await waitPane('att', /EXIT=5$/m);
});

test('docker exec -ti: a terminal of the right size, resized, and the exit code', { timeout: 30_000 }, async () => {
  assert.equal((await daemon.docker(['run', '-d', '--name', 'svc', '--network', 'none', 'busybox', 'sleep', '300'])).code, 0);
  await session('exec', dockerCmd('exec -ti svc sh'), 90, 25);
  await waitPane('exec', /^\/ #/m);
  await tmux('send-keys', '-t', 'exec', 'stty size; tty', 'Enter');
  await waitPane('exec', /^25 90\n\/dev\/pts\/\d+$/m);
  await tmux('resize-window', '-t', 'exec', '-x', '110', '-y', '33');
  await eventuallyPane('exec', 'stty size', /^33 110$/m);
  await tmux('send-keys', '-t', 'exec', 'exit 9', 'Enter');
  await waitPane('exec', /EXIT=9$/m);
});

test('echo x | docker run -i pipes stdin and closes it at EOF; without -i stdin is closed', async () => {
  const piped = await daemon.docker(['run', '-i', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'cat; echo done'], { input: 'x\ny\n' });
  assert.equal(piped.code, 0, piped.stderr);
  assert.equal(piped.stdout, 'x\ny\ndone\n');
  const closed = await daemon.docker(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', 'cat; echo no input'], { input: 'ignored\n' });
  assert.equal(closed.code, 0, closed.stderr);
  assert.equal(closed.stdout, 'no input\n');
});

test('docker attach follows a running container until it exits, and returns its code', async () => {
  const run = await daemon.docker(['run', '-d', '--network', 'none', 'busybox', 'sh', '-c',
    'sleep 1; echo first; echo to-stderr >&2; sleep 1; echo second; exit 2']);
  assert.equal(run.code, 0, run.stderr);
  const attached = await daemon.docker(['attach', run.stdout.trim()]);
  assert.equal(attached.code, 2);
  assert.equal(attached.stdout, 'first\nsecond\n');
  assert.equal(attached.stderr, 'to-stderr\n');
});

test('the WebSocket attach carries keystrokes in and terminal output out', { timeout: 20_000 }, async () => {
  const id = (await daemon.docker(['run', '-dti', '--network', 'none', 'busybox', 'sh'])).stdout.trim();
  const ws = new WebSocket(`ws+unix://${daemon.socket}:/v1.47/containers/${id}/attach/ws?stream=1&stdin=1&stdout=1&stderr=1`);
  let seen = '';
  const saw = (pattern: RegExp) => new Promise<void>((resolve) => {
    const check = () => { if (pattern.test(seen)) { ws.off('message', onMessage); resolve(); } };
    const onMessage = (data: Buffer) => { seen += data.toString(); check(); };
    ws.on('message', onMessage);
    check();
  });
  await new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  ws.send('echo $((20+22))\n');
  await saw(/42\r\n/);
  ws.send('exit 4\n');
  await new Promise((resolve) => ws.once('close', resolve));
  const code = await daemon.docker(['wait', id]);
  assert.equal(code.stdout.trim(), '4');
});

test('bad input: absurd resize sizes, a stopped container, a missing container get Docker\'s errors', async () => {
  const id = (await daemon.docker(['run', '-dti', '--network', 'none', 'busybox', 'sh'])).stdout.trim();
  const negative = await api('POST', `/containers/${id}/resize?h=-1&w=80`);
  assert.equal(negative.status, 400);
  assert.match(negative.body, /strconv.ParseUint: parsing \\"-1\\": invalid syntax/);
  const huge = await api('POST', `/containers/${id}/resize?h=100000&w=80`);
  assert.equal(huge.status, 400);
  assert.match(huge.body, /value out of range/);
  const ok = await api('POST', `/containers/${id}/resize?h=20&w=60`);
  assert.equal(ok.status, 200);
  const size = await daemon.docker(['exec', id, 'stty', '-F', '/proc/1/fd/0', 'size']);
  assert.equal(size.stdout.trim(), '20 60', 'the good resize reached the terminal, the bad ones changed nothing');

  await daemon.docker(['create', '--name', 'idle', 'busybox', 'true']);
  const stopped = await api('POST', '/containers/idle/resize?h=20&w=60');
  assert.equal(stopped.status, 409);
  assert.match(stopped.body, /is not running/);

  const missing = await daemon.docker(['attach', 'nosuch']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /No such container: nosuch/);
  const keys = await api('POST', `/containers/${id}/attach?stream=1&stdout=1&detachKeys=ctrl-%C3%A9`);
  assert.equal(keys.status, 400);
  assert.match(keys.body, /Invalid detach keys/);
});
