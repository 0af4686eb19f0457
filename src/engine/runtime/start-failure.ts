import { SystemError } from '../../lib/errors.js';

/**
 * A container's process could not be started: the runtime read why from runc (through conmon's
 * sync pipe or runc's own output) and says which exit code Docker gives such a start: 127 when the
 * command is not found, 126 when it cannot be run, 128 for any other failure.
 */
export class ContainerStartError extends SystemError {
  readonly exitCode: number;

  constructor(message: string, exitCode = startExitCode(message)) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** runc failed to create the container (bad cwd, missing binary...). `runtimeMessage` is runc's own words. */
export class RuntimeCreateError extends ContainerStartError {
  constructor(readonly runtimeMessage: string) {
    // Docker's wording, so clients (the docker CLI picks exit codes 126/127 from it) see the same text.
    super(`failed to create task for container: failed to create shim task: OCI runtime create failed: ${runtimeMessage}: unknown`);
  }
}

/** Docker's exit code for a start that failed with runc's `message` (as moby reads containerd's errors). */
export function startExitCode(message: string): number {
  if (/executable file not found|no such file or directory/i.test(message)) return 127;
  if (/permission denied|is a directory/i.test(message)) return 126;
  return 128;
}

/** The exit code a failed start records: the runtime's classification, 128 for failures before it. */
export function startFailureExitCode(err: unknown): number {
  return err instanceof ContainerStartError ? err.exitCode : 128;
}
