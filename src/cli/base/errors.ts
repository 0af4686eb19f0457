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

/**
 * For a request docker sends without reporting its failure (a resize of a container that has exited,
 * a signal forwarded to one that is gone): the daemon's refusal or an unreachable daemon is expected;
 * anything else is a fault the user should see, on stderr.
 */
export function ignoreDaemonRefusal(err: unknown): void {
  if (err instanceof CliError) return;
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
}

/** A promise's outcome, kept until it is looked at: its failure is never an unhandled rejection meanwhile. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

export function outcomeOf<T>(promise: Promise<T>): Promise<Outcome<T>> {
  return promise.then((value) => ({ ok: true, value }), (error: unknown) => ({ ok: false, error }));
}

/** The value of an outcome, or its failure thrown where it is looked at. */
export function valueOf<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw outcome.error;
}
