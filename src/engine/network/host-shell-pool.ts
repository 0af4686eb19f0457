import { HOST_SCRIPT_TIMEOUT_MS, HostShell } from './host-shell.js';

/** Shells at most: scripts of this many containers run at once; more wait for a shell to be free. */
export const HOST_SHELLS = 8;

/**
 * Several HostShells, so that the networking scripts of different containers (a veth plugged in for
 * one, unplugged for another) run side by side instead of one after the other. A shell is started
 * when every one is busy and fewer than `max` exist; a script waits for a free shell after that.
 * Each script still runs whole in one shell. What must not run side by side (iptables-restore of our
 * chains) is kept in order by its caller (PortPublishing), not here.
 */
export class HostShellPool {
  private readonly shells: HostShell[] = [];
  private readonly idle: HostShell[] = [];
  private readonly waiting: ((shell: HostShell) => void)[] = [];

  constructor(private readonly max = HOST_SHELLS, private readonly timeoutMs = HOST_SCRIPT_TIMEOUT_MS) {}

  /** Runs `script` (sh syntax) in a free shell, stdout and stderr merged; resolves with its exit status. */
  async run(script: string): Promise<{ code: number; output: string }> {
    const shell = await this.take();
    try {
      return await shell.run(script);
    } finally {
      this.giveBack(shell);
    }
  }

  /** How many shells have been started (at most `max`). */
  get size(): number {
    return this.shells.length;
  }

  private take(): Promise<HostShell> {
    const free = this.idle.pop();
    if (free) return Promise.resolve(free);
    if (this.shells.length < this.max) {
      const shell = new HostShell(this.timeoutMs);
      this.shells.push(shell);
      return Promise.resolve(shell);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private giveBack(shell: HostShell): void {
    const next = this.waiting.shift();
    if (next) next(shell);
    else this.idle.push(shell);
  }

  /** Ends every shell (at daemon shutdown); a later `run` starts them again. */
  close(): void {
    for (const shell of this.shells) shell.close();
  }
}
