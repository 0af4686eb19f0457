/** The daemon's own log, on stderr, in the level=... msg=... shape dockerd prints. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
const ORDER: LogLevel[] = ['debug', 'info', 'warn', 'error', 'fatal'];

export class Logger {
  constructor(private level: LogLevel = 'info') {}

  get debugEnabled(): boolean {
    return this.level === 'debug';
  }

  setLevel(level: LogLevel): void {
    this.level = level;
  }

  debug(msg: string): void { this.write('debug', msg); }
  info(msg: string): void { this.write('info', msg); }
  warn(msg: string): void { this.write('warn', msg); }
  error(msg: string): void { this.write('error', msg); }

  private write(level: LogLevel, msg: string): void {
    if (ORDER.indexOf(level) < ORDER.indexOf(this.level)) return;
    process.stderr.write(`time="${new Date().toISOString()}" level=${level} msg=${JSON.stringify(msg)}\n`);
  }
}

export function isLogLevel(value: string): value is LogLevel {
  return (ORDER as string[]).includes(value);
}
