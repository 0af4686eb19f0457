/**
 * What every command gets: the API client (created on first use, so `--help` needs no daemon),
 * stdout/stderr writers, and the docker way of running an action on several names.
 */
import { once } from 'node:events';
import { ApiClient } from './api-client.js';
import { CliError, ConnectError, ExitStatus } from '../base/errors.js';
import { resolveTarget, type HostFlags } from './host.js';
import { ClientLog } from '../base/client-log.js';

export class Cli {
  private apiClient: ApiClient | undefined;
  /** The program name shown in messages ("berth"). */
  readonly name = 'berth';

  private clientLog: ClientLog | undefined;

  constructor(
    private readonly hostFlags: () => HostFlags,
    private readonly configOption: () => string | undefined = () => undefined,
    private readonly logFlags: () => { debug?: boolean; logLevel?: string } = () => ({}),
  ) {}

  /** The client's log (-D, --log-level); an unknown level is refused when first asked for. */
  get log(): ClientLog {
    this.clientLog ??= ClientLog.fromFlags(this.logFlags());
    return this.clientLog;
  }

  /** The global flags that choose the daemon (-H, TLS, --context, --config). */
  globalFlags(): HostFlags {
    return this.hostFlags();
  }

  /** The global --config directory, when given. */
  configFlag(): string | undefined {
    return this.configOption();
  }

  get client(): ApiClient {
    this.apiClient ??= new ApiClient(resolveTarget(this.hostFlags()), process.env, this.log);
    return this.apiClient;
  }

  close(): void {
    this.apiClient?.close();
  }

  async out(text: string): Promise<void> {
    if (!process.stdout.write(text)) await once(process.stdout, 'drain');
  }

  async err(text: string): Promise<void> {
    if (!process.stderr.write(text)) await once(process.stderr, 'drain');
  }

  /**
   * Runs `fn` for each name; failures do not stop the others and their messages are printed after
   * all names were handled, as docker's stop/rm/kill do. A daemon that cannot be reached stops
   * everything at once.
   */
  async forEach(names: string[], fn: (name: string) => Promise<void>): Promise<string[]> {
    const failed: string[] = [];
    const messages: string[] = [];
    for (const name of names) {
      try {
        await fn(name);
      } catch (err) {
        if (err instanceof ConnectError) throw err;
        if (!(err instanceof CliError)) throw err;
        failed.push(name);
        messages.push(err.message);
      }
    }
    if (messages.length > 0) await this.err(messages.map((m) => `${m}\n`).join(''));
    return failed;
  }

  /** forEach, then exit 1 if any failed. */
  async forEachOrFail(names: string[], fn: (name: string) => Promise<void>): Promise<void> {
    const failed = await this.forEach(names, fn);
    if (failed.length > 0) throw new ExitStatus(1);
  }
}
