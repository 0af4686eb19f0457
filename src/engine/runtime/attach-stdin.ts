import { spawn, type ChildProcess } from 'node:child_process';
import type { Writable } from 'node:stream';
import type { Logger } from '../base/log.js';
import { findExecutable } from './runc.js';

/**
 * Input to a container (or exec) through conmon's attach socket.
 *
 * The socket is SOCK_SEQPACKET, which Node's net module cannot open, and the one npm binding tried
 * (node-unix-socket 0.2.7) aborted the whole process with a Rust panic when the socket closed. So a
 * `socat` process relays: its stdin is ours, each read becomes one packet, and at our end of input it
 * shuts the socket down for writing, which makes conmon close the container's stdin when the container
 * was created with StdinOnce (no `--leave-stdin-open`). A crash of the relay cannot take the daemon down.
 *
 * What conmon sends back on the socket (the output, each packet prefixed with a stream byte) is thrown
 * away by socat (to /dev/null): output is read from conmon's log file instead. It must still be read,
 * because conmon writes to attach sockets with blocking writes and would stall on a full socket.
 */
export class StdinRelay {
  private readonly child: ChildProcess;
  readonly input: Writable;
  private closed = false;

  constructor(socketPath: string, log: Logger) {
    this.child = spawn(socatPath(), ['-b', '32768', '-', `UNIX-CONNECT:${socketPath},type=5`], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let errors = '';
    this.child.stderr!.on('data', (d: Buffer) => { if (errors.length < 2000) errors += d.toString(); });
    this.child.on('error', (err) => log.warn(`attach relay: ${err.message}`));
    this.child.on('exit', () => {
      this.closed = true;
      if (errors.trim() && !/Connection refused|No such file|Broken pipe/.test(errors)) log.debug(`attach relay: ${errors.trim()}`);
    });
    this.input = this.child.stdin!;
    // The container may be gone before its input ends; nothing to report then.
    this.input.on('error', () => {});
  }

  /** Writes input; false once the relay has gone (container ended). Backpressure via the stream. */
  write(data: Buffer): boolean {
    if (this.closed || this.input.destroyed) return false;
    return this.input.write(data);
  }

  /** End of input: the container's stdin is closed (if it was created with StdinOnce). */
  end(): void {
    if (!this.input.destroyed) this.input.end();
  }

  /** Drops the connection at once (client gone or detached). */
  close(): void {
    if (!this.closed) this.child.kill('SIGTERM');
    this.closed = true;
  }
}

let socat: string | undefined;
function socatPath(): string {
  socat ??= findExecutable('socat');
  return socat;
}
