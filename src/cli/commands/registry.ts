/**
 * Commands that reach a registry through the daemon: push, login, logout, search. Credentials live in
 * berth's own config file (src/cli/auth-config.ts) and travel as X-Registry-Auth.
 */
import { PassThrough } from 'node:stream';
import type { Command } from 'commander';
import { encodeFilters } from '../client/api-client.js';
import {
  DEFAULT_INDEX, encodeAuth, normalizeServer, readAuth, registryAuthHeader, removeAuth, storeAuth,
} from '../client/auth-config.js';
import type { Cli } from '../client/cli.js';
import { CliError } from '../base/errors.js';
import { renderList } from '../render/formatter.js';
import { ellipsis } from '../base/units.js';
import { printJsonMessages } from './image-pull.js';
import { referenceArg } from '../client/reference-arg.js';
import { familiarName, referenceString, withDefaultTag } from '../../lib/image-reference.js';
import { collect, intFlag } from './flags.js';

async function readAllStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Reads one line from a terminal, echoing it or not (for the password). */
function promptLine(question: string, echo: boolean): Promise<string> {
  return new Promise((resolve) => {
    process.stderr.write(question);
    const stdin = process.stdin;
    if (!echo) stdin.setRawMode(true);
    let line = '';
    const onData = (chunk: Buffer): void => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          stdin.off('data', onData);
          if (!echo) {
            stdin.setRawMode(false);
            process.stderr.write('\n');
          }
          stdin.pause();
          resolve(line);
          return;
        }
        if (ch === '\u0003') process.exit(130);
        line += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}

interface SearchResult {
  name: string;
  description?: string;
  star_count?: number;
  is_official?: boolean;
  is_automated?: boolean;
}

export class SearchContext {
  constructor(private readonly r: SearchResult, private readonly trunc: boolean) {}
  Name(): string { return this.r.name; }
  Description(): string {
    const desc = (this.r.description ?? '').replace(/\n/g, ' ').replace(/\r/g, ' ');
    return this.trunc ? ellipsis(desc, 45) : desc;
  }
  StarCount(): string { return String(this.r.star_count ?? 0); }
  IsOfficial(): string { return this.r.is_official ? '[OK]' : ''; }
  IsAutomated(): string { return this.r.is_automated ? '[OK]' : ''; }
  toGoJSON(): Record<string, unknown> {
    return { Description: this.Description(), IsAutomated: this.IsAutomated(), IsOfficial: this.IsOfficial(), Name: this.Name(), StarCount: this.StarCount() };
  }
}

const SEARCH_HEADER = { Name: 'NAME', Description: 'DESCRIPTION', StarCount: 'STARS', IsOfficial: 'OFFICIAL', IsAutomated: 'AUTOMATED' };
const SEARCH_TABLE = 'table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}';

export interface PushOptions {
  allTags?: boolean;
  platform?: string;
  quiet?: boolean;
}

export async function runPush(cli: Cli, name: string, flags: PushOptions): Promise<void> {
  let ref = referenceArg(name);
  const nameOnly = !ref.tag && !ref.digest;
  if (flags.allTags && !nameOnly) throw new CliError('tag can\'t be used with --all-tags/-a');
  if (!flags.allTags && nameOnly) {
    ref = withDefaultTag(ref);
    if (!flags.quiet) await cli.out(`Using default tag: ${ref.tag}\n`);
  }
  if (ref.digest) throw new CliError('cannot push a digest reference');
  const repo = familiarName(ref);
  const res = await cli.client.stream('POST', `/images/${repo}/push`, {
    query: { tag: flags.allTags ? undefined : withDefaultTag(ref).tag, platform: flags.platform },
    headers: { 'X-Registry-Auth': registryAuthHeader(cli, repo) },
  });
  if (flags.quiet) {
    const sink = new PassThrough();
    sink.resume();
    await printJsonMessages(res, sink);
    await cli.out(`${referenceString(ref)}\n`);
    return;
  }
  await printJsonMessages(res, process.stdout);
}

export interface LoginOptions {
  password?: string;
  passwordStdin?: boolean;
  username?: string;
}

export async function runLogin(cli: Cli, server: string | undefined, flags: LoginOptions): Promise<void> {
  let { username, password } = flags;
  if (password !== undefined) {
    await cli.err('WARNING! Using --password via the CLI is insecure. Use --password-stdin.\n');
    if (flags.passwordStdin) throw new CliError('--password and --password-stdin are mutually exclusive');
  }
  if (flags.passwordStdin) {
    if (!username) throw new CliError('the --password-stdin option requires --username to be set');
    password = (await readAllStdin()).replace(/\r?\n$/, '');
  }
  const key = normalizeServer(server);
  if (!username || password === undefined) {
    if (!process.stdin.isTTY) throw new CliError('Error: Cannot perform an interactive login from a non TTY device');
    const stored = readAuth(cli.configFlag(), key);
    if (!username) {
      const suffix = stored?.username ? ` (${stored.username})` : '';
      username = (await promptLine(`Username${suffix}: `, true)).trim() || stored?.username || '';
      if (!username) throw new CliError('Error: Non-null Username Required');
    }
    if (password === undefined) password = await promptLine('Password: ', false);
    if (!password) throw new CliError('Error: Password Required');
  }
  const auth = { username, password, serveraddress: server ? key : DEFAULT_INDEX };
  const res = await cli.client.json<{ Status?: string; IdentityToken?: string }>('POST', '/auth', { body: auth });
  const path = storeAuth(cli.configFlag(), key, { ...auth, ...(res?.IdentityToken ? { identitytoken: res.IdentityToken, password: '' } : {}) });
  await cli.err(`\nWARNING! Your credentials are stored unencrypted in '${path}'.\nConfigure a credential helper to remove this warning. See\nhttps://docs.docker.com/go/credential-store/\n\n`);
  await cli.out(`${res?.Status || 'Login Succeeded'}\n`);
}

export async function runLogout(cli: Cli, server: string | undefined): Promise<void> {
  const key = normalizeServer(server);
  await cli.out(`Removing login credentials for ${key === DEFAULT_INDEX ? 'https://index.docker.io/v1/' : key}\n`);
  removeAuth(cli.configFlag(), key);
}

export interface SearchOptions {
  filter: string[];
  format?: string;
  limit?: string;
  trunc: boolean;
}

export async function runSearch(cli: Cli, term: string, flags: SearchOptions): Promise<void> {
  if (flags.limit !== undefined) intFlag('--limit', flags.limit);
  const results = await cli.client.json<SearchResult[]>('GET', '/images/search', {
    query: { term, limit: flags.limit, filters: encodeFilters(flags.filter) },
    headers: { 'X-Registry-Auth': encodeAuth(readAuth(cli.configFlag(), normalizeServer(term.includes('/') ? term.split('/')[0] : undefined))) },
  });
  const rows = (results ?? []).map((r) => new SearchContext(r, flags.trunc));
  await cli.out(renderList(flags.format || 'table', SEARCH_TABLE, rows, SEARCH_HEADER));
}

/** Registers push, login, logout and search; `pushOnly` for the `image` group, which has push alone. */
export function registerRegistryCommands(program: Command, cli: Cli, pushOnly = false): void {
  program.command('push')
    .description('Upload an image to a registry')
    .usage('[OPTIONS] NAME[:TAG]')
    .argument('<name>')
    .option('-a, --all-tags', 'Push all tags of an image to the repository')
    .option('--platform <string>', 'Push a platform-specific manifest as a single-platform image to the registry')
    .option('-q, --quiet', 'Suppress verbose output')
    .action((name: string, flags: PushOptions) => runPush(cli, name, flags));
  if (pushOnly) return;
  program.command('login')
    .description('Authenticate to a registry')
    .usage('[OPTIONS] [SERVER]')
    .argument('[server]')
    .option('-p, --password <string>', 'Password or Personal Access Token (PAT)')
    .option('--password-stdin', 'Take the Password or Personal Access Token (PAT) from stdin')
    .option('-u, --username <string>', 'Username')
    .action((server: string | undefined, flags: LoginOptions) => runLogin(cli, server, flags));
  program.command('logout')
    .description('Log out from a registry')
    .usage('[SERVER]')
    .argument('[server]')
    .action((server: string | undefined) => runLogout(cli, server));
  program.command('search')
    .description('Search Docker Hub for images')
    .usage('[OPTIONS] TERM')
    .argument('<term>')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .option('--format <string>', 'Pretty-print search using a Go template')
    .option('--limit <int>', 'Max number of search results')
    .option('--no-trunc', "Don't truncate output")
    .action((term: string, flags: SearchOptions) => runSearch(cli, term, flags));
}
