import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The userland proxy of a published TCP port: what answers connections made from the host's own
 * loopback (dockerd's docker-proxy). Other hosts' connections are DNATed by the kernel and never
 * reach it. It is socat listening on the host port, forking one relay per connection:
 *  - socat moves 256 KiB per read and write; a relay in berthd's event loop is held to 64 KiB reads
 *    and measured about 10 % slower than docker-proxy (docs/benchmarks.md), the kernel's loopback DNAT
 *    (`--userland-proxy=false`) 20 % slower;
 *  - `setpriv --pdeathsig` ties the listener to berthd: if berthd dies, even by kill -9, the kernel
 *    ends its proxies, and the next berthd starts new ones for the containers still running (relays
 *    of connections open at that moment carry on until their connection ends);
 *  - a half-closed connection stays open in its other direction, as with docker-proxy (`-t`).
 */
export interface ProxySpec {
  hostIp: string;
  hostPort: number;
  containerIp: string;
  containerPort: number;
}

const BUFFER = 256 * 1024;
/** How long a relay keeps the other direction open after one side sent EOF: a day, not socat's 0.5 s. */
const HALF_CLOSE_SECONDS = 86400;
const START_TIMEOUT_MS = 5000;

function proxyArgs(p: ProxySpec): string[] {
  const bind = p.hostIp && p.hostIp !== '0.0.0.0' ? `,bind=${p.hostIp}` : '';
  return [
    '--pdeathsig', 'TERM', '--', 'socat', '-b', String(BUFFER), '-t', String(HALF_CLOSE_SECONDS),
    `TCP4-LISTEN:${p.hostPort}${bind},reuseaddr,fork,backlog=511`,
    `TCP4:${p.containerIp}:${p.containerPort}`,
  ];
}

/**
 * Whether the proxy process has become socat and sleeps. socat's first blocking call is the select
 * of its accept loop, after bind and listen succeeded (had either failed, it would have exited), so
 * a sleeping socat is a listening one. Cheap to ask (/proc/<pid>/stat), unlike /proc/net/tcp, which
 * walks the kernel's whole connection table (several milliseconds per read here).
 */
async function isListening(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return /^\d+ \(socat\) S /.test(stat);
}

export class UserlandProxy {
  private constructor(private readonly child: ChildProcess) {}

  private get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /** Starts the proxy and resolves once it listens; rejects with socat's own words if it cannot bind. */
  static async start(spec: ProxySpec): Promise<UserlandProxy> {
    // A process group of its own (detached): the listener and the relays it forks end together.
    const child = spawn('setpriv', proxyArgs(spec), { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    const proxy = new UserlandProxy(child);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { if (stderr.length < 4096) stderr += d; });
    let failure: Error | undefined;
    child.once('error', (err) => { failure = err; });
    const deadline = Date.now() + START_TIMEOUT_MS;
    for (let wait = 1; ; wait = Math.min(wait + 1, 10)) {
      if (failure) throw new Error(`cannot start the userland proxy (setpriv, socat): ${failure.message}`);
      if (proxy.exited) {
        if (!child.stderr!.closed) await once(child.stderr!, 'close');
        const err: NodeJS.ErrnoException = new Error(stderr.trim().split('\n').pop()?.replace(/^.*? E /, '') || 'userland proxy exited');
        // Another program took the port between berthd's check and the proxy's bind.
        if (stderr.includes('Address already in use')) err.code = 'EADDRINUSE';
        throw err;
      }
      if (await isListening(child.pid!)) return proxy;
      if (Date.now() > deadline) {
        proxy.stop();
        throw new Error(`userland proxy for port ${spec.hostPort} did not start listening`);
      }
      await sleep(wait);
    }
  }

  /**
   * Ends the listener and the relays of connections still open, as unpublishing a port does with
   * docker-proxy. A relay left alone could wait a day (`-t`) for a container that is gone.
   */
  stop(): void {
    try {
      process.kill(-this.child.pid!, 'SIGTERM');
    } catch { /* the whole group has exited already */ }
  }
}
