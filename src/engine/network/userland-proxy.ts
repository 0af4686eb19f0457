import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { WarningSink } from '../../lib/best-effort.js';
import { UnavailableError } from '../../lib/errors.js';

/**
 * The userland proxy of the published ports: what answers connections and datagrams sent from the
 * host's own loopback (dockerd's docker-proxy). Other hosts' traffic is DNATed by the kernel and never
 * reaches it. ONE process serves every published TCP and UDP port of the daemon:
 * `native/berth-port-proxy.c`, built into `dist/native/` by `npm run build`, an epoll loop that relays
 * TCP with splice() through 1 MiB pipes (each write into the container's veth as large as what has
 * arrived; socat's 256 KiB buffers beat a relay in berthd's own event loop, and splice beats socat) and
 * UDP with a flow per client address, as docker-proxy does. berthd adds and removes ports over the
 * process's stdin, one line per command, one line per answer.
 *  - A port costs a descriptor and a hundred bytes in that process, not a process of its own.
 *  - `setpriv --pdeathsig` ties it to berthd (and it exits when its stdin ends): if berthd dies, even by
 *    kill -9, the kernel ends it with its relays; the next berthd starts it again and publishes the
 *    ports of the containers still running.
 *  - A half-closed connection stays open in its other direction, as with docker-proxy (`-t`).
 *  - Removing a port ends the relays of connections still open through it.
 * If the process dies under a running berthd, the next command starts it again and `onRestart`
 * (PortReservations) publishes again the ports it held.
 */
export interface ProxySpec {
  proto: 'tcp' | 'udp';
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

/** Where `npm run build` puts the proxy: <package>/dist/native/ (this file is <package>/{dist,src}/engine/network/). */
export const PROXY_BINARY = fileURLToPath(new URL('../../../dist/native/berth-port-proxy', import.meta.url));

interface Pending {
  resolve(words: string[]): void;
  reject(err: Error): void;
}

/** An answer `err <ERRNO> <text>` of the proxy, with the errno name as `code` (EADDRINUSE...). */
function proxyError(line: string): NodeJS.ErrnoException {
  const [, code, ...text] = line.split(' ');
  const err: NodeJS.ErrnoException = new Error(text.join(' ') || line);
  err.code = code;
  return err;
}

export class UserlandProxy {
  private child?: ChildProcess;
  private readonly pending: Pending[] = [];
  private buffered = '';
  private startedAt = 0;
  /** Called when a process that died under us has been started again: publish the ports again. */
  onRestart?: () => Promise<void>;

  /** `owner` names the daemon in the process list (its exec root): `berth-port-proxy <owner>`. */
  constructor(private readonly owner: string, private readonly log: WarningSink, private readonly binary = PROXY_BINARY) {}

  /** Starts relaying a host port to a container port; rejects with the errno name as `code` if it cannot bind. */
  async add(s: ProxySpec): Promise<void> {
    await this.command(`add ${s.proto} ${s.hostIp || '0.0.0.0'} ${s.hostPort} ${s.containerIp} ${s.containerPort}`);
  }

  /** Stops listening on a port and ends the relays of its connections and flows. */
  async remove(s: Pick<ProxySpec, 'proto' | 'hostIp' | 'hostPort'>): Promise<void> {
    if (!this.child) return;
    await this.command(`del ${s.proto} ${s.hostIp || '0.0.0.0'} ${s.hostPort}`);
  }

  /** Ends the process and every relay (daemon exit). */
  close(): void {
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    for (const p of this.pending.splice(0)) p.reject(new UnavailableError('the daemon is shutting down'));
    child.stdin!.end();
    child.kill('SIGTERM');
  }

  private command(line: string): Promise<string[]> {
    const child = this.child ?? this.start();
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject });
      child.stdin!.write(line + '\n');
    });
  }

  private start(): ChildProcess {
    if (!existsSync(this.binary)) {
      throw new UnavailableError(`the userland proxy ${this.binary} is missing: build it with \`npm run build\``);
    }
    this.startedAt = Date.now();
    // A process group of its own: a terminal's ctrl-C reaches berthd, which ends the proxy in its order.
    const child = spawn('setpriv', ['--pdeathsig', 'TERM', '--', this.binary, this.owner], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    this.child = child;
    this.pending.push({ resolve: () => {}, reject: () => {} }); // its first line, `ready`
    child.stdin!.on('error', () => { /* the exit handler below reports the process's end */ });
    child.stdout!.setEncoding('utf8').on('data', (d: string) => this.answer(d));
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < 4096) stderr += d; });
    child.once('error', (err) => this.ended(child, `cannot start the userland proxy (setpriv, ${this.binary}): ${err.message}`));
    child.once('exit', (code, signal) => {
      const why = `the userland proxy exited (${signal ?? `code ${code}`})${stderr ? `: ${stderr.trim()}` : ''}`;
      // Its output may still hold answers: read them first.
      if (child.stdout!.readableEnded) this.ended(child, why);
      else child.stdout!.once('end', () => this.ended(child, why));
    });
    return child;
  }

  private answer(data: string): void {
    this.buffered += data;
    let nl: number;
    while ((nl = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, nl);
      this.buffered = this.buffered.slice(nl + 1);
      const p = this.pending.shift();
      if (line.startsWith('err ')) p?.reject(proxyError(line));
      else p?.resolve(line.split(' ').slice(1));
    }
  }

  /** The process ended: by close() (nothing to do), or under us: its ports are published again. */
  private ended(child: ChildProcess, reason: string): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.buffered = '';
    for (const p of this.pending.splice(0)) p.reject(new UnavailableError(reason));
    if (Date.now() - this.startedAt < 1000) {
      // Dying at once again: no loop of restarts; the next port published starts it once more.
      this.log.warn(`${reason}; its ports stay unanswered on the loopback until the next port is published`);
      return;
    }
    this.log.warn(`${reason}; starting it again`);
    void this.onRestart?.();
  }
}
