/**
 * A dockerd (Debian's docker.io: dockerd + containerd) of a benchmark's own, for work too large to put
 * on the shared reference daemon (1,000 containers). Its default bridge is one of its own (`-b`, made
 * here, removed by `stop`) and it adds no iptables rules, so it never meets the reference daemon's
 * docker0 (`-b none` would not do: dockerd deletes an existing docker0 when its bridge is disabled);
 * `--live-restore`, so that a restart keeps the containers (as berthd always does) and its start-up
 * can be timed against berthd's.
 */
const BRIDGE = 'bbench0';
const BRIDGE_ADDRESS = '10.254.213.1/24';

import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class PrivateDockerd {
  readonly host: string;
  containerd?: ChildProcess;
  dockerd?: ChildProcess;

  private constructor(readonly dir: string) {
    this.host = `unix://${join(dir, 'docker.sock')}`;
  }

  /** Starts containerd and dockerd in a temp dir (no images: `importBusybox` adds one). */
  static async start(): Promise<PrivateDockerd> {
    const d = new PrivateDockerd(await mkdtemp(join(tmpdir(), 'berth-bench-dockerd-')));
    execFileSync('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
    execFileSync('ip', ['addr', 'add', BRIDGE_ADDRESS, 'dev', BRIDGE]);
    const containerdSock = join(d.dir, 'containerd.sock');
    d.containerd = spawn('containerd', ['--root', join(d.dir, 'containerd'), '--state', join(d.dir, 'containerd-state'),
      '--address', containerdSock], { stdio: 'ignore' });
    for (let i = 0; i < 100 && !existsSync(containerdSock); i++) await sleep(100);
    await d.launchDockerd();
    return d;
  }

  /** Imports busybox:latest as the reference daemon's tool does. */
  importBusybox(): void {
    execFileSync('/work/shared/tools/reference-dockerd', ['busybox'], { stdio: 'ignore', env: { ...process.env, REFDOCKER_DIR: this.dir } });
  }

  /** The pids of dockerd and containerd. */
  get pids(): number[] {
    return [this.dockerd?.pid, this.containerd?.pid].filter((p): p is number => p !== undefined);
  }

  /** Starts dockerd (again) and resolves once it answers /_ping; returns the ms that took. */
  async launchDockerd(): Promise<number> {
    const t0 = performance.now();
    this.dockerd = spawn('dockerd', ['--containerd', join(this.dir, 'containerd.sock'), '--data-root', join(this.dir, 'data'),
      '--exec-root', join(this.dir, 'exec'), '-H', this.host, '--pidfile', join(this.dir, 'dockerd.pid'),
      '--bridge', BRIDGE, '--iptables=false', '--ip-masq=false', '--live-restore'], { stdio: 'ignore' });
    for (;;) {
      if (this.dockerd.exitCode !== null) throw new Error(`private dockerd exited with ${this.dockerd.exitCode}`);
      try {
        execFileSync('curl', ['-sf', '--unix-socket', join(this.dir, 'docker.sock'), 'http://d/_ping'], { stdio: 'ignore' });
        return performance.now() - t0;
      } catch {
        await sleep(50);
      }
    }
  }

  /** SIGTERM to dockerd; with --live-restore its containers keep running. */
  async stopDockerd(): Promise<void> {
    const p = this.dockerd;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  }

  /** Stops both daemons and removes the directory (containers must be removed before). */
  async stop(): Promise<void> {
    await this.stopDockerd();
    const c = this.containerd;
    if (c && c.exitCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill('SIGTERM');
      await exited;
    }
    for (const m of execFileSync('sh', ['-c', `grep -o ' ${this.dir}[^ ]*' /proc/self/mounts || true`], { encoding: 'utf8' }).split('\n').reverse()) {
      if (m.trim()) execFileSync('umount', ['-l', m.trim()], { stdio: 'ignore' });
    }
    await rm(this.dir, { recursive: true, force: true });
    execFileSync('ip', ['link', 'del', BRIDGE]);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
