/**
 * `stats`: one sample per container with --no-stream, otherwise a table redrawn in place (cursor
 * home, each line cleared, rest of screen cleared) every half second as samples stream in.
 */
import type { Command } from 'commander';
import type { Cli } from '../client/cli.js';
import { renderList } from '../render/formatter.js';
import { STATS_HEADER, STATS_TABLE, StatsContext, statsEntry, type ApiStats, type StatsEntry } from '../render/stats.js';
import { truncateId } from '../base/units.js';

const enc = encodeURIComponent;

/** The non-empty lines of a streamed body (a JSON document per line), trimmed. */
export async function* textLines(body: AsyncIterable<unknown>): AsyncGenerator<string> {
  let pending = '';
  for await (const chunk of body) {
    pending += (chunk as Buffer).toString('utf8');
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, nl).trim();
      pending = pending.slice(nl + 1);
      if (line) yield line;
    }
  }
  if (pending.trim()) yield pending.trim();
}

async function* jsonLines(body: AsyncIterable<unknown>): AsyncGenerator<unknown> {
  for await (const line of textLines(body)) yield JSON.parse(line);
}

export interface StatsOptions {
  all?: boolean;
  format?: string;
  stream: boolean;
  trunc: boolean;
}

export async function runStats(cli: Cli, names: string[], flags: StatsOptions): Promise<void> {
  let targets = names;
  if (targets.length === 0) {
    const list = await cli.client.json<{ Id: string }[]>('GET', '/containers/json', { query: { all: flags.all || undefined } });
    targets = (list ?? []).map((c) => truncateId(c.Id));
  }
  const format = flags.format || 'table';
  const render = (entries: StatsEntry[]): string =>
    renderList(format, STATS_TABLE, entries.map((e) => new StatsContext(e, flags.trunc)), STATS_HEADER);
  if (!flags.stream) {
    const entries = await Promise.all(targets.map(async (name) =>
      statsEntry(name, await cli.client.json<ApiStats>('GET', `/containers/${enc(name)}/stats`, { query: { stream: false } }))));
    await cli.out(render(entries));
    return;
  }
  await redrawStats(cli, targets, render);
}

/** Streams every target's samples and redraws the table with the latest of each every half second. */
async function redrawStats(cli: Cli, targets: string[], render: (entries: StatsEntry[]) => string): Promise<void> {
  const latest = new Map<string, StatsEntry>();
  const streams = targets.map(async (name) => {
    const res = await cli.client.stream('GET', `/containers/${enc(name)}/stats`, { query: { stream: true } });
    for await (const s of jsonLines(res)) latest.set(name, statsEntry(name, s as ApiStats));
    const last = latest.get(name);
    if (last) last.isInvalid = true;
  });
  let failure: unknown;
  const all = Promise.all(streams).catch((err: unknown) => { failure = err; });
  let finished = false;
  void all.then(() => { finished = true; });
  while (!finished) {
    await new Promise((r) => setTimeout(r, 500));
    if (failure) throw failure;
    const entries = targets.map((t) => latest.get(t)).filter((e): e is StatsEntry => e !== undefined);
    const lines = render(entries).split('\n').filter((l, i, a) => i < a.length - 1 || l !== '');
    await cli.out(`\x1b[H${lines.map((l) => `${l}\x1b[K\n`).join('')}\x1b[J`);
  }
  if (failure) throw failure;
}

export function registerStatsCommand(program: Command, cli: Cli): void {
  program.command('stats')
    .description('Display a live stream of container(s) resource usage statistics')
    .usage('[OPTIONS] [CONTAINER...]')
    .argument('[containers...]')
    .option('-a, --all', 'Show all containers (default shows just running)')
    .option('--format <string>', 'Format output using a custom template')
    .option('--no-stream', 'Disable streaming stats and only pull the first result')
    .option('--no-trunc', 'Do not truncate output')
    .action((names: string[], flags: StatsOptions) => runStats(cli, names, flags));
}
