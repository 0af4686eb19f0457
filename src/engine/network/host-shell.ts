import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { SerialQueue } from '../../lib/serial-queue.js';

/**
 * One long-lived `/bin/sh` that runs the networking commands (`ip -batch`, `nsenter ... ip -batch`,
 * `iptables-restore`). Starting a process from node costs about 5 ms here (fork of a large process);
 * from a small shell it costs about 1 ms, and several commands go in one round trip. Scripts run one at
 * a time in one shell (HostShellPool keeps several); stdin of each command comes from a here-document.
 * If the shell dies it is started again.
 */
/** A networking script that has not finished in this long (a stuck `ip`, a held xtables lock) is ended. */
export const HOST_SCRIPT_TIMEOUT_MS = 30_000;

export class HostShell {
  constructor(private readonly timeoutMs = HOST_SCRIPT_TIMEOUT_MS) {}

  private child?: ChildProcessWithoutNullStreams;
  private buffer = '';
  private waiting?: { token: string; resolve: (r: { code: number; output: string }) => void };
  /** One script at a time: the shell's output is read up to the running script's end token. */
  private readonly queue = new SerialQueue();

  /** Runs `script` (sh syntax) with stdout and stderr merged; resolves with its exit status. */
  run(script: string): Promise<{ code: number; output: string }> {
    return this.queue.run(() => this.exec(script));
  }

  private ensure(): ChildProcessWithoutNullStreams {
    if (this.child && this.child.exitCode === null && !this.child.killed) return this.child;
    // Its own process group, so that a script that overruns is ended with the commands it started.
    const child = spawn('/bin/sh', [], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => this.onData(d));
    // Scripts run with 2>&1, so the shell's own stderr carries nothing to read; a write to a shell
    // that died (EPIPE) is answered by the exit handler below, which ends the waiting script.
    child.stderr.on('data', () => {});
    child.stdin.on('error', () => {});
    child.on('exit', () => {
      if (this.child === child) this.child = undefined;
      const w = this.waiting;
      this.waiting = undefined;
      w?.resolve({ code: -1, output: `${this.buffer}(networking shell exited)` });
      this.buffer = '';
    });
    this.child = child;
    return child;
  }

  private exec(script: string): Promise<{ code: number; output: string }> {
    const child = this.ensure();
    const token = `__berth_done_${randomBytes(8).toString('hex')}`;
    return new Promise((resolve) => {
      this.buffer = '';
      const timer = setTimeout(() => {
        // The exit handler answers the waiting script with what it printed; this says why.
        this.buffer += `(did not finish within ${this.timeoutMs / 1000} s: ${script.split('\n')[0]} ...; ended)\n`;
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          child.kill('SIGKILL');
        }
      }, this.timeoutMs);
      timer.unref();
      this.waiting = { token, resolve: (r) => { clearTimeout(timer); resolve(r); } };
      child.stdin.write(`{\n${script}\n} </dev/null 2>&1; echo "${token} $?"\n`);
    });
  }

  private onData(data: string): void {
    this.buffer += data;
    const w = this.waiting;
    if (!w) return;
    const at = this.buffer.indexOf(w.token);
    if (at < 0) return;
    const end = this.buffer.indexOf('\n', at);
    if (end < 0) return;
    const code = Number(this.buffer.slice(at + w.token.length, end).trim());
    const output = this.buffer.slice(0, at);
    this.buffer = this.buffer.slice(end + 1);
    this.waiting = undefined;
    w.resolve({ code, output });
  }

  /** Ends the shell (at daemon shutdown); a later `run` starts a new one. */
  close(): void {
    this.child?.stdin.end();
    this.child = undefined;
  }
}

/** A command and the lines fed to its stdin. */
export interface FedCommand {
  command: string;
  input: string[];
}

/**
 * Shell text running `commands` one after the other, each fed its lines through a here-document with a
 * delimiter the lines cannot contain, stopping at the first failure (`&&` goes on the command's line:
 * a delimiter line must hold the delimiter alone).
 */
export function chain(commands: FedCommand[]): string {
  return commands.map((c, i) => {
    const tag = `BERTH_EOF_${randomBytes(6).toString('hex')}`;
    const and = i < commands.length - 1 ? ' &&' : '';
    return `${c.command} <<'${tag}'${and}\n${c.input.join('\n')}\n${tag}`;
  }).join('\n');
}
