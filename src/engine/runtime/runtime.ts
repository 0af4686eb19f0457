import type { RuntimeSecurity } from './oci-security.js';
import type { IsolationSpec } from './oci-namespaces.js';

/**
 * The contract between the container manager and the code that runs containers (conmon + runc).
 * Only src/engine/runtime spawns runtime processes; everything else goes through this interface.
 */
import type { ContainerResources } from './oci-resources.js';

/** What the container's process is and sees. The runtime turns this into an OCI config.json. */
export interface RuntimeSpec {
  /** 64-hex container ID; also the runc container ID. */
  id: string;
  /** Directory for config.json and runtime files; created by the caller, removed by `delete`. */
  bundleDir: string;
  /** The container's root filesystem, already mounted (overlay) by the caller. */
  rootfs: string;
  readonlyRootfs?: boolean;
  args: string[];
  env: string[];
  cwd: string;
  /** Numeric ids resolved by the caller from the image's /etc/passwd and /etc/group. */
  user: { uid: number; gid: number; additionalGids?: number[] };
  hostname: string;
  /** The NIS domain name of the container's UTS namespace (`--domainname`), when set. */
  domainname?: string;
  terminal: boolean;
  /** The terminal's initial size (rows, columns), so `stty size` is right from the start. */
  consoleSize?: { height: number; width: number };
  /** Keep the container's stdin open for attach (-i). */
  openStdin: boolean;
  /** Close the container's stdin when the first attached client detaches (Docker's StdinOnce). */
  stdinOnce?: boolean;
  /** Extra mounts beyond the defaults (/proc, /dev, /sys...): /etc/hosts, volumes, binds. */
  mounts?: { destination: string; source: string; type: string; options?: string[] }[];
  /**
   * Network namespace: 'new' (own namespace, loopback up), 'host' (the host's), or the path of a
   * namespace to join (`/proc/<pid>/ns/net` of another container).
   */
  network: 'new' | 'host' | { path: string };
  /** cgroup limits (oci-resources.ts); a field left out leaves the kernel default. */
  resources?: ContainerResources;
  /** Process rlimits (`--ulimit`), already checked against the daemon's own hard limits. */
  rlimits?: { Name: string; Soft: number; Hard: number }[];
  /** Capabilities, seccomp, no_new_privs, masked paths, --privileged; left out, Docker's defaults. */
  security?: RuntimeSecurity;
  /** Namespaces shared with the host or other containers, /dev/shm, sysctls, devices, init (oci-namespaces.ts). */
  isolation?: IsolationSpec;
  /** Where conmon writes the container's output (k8s-file format). */
  logPath: string;
  /** conmon replaces the log file with an empty one before a record would take it past this (bytes). */
  logSizeMax?: number;
  /** The OCI runtime's name (HostConfig.Runtime, oci-runtimes.ts); absent, the daemon's default. */
  runtime?: string;
}

export interface ExitInfo {
  exitCode: number;
  /** When the process ended (from conmon's exit file mtime or its own record). */
  finishedAt: Date;
  oomKilled: boolean;
}

export interface RuntimeState {
  status: 'created' | 'running' | 'paused' | 'stopped';
  pid: number;
}

export interface ContainerRuntime {
  /**
   * Starts conmon for the container, which runs `runc create`: on return the container exists, its
   * init process is `pid` (its namespaces are at /proc/<pid>/ns/*), and the user process has not
   * started. When runc refuses the process (missing binary, bad cwd...) it throws ContainerStartError
   * (start-failure.ts; RuntimeCreateError, in Docker's words with runc's message) whose `exitCode` is
   * Docker's (127 not found, 126 not runnable, 128 other), and leaves nothing behind.
   */
  create(spec: RuntimeSpec): Promise<{ pid: number }>;
  /** Runs the user process of a created container; ContainerStartError (with `exitCode`) when runc cannot. */
  start(id: string): Promise<void>;
  /**
   * Sends a signal (name like 'SIGTERM' or number) to the container's init process. InvalidArgumentError
   * `Invalid signal: x`; NotFoundError for an unknown container; ConflictError `... is not running`
   * once it has exited.
   */
  kill(id: string, signal: string | number): Promise<void>;
  /**
   * Freezes every process of a running container (`runc pause`: the cgroup freezer); its state is
   * `paused` until `resume`. NotFoundError for an unknown container; ConflictError `... is not running`
   * when it does not run (runc says so of a paused one too).
   */
  pause(id: string): Promise<void>;
  /**
   * Thaws a paused container (`runc resume`); signals sent while it was frozen are delivered then.
   * NotFoundError for an unknown container; ConflictError `... is not paused` when it is not paused.
   */
  resume(id: string): Promise<void>;
  /** runc's view of the container (`stopped` once its process ended), or undefined when runc does not know it. */
  state(id: string): Promise<RuntimeState | undefined>;
  /**
   * The same view of every container the default runtime knows, by ID, in one call (`runc list`): what
   * daemon start asks instead of one `state` per container. A container left out (another runtime's,
   * or one whose runtime state is gone) is asked with `state`.
   */
  states(): Promise<Map<string, RuntimeState>>;
  /**
   * Resolves when the container's process has exited, with its exit code (from conmon's exit file).
   * Works for containers created by an earlier daemon process too (after a restart or kill -9).
   * A monitor that dies without recording the exit is noticed within a second: the process it leaves
   * is ended and the exit recorded (137 when killed), and the wait resolves with it.
   * Throws NotFoundError when the runtime has no record of the container; rejects with
   * `signal.reason` when the optional signal aborts the wait.
   */
  waitExit(id: string, signal?: AbortSignal): Promise<ExitInfo>;
  /** The recorded exit of a container that has ended, or undefined if it has not (yet). */
  readExit(id: string): Promise<ExitInfo | undefined>;
  /**
   * Removes runc's and conmon's state for the container (runc delete --force); idempotent. When the
   * runtime fails, throws SystemError with its message in containerd's words (`OCI runtime delete
   * failed: ...: unknown`) and keeps what it needs for a later delete to finish.
   */
  delete(id: string): Promise<void>;
  /**
   * Applies new limits to a live container's cgroups (`runc update`); fields left out (or 0) stay as
   * they are. NotFoundError for an unknown container; SystemError with the kernel's reason when a
   * limit cannot be set (a memory limit below the current usage).
   */
  update(id: string, resources: ContainerResources): Promise<void>;
}
