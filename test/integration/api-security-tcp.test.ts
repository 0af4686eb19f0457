import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, run, cleanupDir, ROOT, BERTHD, DOCKER, type TestDaemon } from '../helpers/daemon.js';
import { freePort } from '../helpers/ports.js';

// The API on TCP without --tlsverify: refused at start with the fix in the message, unless
// --tls=false asks for it (then a loud warning); and the audit log survives a rotation under load.

const buildAddon = async () => {
  const r = await run('bash', [join(ROOT, 'scripts', 'build-native.sh')]);
  assert.equal(r.code, 0, r.stderr);
};

const dirs: string[] = [];
const daemons: TestDaemon[] = [];
after(async () => {
  for (const d of daemons) await d.stop();
  for (const dir of dirs) await cleanupDir(dir);
});

/** Runs berthd to its exit (it is expected to refuse to start); resolves with its code and output. */
async function berthdExit(args: string[]): Promise<{ code: number | null; output: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-sec-tcp-'));
  dirs.push(dir);
  await writeFile(join(dir, 'daemon.json'), '{}');
  const proc = spawn(process.execPath, [BERTHD, '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'),
    '--pidfile', join(dir, 'pid'), '--config-file', join(dir, 'daemon.json'), '-H', `unix://${join(dir, 's.sock')}`, ...args]);
  let output = '';
  proc.stdout.on('data', (d) => (output += d));
  proc.stderr.on('data', (d) => (output += d));
  const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
  const code = await new Promise<number | null>((resolve) => proc.on('exit', resolve));
  clearTimeout(timer);
  return { code, output };
}

describe('plain TCP', () => {
  it('refuses to start on tcp://0.0.0.0 without --tlsverify, saying how to fix it', async () => {
    const port = await freePort();
    const r = await berthdExit(['-H', `tcp://0.0.0.0:${port}`]);
    assert.equal(r.code, 1, r.output);
    assert.match(r.output, new RegExp(`refusing to serve the API on tcp://0\\.0\\.0\\.0:${port} without --tlsverify`));
    assert.match(r.output, /run `berth tls init`/);
    assert.match(r.output, /start berthd with --tlsverify/);
    assert.match(r.output, /accept the risk by name with --tls=false/);
    assert.match(r.output, /any web page open in a browser here can send requests to it/);
  });

  it('refuses loopback too, and --tls without --tlsverify', async () => {
    const port = await freePort();
    const loopback = await berthdExit(['-H', `tcp://127.0.0.1:${port}`]);
    assert.equal(loopback.code, 1);
    assert.match(loopback.output, /without --tlsverify/);
    const tlsOnly = await berthdExit(['-H', `tcp://127.0.0.1:${port}`, '--tls']);
    assert.equal(tlsOnly.code, 1);
    assert.match(tlsOnly.output, /--tls without --tlsverify encrypts the traffic but lets any client in/);
  });

  it('starts with --tls=false, warns loudly and serves the docker CLI', async () => {
    const port = await freePort();
    const daemon = await startDaemon({ args: ['-H', `tcp://0.0.0.0:${port}`, '--tls=false'] });
    daemons.push(daemon);
    assert.match(daemon.output, /level=warn msg="\[tcp:\/\/0\.0\.0\.0:\d+\] API listening WITHOUT client authentication \(--tls=false\): anyone who can reach this address has root access on this machine/);
    assert.match(daemon.output, /even on localhost, also gives access to scripts run in any web page/);
    const r = await run(DOCKER, ['-H', `tcp://127.0.0.1:${port}`, 'version', '--format', '{{.Server.Os}}']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'linux');
  });
});

/** One GET /_ping on the daemon's socket. */
function ping(socket: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: socket, path: '/_ping', agent: false, headers: { 'User-Agent': 'rotation-load' } }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('audit log rotation', () => {
  it('keeps every request\'s line across rotations (rename + SIGHUP) under load', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-sec-audit-'));
    await buildAddon(); // the unix peer's uid/gid (npm run build does it; a bare tsc does not)
    dirs.push(dir);
    const log = join(dir, 'audit.log');
    const daemon = await startDaemon({ args: ['--audit-log', log] });
    daemons.push(daemon);
    const REQUESTS = 600;
    const ROTATIONS = 5;
    let sent = 0;
    const load = (async () => {
      const workers = Array.from({ length: 8 }, async () => {
        while (sent < REQUESTS) {
          sent++;
          await ping(daemon.socket);
        }
      });
      await Promise.all(workers);
    })();
    const rotated: string[] = [];
    for (let i = 1; i <= ROTATIONS; i++) {
      while (sent < (REQUESTS * i) / (ROTATIONS + 1)) await new Promise((r) => setTimeout(r, 2));
      const to = `${log}.${i}`;
      await rename(log, to);
      rotated.push(to);
      daemon.proc!.kill('SIGHUP');
      // the daemon writes to the renamed file until it reopens: the new file appears then
      for (let t = 0; t < 500; t++) {
        if (await stat(log).then(() => true, () => false)) break;
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    await load;
    const lines: any[] = [];
    for (const file of [...rotated, log]) {
      lines.push(...(await readFile(file, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l)));
    }
    const pings = lines.filter((l) => l.userAgent === 'rotation-load');
    assert.equal(pings.length, REQUESTS, `lines in all files: ${lines.length}`);
    assert.ok(pings.every((l) => l.decision === 'allowed' && l.role === 'admin' && l.who.uid === 0 && l.who.pid === process.pid));
    for (const file of rotated) assert.ok((await readFile(file, 'utf8')).length > 0, `${file} got lines`);
  });
});
