import { NotFoundError, ConflictError, SystemError } from '../../lib/errors.js';
import { CommandFailure, runFile } from './host-process.js';

export { findExecutable } from './oci-runtimes.js';

/**
 * Runs `runc [<runtime args>] --root <root> --log-format json <args>` and turns its failures into error
 * kinds. With JSON logging runc's stderr is one JSON object per line: {"level":"error","msg":"..."}.
 * `path` and `globalArgs` are the container's OCI runtime (oci-runtimes.ts): runc or another binary
 * that speaks runc's command line.
 */
export class Runc {
  constructor(readonly path: string, readonly root: string, readonly globalArgs: readonly string[] = []) {}

  /**
   * Runs runc; one that has not finished after `runcTimeoutMs(args)` (a frozen cgroup, a stuck mount)
   * is killed and reported with its command, so that no caller (nor a lock it holds) waits forever.
   */
  async run(args: string[]): Promise<string> {
    const timeoutMs = runcTimeoutMs(args[0] ?? '');
    try {
      return (await runFile(this.path, [...this.globalArgs, '--root', this.root, '--log-format', 'json', ...args], { maxBuffer: 4 << 20, timeoutMs })).stdout;
    } catch (err) {
      if (err instanceof CommandFailure && err.killedFor === 'timeout') {
        throw new SystemError(`runc ${args.join(' ')} did not finish within ${timeoutMs / 1000} s and was killed`);
      }
      const stderr = err instanceof CommandFailure ? err.stderr : '';
      throw runcError(args[0] ?? 'runc', args[args.length - 1] ?? '', runcMessage(stderr) || (err as Error).message);
    }
  }
}

/**
 * How long a runc command may take: the ones that only read or signal answer in milliseconds; the
 * ones that build or tear down a container (mounts, cgroups, waiting for processes to die) get more.
 */
export function runcTimeoutMs(command: string): number {
  return ['state', 'kill', 'pause', 'resume', 'update', 'start'].includes(command) ? 10_000 : 30_000;
}

/** The message runc logged at level error in JSON (or logrus text) log lines, or '' when there is none. */
export function runcMessage(output: string): string {
  const messages: string[] = [];
  for (const line of output.split('\n')) {
    const text = line.trim();
    if (!text) continue;
    if (text.startsWith('{')) {
      try {
        const entry = JSON.parse(text) as { level?: string; msg?: string };
        if (entry.msg && (entry.level === 'error' || entry.level === 'fatal')) messages.push(entry.msg);
        continue;
      } catch { /* not JSON: fall through */ }
    }
    const logrus = /level=(?:error|fatal) msg="((?:[^"\\]|\\.)*)"/.exec(text);
    if (logrus) messages.push(unquoteGo(logrus[1]!));
    else if (!/level=(?:debug|info|warning)/.test(text)) messages.push(text);
  }
  return messages.join('; ');
}

function unquoteGo(s: string): string {
  return s.replace(/\\(["\\nt])/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}

function runcError(command: string, id: string, message: string): Error {
  if (/does not exist|container not found/.test(message)) return new NotFoundError(`No such container: ${id}`);
  if (/not running|container not running/.test(message)) return new ConflictError(`Container ${id} is not running`);
  if (/container not paused/.test(message)) return new ConflictError(`Container ${id} is not paused`);
  return new RuncFailure(command, message);
}

/** runc failed for another reason than a missing or stopped container; `runtimeMessage` is its own words. */
export class RuncFailure extends SystemError {
  constructor(readonly command: string, readonly runtimeMessage: string) {
    super(`runc ${command} failed: ${runtimeMessage}`);
  }

  /** containerd's wording for the same failure, which dockerd passes on: `OCI runtime start failed: ...: unknown`. */
  get dockerMessage(): string {
    return `OCI runtime ${this.command} failed: ${this.runtimeMessage}: unknown`;
  }
}
