/**
 * `context`: create, ls, use, rm, inspect, show, update, as docker's (same flags, output and
 * errors). The store and the choice of the current context are in client/contexts.ts.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Cli } from '../client/cli.js';
import { CliError, ExitStatus } from '../base/errors.js';
import {
  ContextStore, DEFAULT_CONTEXT, DEFAULT_CONTEXT_DESCRIPTION, currentContextName, hostVariable, setConfiguredContext,
  validateContextName, type ContextMetadata, type DockerEndpointMeta, type EndpointTls,
} from '../client/contexts.js';
import { pickHost } from '../client/host.js';
import { ellipsis } from '../base/units.js';
import { compileTemplate, renderList, runTemplate } from '../render/formatter.js';
import { naturalLess } from '../render/natural-sort.js';
import { collect } from './flags.js';

const DOCKER_KEYS = ['from', 'host', 'ca', 'cert', 'key', 'skip-tls-verify'];

function storeOf(cli: Cli): ContextStore {
  return ContextStore.forFlags(cli.globalFlags());
}

function currentName(cli: Cli): string {
  return currentContextName(cli.globalFlags());
}

/** The built-in "default" context: what -H / BERTH_HOST / DOCKER_HOST / the default socket name. */
function defaultContext(cli: Cli): ContextMetadata {
  return {
    Name: DEFAULT_CONTEXT,
    Metadata: { Description: DEFAULT_CONTEXT_DESCRIPTION },
    Endpoints: { docker: { Host: pickHost(cli.globalFlags(), process.env), SkipTLSVerify: false } },
  };
}

/** A context by name, "default" included. */
function getContext(cli: Cli, name: string): ContextMetadata {
  return name === DEFAULT_CONTEXT ? defaultContext(cli) : storeOf(cli).get(name);
}

/** pflag's stringToString: each --docker value is CSV of key=value pairs; several values merge. */
export function parseEndpointFlag(values: string[]): Record<string, string> | undefined {
  if (values.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const value of values) {
    const fields = value.match(/("([^"]|"")*"|[^,])+/g) ?? [];
    for (const raw of fields) {
      const field = raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1).replace(/""/g, '"') : raw;
      const eq = field.indexOf('=');
      if (eq < 0) throw new CliError(`invalid argument "${value}" for "--docker" flag: ${field} must be formatted as key=value`);
      out[field.slice(0, eq)] = field.slice(eq + 1);
    }
  }
  return out;
}

function parseGoBool(key: string, raw: string | undefined): boolean {
  if (raw === undefined) return false;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(raw)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(raw)) return false;
  throw new CliError(`${key}: parsing ${JSON.stringify(raw)}: invalid syntax`);
}

function readTlsFile(path: string | undefined): Buffer | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(`open ${path}: ${code === 'ENOENT' ? 'no such file or directory' : (err as Error).message}`);
  }
}

/** docker's getDockerEndpointMetadataAndTLS, its errors prefixed as docker's are. */
function endpointFromConfig(cli: Cli, config: Record<string, string>): { endpoint: DockerEndpointMeta; tls?: EndpointTls } {
  try {
    for (const key of Object.keys(config)) {
      if (!DOCKER_KEYS.includes(key)) throw new CliError(`unrecognized config key: ${key}`);
    }
    if (config.from !== undefined) {
      // docker takes only the named context's endpoint and drops the other keys; berth refuses them
      const others = Object.keys(config).filter((k) => k !== 'from');
      if (others.length > 0) throw new CliError(`"from" cannot be combined with other keys (${others.join(', ')})`);
      const docker = getContext(cli, config.from).Endpoints.docker;
      if (!docker) throw new CliError(`unable to get endpoint from context ${JSON.stringify(config.from)}`);
      return { endpoint: { ...(docker.Host ? { Host: docker.Host } : {}), SkipTLSVerify: Boolean(docker.SkipTLSVerify) } };
    }
    const [ca, cert, key] = [config.ca, config.cert, config.key].map(readTlsFile);
    const skip = parseGoBool('skip-tls-verify', config['skip-tls-verify']);
    return {
      endpoint: { ...(config.host ? { Host: config.host } : {}), SkipTLSVerify: skip },
      tls: ca || cert || key ? { ca, cert, key } : undefined,
    };
  } catch (err) {
    if (err instanceof CliError) throw new CliError(`unable to create docker endpoint config: ${err.message}`);
    throw err;
  }
}

export interface ContextCreateOptions {
  description?: string;
  docker: string[];
  from?: string;
}

export async function runContextCreate(cli: Cli, name: string, flags: ContextCreateOptions): Promise<void> {
  const store = storeOf(cli);
  validateContextName(name);
  if (store.find(name)) throw new CliError(`context ${JSON.stringify(name)} already exists`);
  const docker = parseEndpointFlag(flags.docker);
  if (flags.from !== undefined || !docker) {
    // a copy of --from, else of the current context; --description replaces the copied one
    if (docker) throw new CliError('cannot use --docker flag when --from is set');
    const source = flags.from || currentName(cli);
    const from = getContext(cli, source);
    const meta: ContextMetadata = { ...from, Name: name, Metadata: { ...from.Metadata } };
    if (source === DEFAULT_CONTEXT) meta.Metadata = {};
    if (flags.description) meta.Metadata.Description = flags.description;
    await store.save(meta);
    await store.resetTls(name, source === DEFAULT_CONTEXT ? undefined : store.tls(source));
  } else {
    const { endpoint, tls } = endpointFromConfig(cli, docker);
    await store.save({ Name: name, Metadata: flags.description ? { Description: flags.description } : {}, Endpoints: { docker: endpoint } });
    await store.resetTls(name, tls);
  }
  await cli.out(`${name}\n`);
  await cli.err(`Successfully created context ${JSON.stringify(name)}\n`);
}

export async function runContextUpdate(cli: Cli, name: string, flags: Omit<ContextCreateOptions, 'from'>): Promise<void> {
  validateContextName(name);
  const store = storeOf(cli);
  const meta = store.get(name);
  if (flags.description) meta.Metadata.Description = flags.description;
  const docker = parseEndpointFlag(flags.docker);
  const changed = docker ? endpointFromConfig(cli, docker) : undefined;
  if (changed) meta.Endpoints.docker = changed.endpoint;
  await store.save(meta);
  if (changed) await store.resetTls(name, changed.tls);
  await cli.out(`${name}\n`);
  await cli.err(`Successfully updated context ${JSON.stringify(name)}\n`);
}

/** One row of `context ls`, with the placeholders docker's formatter offers. */
export class ContextRow {
  constructor(private readonly row: { name: string; current: boolean; description: string; endpoint: string; error: string }) {}
  Name(): string { return this.row.name; }
  Current(): boolean { return this.row.current; }
  Description(): string { return this.row.description; }
  DockerEndpoint(): string { return this.row.endpoint; }
  Error(): string { return ellipsis(this.row.error, 45); }
  toGoJSON(): Record<string, unknown> {
    return { Current: this.Current(), Description: this.Description(), DockerEndpoint: this.DockerEndpoint(), Error: this.Error(), Name: this.Name() };
  }
}

export const CONTEXT_TABLE = 'table {{.Name}}{{if .Current}} *{{end}}\t{{.Description}}\t{{.DockerEndpoint}}\t{{.Error}}';
// no title for Current: the header row's `{{if .Current}}` stays empty, as docker's does
export const CONTEXT_HEADER = { Current: '', Name: 'NAME', Description: 'DESCRIPTION', DockerEndpoint: 'DOCKER ENDPOINT', Error: 'ERROR' };

function overrideWarning(variable: string, what: string): string {
  return `Warning: ${variable} environment variable overrides the active context. To use ${what}, either set the global --context flag, or unset ${variable} environment variable.\n`;
}

export async function runContextList(cli: Cli, flags: { format?: string; quiet?: boolean }): Promise<void> {
  const current = currentName(cli);
  const all = [defaultContext(cli), ...storeOf(cli).list()];
  const rows = all.map((c) => new ContextRow({
    name: c.Name, current: c.Name === current, description: c.Metadata.Description ?? '', endpoint: c.Endpoints.docker?.Host ?? '', error: '',
  }));
  if (!all.some((c) => c.Name === current)) {
    // the current context is missing: listed with the reason, as docker does
    let error = '';
    try {
      storeOf(cli).get(current);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      error = err.message;
    }
    rows.push(new ContextRow({ name: current, current: true, description: '', endpoint: '', error }));
  }
  rows.sort((a, b) => naturalLess(a.Name(), b.Name()));
  if (flags.quiet) await cli.out(rows.map((r) => `${r.Name()}\n`).join(''));
  else await cli.out(renderList(flags.format || 'table', CONTEXT_TABLE, rows, CONTEXT_HEADER));
  const variable = hostVariable();
  if (variable) await cli.err(overrideWarning(variable, 'a context'));
}

export async function runContextUse(cli: Cli, name: string): Promise<void> {
  if (name !== DEFAULT_CONTEXT) {
    validateContextName(name);
    storeOf(cli).get(name);
  }
  setConfiguredContext(cli.globalFlags(), name);
  await cli.out(`${name}\n`);
  await cli.err(`Current context is now ${JSON.stringify(name)}\n`);
  const variable = hostVariable();
  if (name !== DEFAULT_CONTEXT && variable) await cli.err(overrideWarning(variable, JSON.stringify(name)));
}

export async function runContextRemove(cli: Cli, names: string[], flags: { force?: boolean }): Promise<void> {
  const store = storeOf(cli);
  const current = currentName(cli);
  const errors: string[] = [];
  for (const name of names) {
    try {
      if (name === DEFAULT_CONTEXT) throw new CliError(`context "${DEFAULT_CONTEXT}" cannot be removed`);
      if (name === current) {
        if (!flags.force) throw new CliError(`context ${JSON.stringify(name)} is in use, set -f flag to force remove`);
        setConfiguredContext(cli.globalFlags(), DEFAULT_CONTEXT);
      }
      if (!flags.force && !store.find(name)) throw new CliError(`context ${JSON.stringify(name)} does not exist`);
      await store.remove(name);
      await cli.out(`${name}\n`);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      errors.push(err.message);
    }
  }
  if (errors.length > 0) throw new CliError(errors.join('\n'));
}

/** Go's json encoding escapes <, > and & in strings. */
function goJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(/[<>&]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`);
}

function inspectView(cli: Cli, meta: ContextMetadata): Record<string, unknown> {
  const store = storeOf(cli);
  const builtIn = meta.Name === DEFAULT_CONTEXT;
  const tlsFiles = builtIn ? [] : store.tlsFileNames(meta.Name);
  return {
    Name: meta.Name,
    Metadata: builtIn ? {} : meta.Metadata,
    Endpoints: meta.Endpoints,
    TLSMaterial: tlsFiles.length > 0 ? { docker: tlsFiles } : {},
    Storage: builtIn
      ? { MetadataPath: '<IN MEMORY>', TLSPath: '<IN MEMORY>' }
      : { MetadataPath: store.metaDir(meta.Name), TLSPath: store.tlsDir(meta.Name) },
  };
}

export async function runContextInspect(cli: Cli, names: string[], flags: { format?: string }): Promise<void> {
  const template = flags.format && flags.format !== 'json' ? compileTemplate(flags.format) : undefined;
  const found: Record<string, unknown>[] = [];
  const errors: string[] = [];
  for (const name of names.length > 0 ? names : [currentName(cli)]) {
    try {
      found.push(inspectView(cli, getContext(cli, name)));
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      errors.push(err.message);
    }
  }
  if (template) await cli.out(found.map((v) => `${runTemplate(template, v)}\n`).join(''));
  else if (flags.format === 'json') await cli.out(`${goJson(found)}\n`);
  else await cli.out(`${goJson(found, 4)}\n`);
  if (errors.length > 0) {
    await cli.err(errors.map((m) => `${m}\n`).join(''));
    throw new ExitStatus(1);
  }
}

export async function runContextShow(cli: Cli): Promise<void> {
  await cli.out(`${currentName(cli)}\n`);
}

export function registerContextCommands(program: Command, cli: Cli): void {
  const context = program.command('context').description('Manage contexts');
  context.command('create')
    .description('Create a context')
    .usage('[OPTIONS] CONTEXT')
    .argument('<name>')
    .option('--description <string>', 'Description of the context')
    .option('--docker <stringToString>', 'set the docker endpoint (default [])', collect, [])
    .option('--from <string>', 'create context from a named context')
    .action((name: string, flags: ContextCreateOptions) => runContextCreate(cli, name, flags));
  context.command('ls')
    .aliases(['list'])
    .description('List contexts')
    .usage('[OPTIONS]')
    .option('--format <string>', 'Format output using a custom template')
    .option('-q, --quiet', 'Only show context names')
    .action((flags: { format?: string; quiet?: boolean }) => runContextList(cli, flags));
  context.command('use')
    .description('Set the current docker context')
    .usage('CONTEXT')
    .argument('<name>')
    .action((name: string) => runContextUse(cli, name));
  context.command('rm')
    .aliases(['remove'])
    .description('Remove one or more contexts')
    .usage('CONTEXT [CONTEXT...]')
    .argument('<names...>')
    .option('-f, --force', 'Force the removal of a context in use')
    .action((names: string[], flags: { force?: boolean }) => runContextRemove(cli, names, flags));
  context.command('inspect')
    .description('Display detailed information on one or more contexts')
    .usage('[OPTIONS] [CONTEXT] [CONTEXT...]')
    .argument('[names...]')
    .option('-f, --format <string>', 'Format output using a custom template')
    .action((names: string[], flags: { format?: string }) => runContextInspect(cli, names, flags));
  context.command('show')
    .description('Print the name of the current context')
    .action(() => runContextShow(cli));
  context.command('update')
    .description('Update a context')
    .usage('[OPTIONS] CONTEXT')
    .argument('<name>')
    .option('--description <string>', 'Description of the context')
    .option('--docker <stringToString>', 'set the docker endpoint (default [])', collect, [])
    .action((name: string, flags: Omit<ContextCreateOptions, 'from'>) => runContextUpdate(cli, name, flags));
}
