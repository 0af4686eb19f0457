/**
 * `events` (and `system events`): the daemon's events as they happen, from `--since` on, until
 * `--until`; one line per event in docker's words, or through `--format`.
 */
import type { Command } from 'commander';
import type { Cli } from '../client/cli.js';
import { encodeFilters } from '../client/api-client.js';
import { compileTemplate, runTemplate } from '../render/formatter.js';
import { collect } from './flags.js';
import { parseTimestamp } from './container-logs.js';
import { textLines } from './stats.js';

interface ApiEvent {
  status?: string;
  id?: string;
  from?: string;
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes?: Record<string, string> };
  scope?: string;
  time?: number;
}

/** One event as docker's templates see it (Go's field names), `{{json .}}` being the daemon's own line. */
class EventRow {
  readonly Status: string;
  readonly ID: string;
  readonly From: string;
  readonly Type: string;
  readonly Action: string;
  readonly Actor: { ID: string; Attributes: Record<string, string> };
  readonly Scope: string;
  readonly Time: number;
  readonly TimeNano: number;

  constructor(private readonly line: string, e: ApiEvent, readonly timeNano: bigint) {
    this.Status = e.status ?? '';
    this.ID = e.id ?? '';
    this.From = e.from ?? '';
    this.Type = e.Type;
    this.Action = e.Action;
    this.Actor = { ID: e.Actor?.ID ?? '', Attributes: e.Actor?.Attributes ?? {} };
    this.Scope = e.scope ?? '';
    this.Time = e.time ?? 0;
    this.TimeNano = Number(timeNano);
  }

  toRawJSON(): string {
    return this.line;
  }
}

/** docker's default line: `<time, RFC 3339 with 9 decimals> <type> <action> <actor id> (k=v, ...)`. */
export function prettyEvent(row: Pick<EventRow, 'Type' | 'Action' | 'Actor' | 'Time'> & { timeNano: bigint }): string {
  const nano = row.timeNano !== 0n ? row.timeNano : BigInt(row.Time) * 1_000_000_000n;
  let out = nano !== 0n ? `${fixedTime(nano)} ` : '';
  out += `${row.Type} ${row.Action} ${row.Actor.ID}`;
  const keys = Object.keys(row.Actor.Attributes).sort();
  if (keys.length > 0) out += ` (${keys.map((k) => `${k}=${row.Actor.Attributes[k]}`).join(', ')})`;
  return out;
}

/** Go's RFC3339NanoFixed in local time: `2006-01-02T15:04:05.000000000Z07:00`. */
function fixedTime(nano: bigint): string {
  const ms = Number(nano / 1_000_000n);
  const offsetMin = -new Date(ms).getTimezoneOffset();
  const local = new Date(ms + offsetMin * 60_000).toISOString().slice(0, 19);
  const frac = String(nano % 1_000_000_000n).padStart(9, '0');
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  const zone = offsetMin === 0 ? 'Z' : `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  return `${local}.${frac}${zone}`;
}

interface EventsFlags {
  filter: string[];
  format?: string;
  since?: string;
  until?: string;
}

export function registerEventsCommand(parent: Command, cli: Cli): void {
  parent.command('events')
    .description('Get real time events from the server')
    .usage('[OPTIONS]')
    .option('-f, --filter <filter>', 'Filter output based on conditions provided', collect, [])
    .option('--format <string>', 'Format output using a custom template')
    .option('--since <string>', 'Show all events created since timestamp')
    .option('--until <string>', 'Stream events until this timestamp')
    .action((flags: EventsFlags) => runEvents(cli, flags));
}

export async function runEvents(cli: Cli, flags: EventsFlags): Promise<void> {
  const format = flags.format === 'json' ? '{{json .}}' : flags.format;
  const template = format ? compileTemplate(format.replace(/\\t/g, '\t').replace(/\\n/g, '\n')) : undefined;
  const res = await cli.client.stream('GET', '/events', {
    query: {
      since: flags.since ? parseTimestamp(flags.since) : undefined,
      until: flags.until ? parseTimestamp(flags.until) : undefined,
      filters: encodeFilters(flags.filter),
    },
  });
  for await (const line of textLines(res)) {
    const e = JSON.parse(line) as ApiEvent;
    const row = new EventRow(line, e, BigInt(/"timeNano":(\d+)\}$/.exec(line)?.[1] ?? '0'));
    await cli.out((template ? runTemplate(template, row) : prettyEvent(row)) + '\n');
  }
}
