/**
 * `run`/`create` flags -> the body of POST /containers/create, as docker builds it.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { CliError } from '../base/errors.js';
import { addHealthFlags, healthcheckBody, type HealthFlags } from './health-flags.js';

export interface CreateFlags extends EndpointVolumeFlags, SecurityFlags, NamespaceFlags, ResourceFlags, HealthFlags {
  detach?: boolean;
  interactive?: boolean;
  tty?: boolean;
  name?: string;
  rm?: boolean;
  env: string[];
  envFile: string[];
  workdir?: string;
  user?: string;
  entrypoint?: string;
  hostname?: string;
  label: string[];
  labelFile: string[];
  restart?: string;
  publish: string[];
  expose: string[];
  volume: string[];
  network?: string;
  privileged?: boolean;
  readOnly?: boolean;
  init?: boolean;
  stopSignal?: string;
  stopTimeout?: string;
  addHost: string[];
  dns: string[];
  memory?: string;
  attach: string[];
  platform?: string;
  logDriver?: string;
  logOpt: string[];
}
import { collect } from './flags.js';
import { addEndpointVolumeFlags, applyEndpointVolumeFlags, type EndpointVolumeFlags } from './run-network-volume-flags.js';
import { addSecurityFlags, securityFields, type SecurityFlags } from './security-flags.js';
import { addNamespaceFlags, namespaceHostConfig, type NamespaceFlags } from './namespace-flags.js';
import { addCreateResourceFlags, resourceFields, type ResourceFlags } from './resource-flags.js';

/** Declares the flags shared by `run` and `create` on a commander command. */
export function addCreateFlags(cmd: Command): Command {
  return addHealthFlags(addCreateResourceFlags(addNamespaceFlags(addSecurityFlags(addEndpointVolumeFlags(cmd)))))
    .option('-a, --attach <stream>', 'Attach to STDIN, STDOUT or STDERR', collect, [])
    .option('-i, --interactive', 'Keep STDIN open even if not attached')
    .option('-t, --tty', 'Allocate a pseudo-TTY')
    .option('--name <string>', 'Assign a name to the container')
    .option('--rm', 'Automatically remove the container and its associated anonymous volumes when it exits')
    .option('-e, --env <list>', 'Set environment variables', collect, [])
    .option('--env-file <list>', 'Read in a file of environment variables', collect, [])
    .option('-w, --workdir <string>', 'Working directory inside the container')
    .option('-u, --user <string>', 'Username or UID (format: <name|uid>[:<group|gid>])')
    .option('--entrypoint <string>', 'Overwrite the default ENTRYPOINT of the image')
    .option('-h, --hostname <string>', 'Container host name')
    .option('-l, --label <list>', 'Set meta data on a container', collect, [])
    .option('--label-file <list>', 'Read in a line delimited file of labels', collect, [])
    .option('--restart <string>', 'Restart policy to apply when a container exits', 'no')
    .option('-p, --publish <list>', "Publish a container's port(s) to the host", collect, [])
    .option('--expose <list>', 'Expose a port or a range of ports', collect, [])
    .option('-v, --volume <list>', 'Bind mount a volume', collect, [])
    .option('--network <network>', 'Connect a container to a network')
    .option('--privileged', 'Give extended privileges to this container')
    .option('--read-only', "Mount the container's root filesystem as read only")
    .option('--init', 'Run an init inside the container that forwards signals and reaps processes')
    .option('--stop-signal <string>', 'Signal to stop the container')
    .option('--stop-timeout <int>', 'Timeout (in seconds) to stop a container')
    .option('--add-host <list>', 'Add a custom host-to-IP mapping (host:ip)', collect, [])
    .option('--dns <list>', 'Set custom DNS servers', collect, [])
    .option('-m, --memory <bytes>', 'Memory limit')
    .option('--platform <string>', 'Set platform if server is multi-platform capable')
    .option('--log-driver <string>', 'Logging driver for the container')
    .option('--log-opt <list>', 'Log driver options', collect, [])
    .helpOption('--help', 'Print usage');
}

/** An env or label file: blank lines and comments skipped, leading blanks trimmed. */
function readLines(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new CliError(`open ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
  }
  return text.split(/\r?\n/).map((l) => l.replace(/^\s+/, '')).filter((l) => l !== '' && !l.startsWith('#'));
}

/** `--env-file` lines then `-e` entries, as docker reads them (run, create and exec alike). */
export function environment(envFiles: string[], env: string[]): string[] {
  return [...envFiles.flatMap(readLines), ...env].map(envEntry);
}

/** "FOO" takes FOO from the caller's environment when set, as docker does. */
function envEntry(entry: string): string {
  if (entry.includes('=')) {
    if (entry.startsWith('=')) throw new CliError(`invalid environment variable: ${entry}`);
    return entry;
  }
  const value = process.env[entry];
  return value === undefined ? entry : `${entry}=${value}`;
}

export function parseRestartPolicy(value: string | undefined): { Name: string; MaximumRetryCount: number } {
  if (!value || value === 'no') return { Name: 'no', MaximumRetryCount: 0 };
  const [name, count] = value.split(':');
  if (!['always', 'unless-stopped', 'on-failure'].includes(name!)) {
    throw new CliError(`invalid restart policy format: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`);
  }
  if (count !== undefined) {
    if (name !== 'on-failure') throw new CliError(`invalid restart policy format: maximum retry count can only be used with 'on-failure'`);
    if (!/^\d+$/.test(count)) throw new CliError(`invalid restart policy format: maximum retry count must be an integer`);
  }
  return { Name: name!, MaximumRetryCount: count ? Number(count) : 0 };
}

/** "-p [ip:][hostPort:]containerPort[/proto]" -> exposed port key and binding. */
function parsePublish(spec: string, exposed: Record<string, object>, bindings: Record<string, { HostIp: string; HostPort: string }[]>): void {
  const [addr, proto = 'tcp'] = spec.split('/');
  const parts = addr!.split(':');
  let ip = '';
  let hostPort = '';
  let containerPort: string;
  if (parts.length === 1) containerPort = parts[0]!;
  else if (parts.length === 2) [hostPort, containerPort] = [parts[0]!, parts[1]!];
  else { containerPort = parts.pop()!; hostPort = parts.pop()!; ip = parts.join(':').replace(/^\[|\]$/g, ''); }
  if (!/^\d+(-\d+)?$/.test(containerPort) || (hostPort && !/^\d+(-\d+)?$/.test(hostPort))) {
    throw new CliError(`invalid argument "${spec}" for "-p, --publish" flag: invalid port format`);
  }
  const key = `${containerPort}/${proto}`;
  exposed[key] = {};
  (bindings[key] ??= []).push({ HostIp: ip, HostPort: hostPort });
}

function parseMemory(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)b?$/i.exec(value.trim());
  if (!m) throw new CliError(`invalid argument "${value}" for "-m, --memory" flag: invalid size: '${value}'`);
  const mult: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  return Math.round(Number(m[1]) * mult[m[2]!.toLowerCase()]!);
}

/** `--log-driver` and `--log-opt key=value`, as docker sends them (options for `none` refused here as docker does). */
function logConfig(driver: string | undefined, opts: string[]): { LogConfig?: { Type: string; Config: Record<string, string> } } {
  if (!driver && !opts.length) return {};
  const config: Record<string, string> = {};
  for (const o of opts) {
    const eq = o.indexOf('=');
    if (eq < 0) config[o] = '';
    else config[o.slice(0, eq)] = o.slice(eq + 1);
  }
  if (driver === 'none' && opts.length) throw new CliError('invalid logging opts for driver none');
  return { LogConfig: { Type: driver ?? '', Config: config } };
}

export interface CreateRequest {
  name?: string;
  platform?: string;
  body: Record<string, unknown>;
}

/** Builds the create body. `attached` is false for `run -d`. */
export function buildCreateRequest(image: string, args: string[], flags: CreateFlags, attached: boolean, entrypointGiven: boolean): CreateRequest {
  if (flags.rm && flags.restart && flags.restart !== 'no') {
    throw new CliError('Conflicting options: cannot specify both --restart and --rm');
  }
  const env = environment(flags.envFile, flags.env);
  const labels: Record<string, string> = {};
  for (const l of [...flags.labelFile.flatMap(readLines), ...flags.label]) {
    const eq = l.indexOf('=');
    if (eq === 0) throw new CliError(`invalid label '${l}': empty name`);
    if (eq < 0) labels[l] = '';
    else labels[l.slice(0, eq)] = l.slice(eq + 1);
  }
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of flags.publish) parsePublish(p, exposed, bindings);
  for (const e of flags.expose) exposed[e.includes('/') ? e : `${e}/tcp`] = {};
  let entrypoint: string[] | null = null;
  if (flags.entrypoint !== undefined && flags.entrypoint !== '') entrypoint = [flags.entrypoint];
  else if (entrypointGiven) entrypoint = [''];
  const streams = flags.attach.map((s) => s.toLowerCase());
  const attachStdin = streams.length > 0 ? streams.includes('stdin') : Boolean(flags.interactive) && attached;
  const attachStdout = streams.length > 0 ? streams.includes('stdout') : attached;
  const attachStderr = streams.length > 0 ? streams.includes('stderr') : attached;
  const binds = flags.volume.filter((v) => v.includes(':'));
  const anonymous: Record<string, object> = {};
  for (const v of flags.volume.filter((x) => !x.includes(':'))) anonymous[v] = {};
  const stopTimeout = flags.stopTimeout !== undefined ? Number(flags.stopTimeout) : undefined;
  if (stopTimeout !== undefined && !Number.isInteger(stopTimeout)) {
    throw new CliError(`invalid argument "${flags.stopTimeout}" for "--stop-timeout" flag: strconv.ParseInt: parsing "${flags.stopTimeout}": invalid syntax`);
  }
  const body: Record<string, unknown> = {
    Hostname: flags.hostname ?? '',
    Domainname: '',
    User: flags.user ?? '',
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    Tty: Boolean(flags.tty),
    OpenStdin: Boolean(flags.interactive),
    StdinOnce: Boolean(flags.interactive) && attachStdin,
    Env: env.length ? env : null,
    Cmd: args.length ? args : null,
    Image: image,
    Volumes: anonymous,
    WorkingDir: flags.workdir ?? '',
    Entrypoint: entrypoint,
    Labels: labels,
    ...(Object.keys(exposed).length ? { ExposedPorts: exposed } : {}),
    ...(flags.stopSignal ? { StopSignal: flags.stopSignal } : {}),
    ...(stopTimeout !== undefined ? { StopTimeout: stopTimeout } : {}),
    ...healthcheckBody(flags),
    HostConfig: {
      Binds: binds.length ? binds : null,
      NetworkMode: flags.network ?? 'default',
      PortBindings: bindings,
      RestartPolicy: parseRestartPolicy(flags.restart),
      AutoRemove: Boolean(flags.rm),
      Privileged: Boolean(flags.privileged),
      ReadonlyRootfs: Boolean(flags.readOnly),
      ExtraHosts: flags.addHost.length ? flags.addHost : null,
      Dns: flags.dns,
      ...securityFields(flags),
      ...(flags.init ? { Init: true } : {}),
      ...logConfig(flags.logDriver, flags.logOpt),
      ...(flags.memory ? { Memory: parseMemory(flags.memory) } : {}),
      ...namespaceHostConfig(flags),
      ...resourceFields(flags, 125),
      ...(flags.tty && process.stdout.isTTY ? { ConsoleSize: [process.stdout.rows ?? 0, process.stdout.columns ?? 0] } : {}),
    },
    NetworkingConfig: { EndpointsConfig: {} },
  };
  applyEndpointVolumeFlags(flags, body);
  return { name: flags.name, platform: flags.platform, body };
}
