/**
 * Errors the CLI reports. Every command failure ends in one of these; main.ts prints the message on
 * stderr and exits with `exitCode`, as docker does (1 for most commands, 125 for run/create).
 */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = new.target.name;
  }
}

/** The daemon answered with an error status; `message` is the daemon's own text. */
export class DaemonError extends CliError {
  constructor(readonly status: number, readonly daemonMessage: string) {
    super(`Error response from daemon: ${daemonMessage}`);
  }
}

/** The daemon could not be reached at all. */
export class ConnectError extends CliError {
  constructor(readonly host: string, cause?: unknown) {
    super(`Cannot connect to the Berth daemon at ${host}. Is the berthd daemon running?`);
    if (cause !== undefined) (this as { cause?: unknown }).cause = cause;
  }
}

/** A status the caller asked for, with no message of its own (`berth run` passing a container's code). */
export class ExitStatus extends Error {
  constructor(readonly exitCode: number) {
    super(`exit status ${exitCode}`);
  }
}
