// Debian's dockerd (with its own containerd) in a sandbox for tests: temp data root, exec root and
// socket, a bridge of its own and no iptables rules or forwarding changes, so nothing on the host that
// the sandbox did not make is touched. stop() ends both daemons and removes every file and the bridge.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from './registry.js';

const exec = promisify(execFile);

export interface Dockerd {
  host: string;
  docker(args: string[], input?: Buffer): Promise<{ stdout: string; stderr: string; code: number }>;
  /** containerd's own client, ctr, on this sandbox's containerd. */
  ctr(args: string[]): Promise<{ stdout: string; stderr: string; code: number }>;
  stop(): Promise<void>;
}

function waitExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => { child.kill('SIGKILL'); }, ms);
    child.once('exit', () => { clearTimeout(t); resolve(); });
  });
}

const ipv4 = (a: string) => a.split('.').reduce((n, part) => n * 256 + Number(part), 0);

/** A 10.x.y.0/24 that no route of the host's main table overlaps, as "10.x.y". */
async function freeSubnet(): Promise<string> {
  const { stdout } = await exec('ip', ['-4', '-o', 'route', 'show']);
  const routes = stdout.split('\n').map((l) => l.split(' ')[0]).filter((d) => /^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(d))
    .map((d) => { const [addr, len] = d.split('/'); return { net: ipv4(addr), len: Number(len ?? 32) }; });
  for (let i = 0; i < 100; i++) {
    const prefix = `10.${randomInt(200, 250)}.${randomInt(0, 256)}`;
    const net = ipv4(`${prefix}.0`);
    const overlaps = routes.some((r) => {
      const bits = Math.min(r.len, 24);
      const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
      return ((net & mask) >>> 0) === ((r.net & mask) >>> 0);
    });
    if (!overlaps) return prefix;
  }
  throw new Error('no free 10.x.y.0/24 for the test dockerd\'s bridge');
}

/**
 * The bridge dockerd's default network uses. Why not `--bridge=none`: with it, dockerd deletes the
 * host's docker0 at start, which breaks any other dockerd on the host.
 */
async function createBridge(): Promise<{ name: string; remove(): Promise<void> }> {
  const name = `berth-dkr${randomBytes(3).toString('hex')}`;
  const remove = () => exec('ip', ['link', 'del', name]).then(() => {}, () => {});
  await exec('ip', ['link', 'add', name, 'type', 'bridge']);
  try {
    await exec('ip', ['addr', 'add', `${await freeSubnet()}.1/24`, 'dev', name]);
    await exec('ip', ['link', 'set', name, 'up']);
  } catch (err) {
    await remove();
    throw err;
  }
  return { name, remove };
}

export async function startDockerd(): Promise<Dockerd> {
  const bridge = await createBridge();
  const dir = tempDir('berth-dkd-');
  const csock = join(dir, 'containerd.sock');
  const dsock = join(dir, 'docker.sock');
  const containerd = spawn('containerd', ['--root', join(dir, 'containerd'), '--state', join(dir, 'cstate'), '--address', csock],
    { stdio: 'ignore' });
  for (let i = 0; i < 100 && !existsSync(csock); i++) await new Promise((r) => setTimeout(r, 100));
  const dockerd = spawn('dockerd', [
    '--containerd', csock, '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '-H', `unix://${dsock}`,
    '--pidfile', join(dir, 'dockerd.pid'), `--bridge=${bridge.name}`, '--iptables=false', '--ip-masq=false', '--ip-forward=false',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  dockerd.stderr!.on('data', (d) => { log += d; });
  const host = `unix://${dsock}`;
  const docker: Dockerd['docker'] = (args, input) => new Promise((resolve) => {
    const child = spawn('docker', args, { env: { ...process.env, DOCKER_HOST: host, DOCKER_CONFIG: join(dir, 'cli') } });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ stdout, stderr, code: code ?? -1 }));
    child.stdin.end(input);
  });
  const ctr: Dockerd['ctr'] = (args) => new Promise((resolve) => {
    const child = spawn('ctr', ['--address', csock, ...args]);
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ stdout, stderr, code: code ?? -1 }));
  });
  const stop = async () => {
    dockerd.kill('SIGTERM');
    await waitExit(dockerd, 15_000);
    containerd.kill('SIGTERM');
    await waitExit(containerd, 10_000);
    // Mounts the daemons may have left (overlay, shm) before the files go.
    try {
      const { stdout } = await exec('awk', ['{print $2}', '/proc/self/mounts']);
      for (const m of stdout.split('\n').filter((m) => m.startsWith(dir)).reverse()) await exec('umount', ['-l', m]).catch(() => {});
    } catch { /* no mounts */ }
    rmSync(dir, { recursive: true, force: true });
    await bridge.remove();
  };
  for (let i = 0; ; i++) {
    const r = await docker(['version', '--format', '{{.Server.Version}}']);
    if (r.code === 0) break;
    if (i > 150 || dockerd.exitCode !== null) { await stop(); throw new Error(`dockerd did not start: ${log.slice(-2000)}`); }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { host, docker, ctr, stop };
}

/** Imports a busybox image (Debian's busybox-static) as `name`. */
export async function importBusybox(d: Dockerd, name: string): Promise<void> {
  const { tarOf } = await import('./oci-layout.js');
  const { readFileSync } = await import('node:fs');
  const busybox = readFileSync('/bin/busybox');
  const tar = await tarOf({ 'bin/busybox': busybox, 'etc/passwd': Buffer.from('root:x:0:0:root:/root:/bin/sh\n') });
  const r = await d.docker(['import', '-c', 'CMD ["/bin/busybox", "sh"]', '-', name], tar);
  if (r.code !== 0) throw new Error(`docker import: ${r.stderr}`);
}
