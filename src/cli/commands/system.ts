/**
 * version and info (inspect, registered with them, is in inspect.ts).
 */
import type { Command } from 'commander';
import { CLIENT_API_VERSION, compareVersions } from '../client/api-client.js';
import type { Cli } from '../client/cli.js';
import { CliError } from '../base/errors.js';
import { compileTemplate, runTemplate } from '../render/formatter.js';
import { tabwrite } from '../render/tabwriter.js';
import { bytesSize } from '../base/units.js';
import { registerInspectCommand } from './inspect.js';

// the groups (network, volume, main's container and image) take their `inspect` from here
export { registerInspectSubcommand } from './inspect.js';

export const BERTH_VERSION = '0.1.0';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function clientVersionInfo(apiVersion: string): Json {
  return {
    Platform: { Name: 'Berth' },
    Version: BERTH_VERSION,
    ApiVersion: apiVersion,
    DefaultAPIVersion: CLIENT_API_VERSION,
    NodeVersion: process.version,
    GitCommit: '',
    BuildTime: '',
    Os: process.platform,
    Arch: process.arch === 'x64' ? 'amd64' : process.arch,
    Context: 'default',
  };
}

/** docker shows build times in Go's ANSIC layout, local time: "Thu May  7 21:09:36 2026". */
export function ansicTime(value: string): string {
  const t = Date.parse(value);
  if (!value || Number.isNaN(t)) return value;
  const d = new Date(t);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${days[d.getDay()]} ${months[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}`;
}

function renderVersion(client: Json, server: Json | undefined): string {
  let s = `Client: ${client.Platform.Name}\n`;
  s += ` Version:\t${client.Version}\n`;
  s += ` API version:\t${client.ApiVersion}${client.ApiVersion !== client.DefaultAPIVersion ? ` (downgraded from ${client.DefaultAPIVersion})` : ''}\n`;
  s += ` Node.js version:\t${client.NodeVersion}\n`;
  s += ` OS/Arch:\t${client.Os}/${client.Arch}\n`;
  s += ` Context:\t${client.Context}\n`;
  if (server) {
    s += `\nServer:${server.Platform?.Name ? ` ${server.Platform.Name}` : ''}\n`;
    const components: Json[] = server.Components?.length
      ? server.Components
      : [{ Name: 'Engine', Version: server.Version, Details: { ApiVersion: server.ApiVersion, MinAPIVersion: server.MinAPIVersion, GoVersion: server.GoVersion, GitCommit: server.GitCommit, BuildTime: server.BuildTime, Os: server.Os, Arch: server.Arch, Experimental: String(server.Experimental ?? false) } }];
    for (const c of components) {
      s += ` ${c.Name}:\n`;
      const d: Json = c.Details ?? {};
      if (c.Name === 'Engine') {
        s += `  Version:\t${c.Version}\n`;
        s += `  API version:\t${d.ApiVersion ?? server.ApiVersion} (minimum version ${d.MinAPIVersion ?? server.MinAPIVersion})\n`;
        if (d.GoVersion ?? server.GoVersion) s += `  Go version:\t${d.GoVersion ?? server.GoVersion}\n`;
        s += `  Git commit:\t${d.GitCommit ?? server.GitCommit ?? ''}\n`;
        s += `  Built:\t${ansicTime(d.BuildTime ?? server.BuildTime ?? '')}\n`;
        s += `  OS/Arch:\t${d.Os ?? server.Os}/${d.Arch ?? server.Arch}\n`;
        s += `  Experimental:\t${d.Experimental ?? 'false'}\n`;
      } else {
        s += `  Version:\t${c.Version}\n`;
        for (const k of Object.keys(d).sort()) s += `  ${k}:\t${d[k]}\n`;
      }
    }
  }
  return tabwrite(s, { minwidth: 20, padding: 1 });
}

function renderInfo(client: Json, info: Json): string {
  const lines: string[] = [];
  const add = (indent: number, label: string, value?: unknown): void => {
    lines.push(`${' '.repeat(indent)}${label}${value === undefined ? '' : ` ${value}`}`);
  };
  add(0, 'Client:');
  add(1, 'Version:   ', client.Version);
  add(1, 'Context:   ', client.Context);
  add(1, 'Debug Mode:', String(client.Debug ?? false));
  add(0, '');
  add(0, 'Server:');
  add(1, 'Containers:', info.Containers ?? 0);
  add(2, 'Running:', info.ContainersRunning ?? 0);
  add(2, 'Paused:', info.ContainersPaused ?? 0);
  add(2, 'Stopped:', info.ContainersStopped ?? 0);
  add(1, 'Images:', info.Images ?? 0);
  add(1, 'Server Version:', info.ServerVersion ?? '');
  add(1, 'Storage Driver:', info.Driver ?? '');
  for (const [k, v] of (info.DriverStatus ?? []) as [string, string][]) add(2, `${k}:`, v);
  if (info.LoggingDriver) add(1, 'Logging Driver:', info.LoggingDriver);
  if (info.CgroupDriver) add(1, 'Cgroup Driver:', info.CgroupDriver);
  if (info.CgroupVersion) add(1, 'Cgroup Version:', info.CgroupVersion);
  if (info.Plugins) {
    add(1, 'Plugins:');
    for (const kind of ['Volume', 'Network', 'Authorization', 'Log']) {
      const list = info.Plugins[kind] as string[] | null | undefined;
      if (list && list.length) add(2, `${kind}:`, list.join(' '));
    }
  }
  if (info.Swarm) add(1, 'Swarm:', info.Swarm.LocalNodeState || 'inactive');
  if (info.Runtimes && Object.keys(info.Runtimes).length) add(1, 'Runtimes:', Object.keys(info.Runtimes).sort().join(' '));
  if (info.DefaultRuntime) add(1, 'Default Runtime:', info.DefaultRuntime);
  if (info.InitBinary) add(1, 'Init Binary:', info.InitBinary);
  if (info.ContainerdCommit) add(1, 'containerd version:', info.ContainerdCommit.ID ?? '');
  if (info.RuncCommit) add(1, 'runc version:', info.RuncCommit.ID ?? '');
  if (info.InitCommit) add(1, 'init version:', info.InitCommit.ID ?? '');
  const security = (info.SecurityOptions ?? []) as string[];
  if (security.length) {
    add(1, 'Security Options:');
    for (const opt of security) {
      const kv = Object.fromEntries(opt.split(',').map((p) => p.split('=') as [string, string]));
      add(2, kv.name ?? opt);
      for (const [k, v] of Object.entries(kv)) if (k !== 'name') add(3, `${k[0]!.toUpperCase()}${k.slice(1)}:`, v);
    }
  }
  add(1, 'Kernel Version:', info.KernelVersion ?? '');
  add(1, 'Operating System:', info.OperatingSystem ?? '');
  add(1, 'OSType:', info.OSType ?? '');
  add(1, 'Architecture:', info.Architecture ?? '');
  add(1, 'CPUs:', info.NCPU ?? 0);
  add(1, 'Total Memory:', bytesSize(info.MemTotal ?? 0));
  add(1, 'Name:', info.Name ?? '');
  add(1, 'ID:', info.ID ?? '');
  add(1, 'Docker Root Dir:', info.DockerRootDir ?? '');
  add(1, 'Debug Mode:', String(info.Debug ?? false));
  if (info.HttpProxy) add(1, 'HTTP Proxy:', info.HttpProxy);
  if (info.HttpsProxy) add(1, 'HTTPS Proxy:', info.HttpsProxy);
  if (info.NoProxy) add(1, 'No Proxy:', info.NoProxy);
  if (info.Labels?.length) {
    add(1, 'Labels:');
    for (const l of info.Labels as string[]) add(2, l);
  }
  add(1, 'Experimental:', String(info.ExperimentalBuild ?? false));
  const insecure = (info.RegistryConfig?.InsecureRegistryCIDRs ?? []) as string[];
  const insecureIndexes = Object.values(info.RegistryConfig?.IndexConfigs ?? {})
    .filter((c) => !(c as Json).Secure && (c as Json).Name !== 'docker.io').map((c) => (c as Json).Name as string);
  if (insecure.length || insecureIndexes.length) {
    add(1, 'Insecure Registries:');
    for (const r of [...insecureIndexes, ...insecure]) add(2, r);
  }
  if (info.RegistryConfig?.Mirrors?.length) {
    add(1, 'Registry Mirrors:');
    for (const m of info.RegistryConfig.Mirrors as string[]) add(2, m);
  }
  add(1, 'Live Restore Enabled:', String(info.LiveRestoreEnabled ?? false));
  const warnings = (info.Warnings ?? []) as string[];
  return `${lines.join('\n')}\n${warnings.length ? '\n' : ''}`;
}

export async function runVersion(cli: Cli, flags: { format?: string }): Promise<void> {
  let server: Json | undefined;
  let failure: unknown;
  let apiVersion = CLIENT_API_VERSION;
  try {
    apiVersion = await cli.client.apiVersion();
    server = await cli.client.json<Json>('GET', '/version');
  } catch (err) {
    failure = err;
  }
  const client = clientVersionInfo(apiVersion);
  if (compareVersions(apiVersion, CLIENT_API_VERSION) > 0) client.ApiVersion = CLIENT_API_VERSION;
  if (flags.format) {
    const tmpl = compileTemplate(flags.format);
    await cli.out(`${runTemplate(tmpl, { Client: client, Server: server ?? null })}\n`);
  } else {
    await cli.out(renderVersion(client, server));
  }
  if (failure) throw failure;
}

export async function runInfo(cli: Cli, flags: { format?: string }): Promise<void> {
  const client: Json = { ...clientVersionInfo(CLIENT_API_VERSION), Debug: cli.log.debugMode };
  if (flags.format) {
    const info = await cli.client.json<Json>('GET', '/info');
    const tmpl = compileTemplate(flags.format === 'json' ? '{{json .}}' : flags.format);
    await cli.out(`${runTemplate(tmpl, { ...info, ClientInfo: client })}\n`);
    return;
  }
  let info: Json;
  try {
    info = await cli.client.json<Json>('GET', '/info');
  } catch (err) {
    await cli.out(`Client:\n Version:    ${client.Version}\n Context:    ${client.Context}\n Debug Mode: ${String(client.Debug ?? false)}\n\nServer:\n`);
    if (err instanceof CliError) throw new CliError(`ERROR: ${err.message}\nerrors pretty printing info`);
    throw err;
  }
  await cli.out(renderInfo(client, info));
  for (const w of (info.Warnings ?? []) as string[]) await cli.err(`${w}\n`);
}

/** version, info and inspect; the same three under `berth system`. */
export function registerSystemCommands(program: Command, cli: Cli): void {
  program.command('version')
    .description('Show the Berth version information')
    .option('-f, --format <string>', 'Format output using a custom template')
    .action((flags: { format?: string }) => runVersion(cli, flags));
  program.command('info')
    .description('Display system-wide information')
    .option('-f, --format <string>', 'Format output using a custom template')
    .action((flags: { format?: string }) => runInfo(cli, flags));
  registerInspectCommand(program, cli);
}
