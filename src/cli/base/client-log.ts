/**
 * The client's own log on stderr, as the docker CLI keeps it: `--log-level` (logrus's levels,
 * any case; another word is refused with docker's "Unable to parse logging level: X") and `-D`
 * (debug mode: the level becomes debug, and `berth info` says "Debug Mode: true"). Lines are
 * logrus's text format: time="2026-12-07T07:05:30Z" level=debug msg="...".
 *
 * What berth logs at debug: every Engine API request with its status and time (the docker CLI
 * logs little at debug; seeing the API traffic is the point of the level here), and the console's
 * HTTP requests.
 */
import { CliError } from './errors.js';

const LEVELS = ['panic', 'fatal', 'error', 'warning', 'info', 'debug', 'trace'] as const;
export type LogLevel = (typeof LEVELS)[number];

/** logrus.ParseLevel: case-insensitive, "warn" for "warning". */
export function parseLogLevel(text: string): LogLevel {
  const lower = text.toLowerCase();
  const level = lower === 'warn' ? 'warning' : lower;
  if (!(LEVELS as readonly string[]).includes(level)) throw new CliError(`Unable to parse logging level: ${text}`);
  return level as LogLevel;
}

export class ClientLog {
  constructor(readonly level: LogLevel = 'info', readonly debugMode = false, private readonly write = (line: string) => process.stderr.write(line)) {}

  /** From the global flags: -D wins over --log-level, as in the docker CLI. */
  static fromFlags(flags: { debug?: boolean; logLevel?: string }): ClientLog {
    const level = parseLogLevel(flags.logLevel ?? 'info');
    return flags.debug ? new ClientLog('debug', true) : new ClientLog(level);
  }

  enabled(level: LogLevel): boolean {
    return LEVELS.indexOf(level) <= LEVELS.indexOf(this.level);
  }

  debug(message: string): void {
    this.line('debug', message);
  }

  warn(message: string): void {
    this.line('warning', message);
  }

  private line(level: LogLevel, message: string): void {
    if (!this.enabled(level)) return;
    const time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    this.write(`time="${time}" level=${level} msg=${JSON.stringify(message)}\n`);
  }
}
