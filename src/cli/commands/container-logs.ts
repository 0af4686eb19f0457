/**
 * `logs`: a container's output, demultiplexed unless it has a TTY.
 */
import type { Command } from 'commander';
import type { Cli } from '../client/cli.js';
import { CliError } from '../base/errors.js';
import { copyRaw, demultiplex } from '../client/streams.js';
import { containerPath } from './flags.js';

/** docker's --since/--until: a unix time, an RFC 3339 date, or a duration before now ("10m", "1h30m"). */
export function parseTimestamp(value: string, now = Date.now()): string {
  if (/^\d+(\.\d+)?$/.test(value)) return value;
  const duration = /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$/.exec(value);
  if (duration && value !== '') {
    const [, h, m, s, ms] = duration;
    const total = Number(h ?? 0) * 3600e3 + Number(m ?? 0) * 60e3 + Number(s ?? 0) * 1e3 + Number(ms ?? 0);
    return ((now - total) / 1000).toFixed(9);
  }
  const date = Date.parse(value.includes('T') || value.length <= 10 ? value : value.replace(' ', 'T'));
  if (Number.isNaN(date)) throw new CliError(`invalid value for "since": failed to parse value as time or duration: "${value}"`);
  return (date / 1000).toFixed(9);
}

export interface LogsOptions {
  details?: boolean;
  follow?: boolean;
  since?: string;
  tail: string;
  timestamps?: boolean;
  until?: string;
}

export async function runLogs(cli: Cli, name: string, flags: LogsOptions): Promise<void> {
  const info = await cli.client.json<{ Config?: { Tty?: boolean } }>('GET', containerPath(name, '/json'));
  const res = await cli.client.stream('GET', containerPath(name, '/logs'), {
    query: {
      stdout: true,
      stderr: true,
      follow: flags.follow || undefined,
      since: flags.since ? parseTimestamp(flags.since) : undefined,
      until: flags.until ? parseTimestamp(flags.until) : undefined,
      timestamps: flags.timestamps || undefined,
      details: flags.details || undefined,
      tail: flags.tail,
    },
  });
  if (info?.Config?.Tty) await copyRaw(res, process.stdout);
  else await demultiplex(res, process.stdout, process.stderr);
}

export function registerLogsCommand(program: Command, cli: Cli): void {
  program.command('logs')
    .description('Fetch the logs of a container')
    .usage('[OPTIONS] CONTAINER')
    .argument('<container>')
    .option('--details', 'Show extra details provided to logs')
    .option('-f, --follow', 'Follow log output')
    .option('--since <string>', 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)')
    .option('-n, --tail <string>', 'Number of lines to show from the end of the logs', 'all')
    .option('-t, --timestamps', 'Show timestamps')
    .option('--until <string>', 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)')
    .action((name: string, flags: LogsOptions) => runLogs(cli, name, flags));
}
